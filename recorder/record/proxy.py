"""The recording reverse proxy: any client in any language records by changing its base URL.

``RecordingProxy(upstream, directory)`` is a plain ASGI app (run it with
``recorder.net.serving``; ``sse-recorder proxy`` does). Every request is forwarded to
``upstream`` + its path and query; every response chunk is recorded, redacted, with its
arrival time, and goes back to the client at once (no buffering; asyncio sockets have Nagle
off), each interaction to its own cassette in ``directory``: ``0001-POST-threads-runs.jsonl``
(order, method, endpoint without version and ids). Numbers continue after the highest one in
the directory and each name is claimed with an exclusive create: nothing is ever overwritten.

- Hop-by-hop headers are dropped both ways; ``Host`` and ``Content-Length`` are set by the
  upstream client.
- ``Accept-Encoding: identity`` is asked of the upstream, so the recorded chunks are the event
  bytes themselves. Bytes are forwarded raw: if the upstream compresses anyway, the client gets
  (and the cassette keeps) exactly those bytes with their ``content-encoding``.
- Each record is written before the client is sent what it records (the cassette file, its
  header and the request are made while the upstream is asked, and the client gets nothing
  before they exist): a proxy killed at any moment has
  on disk every byte its client received (but for a chunk that ends inside a line while body
  redaction holds it until the line ends, ``recorder.record.redaction``).
- The client goes away mid-body (the ``openai`` library hangs up right after ``[DONE]``,
  often before the upstream's end arrives): the upstream is read on to its end, for at most
  ``drain_timeout`` seconds and ``drain_limit`` bytes, so the cassette says how the stream
  ended; the departure is the end record's ``client_left``, which replay ignores. Past a
  bound the upstream request is closed and the interaction ends ``client-disconnected``.
- The request record keeps both the path the client asked (``client_path``) and the
  upstream's full URL (``url``), so an upstream under a path (a gateway) replays to a client
  pointed at the replay server.
- The upstream fails before answering: the client gets a ``502`` (``504`` on a timeout) and
  the interaction ends ``error``/``timeout`` without a response. It fails mid-body: what
  arrived is kept, the outcome recorded, and the client's connection is closed unfinished so
  the client sees the cut too.

Run it with ``SERVER_OPTIONS`` (no ``server``/``date`` headers added by uvicorn: the client
sees the upstream's).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from recorder.cassette import RecordedRequest
from recorder.errors import UsageError
from recorder.net.asgi import (
    HOP_BY_HOP,
    Message,
    Receive,
    Scope,
    Send,
    read_body,
    request_from_scope,
)
from recorder.record.recorder import CassetteRecorder, InteractionRecording, outcome_of
from recorder.record.redaction import Redactor

__all__ = ["SERVER_OPTIONS", "RecordingProxy", "cassette_name", "prepare_directory"]

SERVER_OPTIONS: dict[str, Any] = {"server_header": False, "date_header": False}
#: After the client hangs up, the upstream is read on to its end for at most this many
#: seconds and bytes (then closed, and the interaction ends ``client-disconnected``).
DRAIN_TIMEOUT = 10.0
DRAIN_LIMIT = 16 * 1024 * 1024

_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length", "accept-encoding", "expect"}
_ID_SEGMENT = re.compile(r"[A-Za-z]+_[A-Za-z0-9]{12,}|.*\d.*")
_NUMBERED = re.compile(r"^(\d{4,})-")


def cassette_name(number: int, method: str, path: str) -> str:
    """``0001-POST-threads-runs.jsonl``: order, method, path without version or ids."""
    segments = [
        re.sub(r"[^A-Za-z0-9_.-]", "_", segment)
        for segment in path.split("/")
        if segment and not re.fullmatch(r"v\d+", segment) and not _ID_SEGMENT.fullmatch(segment)
    ]
    endpoint = "-".join(segments)[:80] or "root"
    return f"{number:04d}-{method.upper()}-{endpoint}.jsonl"


def prepare_directory(directory: str | os.PathLike[str]) -> Path:
    """Create the cassettes' directory (and its parents) and check that files can be made in
    it; ``UsageError`` (one line) when not: a file in the way, a symbolic link in a loop, no
    permission."""
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        why = "a symbolic link that loops or leads nowhere" if path.is_symlink() else "a file"
        raise UsageError(f"-o {directory} is not a directory ({why})") from None
    except OSError as error:
        raise UsageError(f"-o {directory}: cannot create the directory: {error.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"-o {directory}: no permission to create files there")
    return path


def _dropping(headers: list[tuple[str, str]], names: frozenset[str]) -> list[tuple[str, str]]:
    listed = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [(k, v) for k, v in headers if k.lower() not in names and k.lower() not in listed]


class RecordingProxy:
    """ASGI app: forward to ``upstream``, stream back, record each interaction to ``directory``."""

    def __init__(
        self,
        upstream: str,
        directory: str | os.PathLike[str],
        *,
        redactor: Redactor | None = None,
        profile: str | None = None,
        timeout: float | None = None,
        durable: bool = False,
        log: Callable[[str], None] | None = None,
        drain_timeout: float = DRAIN_TIMEOUT,
        drain_limit: int = DRAIN_LIMIT,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.drain_timeout = drain_timeout
        self.drain_limit = drain_limit
        self.directory = Path(directory)
        self.redactor = redactor if redactor is not None else Redactor.default()
        self.profile = profile
        self.timeout = timeout
        self.durable = durable
        self.log = log
        self._next_number: int | None = None
        self._clients: dict[int, httpx.AsyncClient] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- plumbing

    def _client(self) -> httpx.AsyncClient:
        # One pooled client per event loop (a client must not cross loops).
        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=self.timeout or 30.0, pool=None),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
                follow_redirects=False,
                trust_env=False,
            )
        return client

    def _claim(self, method: str, path: str) -> Path:
        """A fresh cassette path, created empty with O_EXCL so nothing is ever overwritten."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._next_number is None:
            numbers = [
                int(match.group(1))
                for entry in os.listdir(self.directory)
                if (match := _NUMBERED.match(entry))
            ]
            self._next_number = max(numbers, default=0) + 1
        while True:
            number, self._next_number = self._next_number, self._next_number + 1
            candidate = self.directory / cassette_name(number, method, path)
            try:
                os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            return candidate

    # ---------------------------------------------------------------- ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if body is None:
            return
        received = request_from_scope(scope, body, base=self.upstream)
        headers = [*_dropping(received.headers, _NOT_FORWARDED), ("accept-encoding", "identity")]
        # What the client asked (its path) and where it went (the upstream's full URL): replay
        # answers a client pointed at the replay server as it answered one pointed here.
        asked = (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1")
        request = received.model_copy(update={"headers": headers, "client_path": asked})
        started = time.perf_counter()
        # The cassette is created (file, header, request) in a worker thread while the
        # upstream is asked, and the client is sent nothing before it exists; every record
        # after that is written before the client is sent what it records (issue 14.2): a
        # kill at any moment loses nothing the client has seen.
        loop = asyncio.get_running_loop()
        opening = loop.run_in_executor(
            None, self._open, scope["method"], scope["path"], request, started
        )
        client = _Client(send)
        forward = asyncio.ensure_future(self._forward(request, opening, client))
        watch = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait({forward, watch}, return_when=asyncio.FIRST_COMPLETED)
            recorder, recording = await asyncio.shield(opening)
            if not forward.done():
                # The client hung up before the body ended (the openai library does so right
                # after `data: [DONE]`, often before the upstream's end arrives). Read on to
                # the upstream's end, within bounds, so the cassette says how the stream
                # ended; the departure is noted apart (``client_left``), and replay ignores it.
                if not recording.ended:  # (else the body had ended: uvicorn says "gone" then)
                    client.leave(recording.now())
                try:
                    await asyncio.wait_for(asyncio.shield(forward), self.drain_timeout)
                except TimeoutError:
                    forward.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await forward
                    recording.end(
                        "client-disconnected",
                        f"the client hung up and the upstream did not end within "
                        f"{self.drain_timeout:g} s after",
                        client_left=client.left_at,
                    )
            else:
                watch.cancel()
                forward.result()
        finally:
            watch.cancel()
            if not forward.done():  # this task was cancelled (the server is stopping)
                forward.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await forward
            opening.add_done_callback(_close_recorder)  # at once, or once the file is open
        if self.log is not None:
            left = "" if client.left_at is None else " (the client left early)"
            self.log(
                f"{scope['method']} {scope['path']} -> {recording.outcome}{left}, "
                f"{recording.chunk_count} chunks, {recording.size} bytes: {recorder.path}"
            )

    def _open(
        self, method: str, path: str, request: RecordedRequest, started: float
    ) -> tuple[CassetteRecorder, InteractionRecording]:
        with self._lock:
            cassette = self._claim(method, path)
        recorder = CassetteRecorder(
            cassette, redactor=self.redactor, profile=self.profile, durable=self.durable
        )
        return recorder, recorder.start(request, started)

    async def _forward(
        self,
        request: RecordedRequest,
        opening: asyncio.Future[tuple[CassetteRecorder, InteractionRecording]],
        client: _Client,
    ) -> None:
        upstream = self._client()
        # As bytes: httpx encodes str header values as ASCII, and a client may send any byte
        # HTTP allows (obs-text); the scope's latin-1 decoding gives them back exactly.
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers]
        outgoing = upstream.build_request(
            request.method, request.url, headers=headers, content=request.body
        )
        try:
            response = await upstream.send(outgoing, stream=True)
        except Exception as error:  # any failure to get an answer is the upstream's: a 502
            _, recording = await asyncio.shield(opening)
            outcome, detail = outcome_of(error)
            recording.end(outcome, detail, client_left=client.left_at)
            status = 504 if outcome == "timeout" else 502
            message = f"sse-recorder proxy: upstream failed: {detail}\n".encode()
            await client.send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await client.send({"type": "http.response.body", "body": message})
            return
        try:
            _, recording = await asyncio.shield(opening)
            upstream_headers = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
            ]
            recording.response(response.status_code, upstream_headers)
            forwarded = _dropping(upstream_headers, HOP_BY_HOP)
            await client.send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in forwarded],
                }
            )
            drained = 0
            try:
                async for chunk in response.aiter_raw():
                    recording.chunk(chunk)  # on disk before the client has it
                    if client.left_at is None:
                        await client.send(
                            {"type": "http.response.body", "body": chunk, "more_body": True}
                        )
                        continue
                    drained += len(chunk)
                    if drained > self.drain_limit:
                        recording.end(
                            "client-disconnected",
                            f"the client hung up and the upstream sent more than "
                            f"{self.drain_limit} bytes after",
                            client_left=client.left_at,
                        )
                        return
            except Exception as error:  # the upstream failed mid-body
                recording.fail(error, client_left=client.left_at)
                return  # uvicorn closes the client's connection: the body stays unfinished
            recording.end("complete", client_left=client.left_at)
            await client.send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Close the upstream client of the running loop."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()


def _close_recorder(opening: asyncio.Future[tuple[CassetteRecorder, InteractionRecording]]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result()[0].close()


class _Client:
    """The proxy's client: ``send`` to it until it has left (``left_at``: when, in seconds
    since the request started)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.left_at: float | None = None

    def leave(self, t: float) -> None:
        if self.left_at is None:
            self.left_at = t

    async def send(self, message: Message) -> None:
        if self.left_at is None:
            await self._send(message)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def stderr_log(line: str) -> None:
    """The command line's log: one line per interaction on standard error."""
    print(line, file=sys.stderr, flush=True)
