"""The recording reverse proxy: any client in any language records by changing its base URL.

``RecordingProxy(upstream, directory)`` is a plain ASGI app (run it with
``recorder.net.serving``; ``sse-recorder proxy`` does). Every request is forwarded to
``upstream`` + its path and query; every response chunk goes back to the client the moment it
arrives (no buffering; asyncio sockets have Nagle off) and is recorded, redacted, with its
arrival time, to its own cassette in ``directory``: ``0001-POST-threads-runs.jsonl``
(order, method, endpoint without version and ids). Numbers continue after the highest one in
the directory and each name is claimed with an exclusive create: nothing is ever overwritten.

- Hop-by-hop headers are dropped both ways; ``Host`` and ``Content-Length`` are set by the
  upstream client.
- ``Accept-Encoding: identity`` is asked of the upstream, so the recorded chunks are the event
  bytes themselves. Bytes are forwarded raw: if the upstream compresses anyway, the client gets
  (and the cassette keeps) exactly those bytes with their ``content-encoding``.
- The client goes away mid-body: the upstream request is closed at once (the upstream sees
  the connection drop) and the interaction ends ``client-disconnected``.
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
from recorder.net.asgi import HOP_BY_HOP, Receive, Scope, Send, read_body, request_from_scope
from recorder.record.recorder import CassetteRecorder, InteractionRecording, outcome_of
from recorder.record.redaction import Redactor

__all__ = ["SERVER_OPTIONS", "RecordingProxy", "cassette_name"]

SERVER_OPTIONS: dict[str, Any] = {"server_header": False, "date_header": False}

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
    ) -> None:
        self.upstream = upstream.rstrip("/")
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
        request = received.model_copy(update={"headers": headers})
        # The upstream request goes first and the client gets its first byte before the
        # cassette file is created (file creation and the first records are the slowest
        # step, and a worker thread doing them meanwhile competes for the GIL). Times count
        # from ``started``, so the record is as exact as if it had been opened at once.
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        lazy = _LazyRecording(
            lambda: loop.run_in_executor(
                None, self._open, scope["method"], scope["path"], request, started
            )
        )
        forward = asyncio.ensure_future(self._forward(request, lazy, send))
        watch = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait({forward, watch}, return_when=asyncio.FIRST_COMPLETED)
            if not forward.done():
                forward.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await forward
                recording = await lazy.open()  # also records what was forwarded meanwhile
                recording.end("client-disconnected", "the client closed the connection")
            else:
                watch.cancel()
                forward.result()
        finally:
            recording = await lazy.open()
            lazy.close()
        if self.log is not None:
            self.log(
                f"{scope['method']} {scope['path']} -> {recording.outcome}, "
                f"{recording.chunk_count} chunks, {recording.size} bytes: {lazy.path}"
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

    async def _forward(self, request: RecordedRequest, lazy: _LazyRecording, send: Send) -> None:
        client = self._client()
        # As bytes: httpx encodes str header values as ASCII, and a client may send any byte
        # HTTP allows (obs-text); the scope's latin-1 decoding gives them back exactly.
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers]
        outgoing = client.build_request(
            request.method, request.url, headers=headers, content=request.body
        )
        try:
            response = await client.send(outgoing, stream=True)
        except Exception as error:  # any failure to get an answer is the upstream's: a 502
            outcome, detail = outcome_of(error)
            (await lazy.open()).end(outcome, detail)
            status = 504 if outcome == "timeout" else 502
            message = f"sse-recorder proxy: upstream failed: {detail}\n".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": message})
            return
        try:
            headers_at = time.perf_counter()
            upstream_headers = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
            ]
            forwarded = _dropping(upstream_headers, HOP_BY_HOP)
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in forwarded],
                }
            )
            lazy.response = (response.status_code, upstream_headers, headers_at)
            try:
                async for chunk in response.aiter_raw():
                    arrived = time.perf_counter()
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    lazy.pending.append((chunk, arrived))
                    await lazy.open()  # after the first chunk is out: opens the cassette once
            except Exception as error:  # the upstream failed mid-body
                (await lazy.open()).fail(error)
                return  # uvicorn closes the client's connection: the body stays unfinished
            (await lazy.open()).end("complete")
            await send({"type": "http.response.body", "body": b"", "more_body": False})
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


Opened = tuple[CassetteRecorder, InteractionRecording]


class _LazyRecording:
    """One interaction's recording, opened on first need (after the client has its first
    byte). What was forwarded before it opened waits in ``response`` and ``pending`` and is
    written, with its real arrival times, as soon as it is open, even if the forwarding
    task was cancelled meanwhile (a client hanging up)."""

    def __init__(self, start: Callable[[], asyncio.Future[Opened]]) -> None:
        self._start = start
        self._future: asyncio.Future[Opened] | None = None
        self._recorder: CassetteRecorder | None = None
        #: status, headers, and ``time.perf_counter()`` when they arrived
        self.response: tuple[int, list[tuple[str, str]], float] | None = None
        #: chunks forwarded but not yet written, with ``time.perf_counter()`` arrival times
        self.pending: list[tuple[bytes, float]] = []

    async def open(self) -> InteractionRecording:
        """The open recording, with everything forwarded so far written to it."""
        if self._future is None:
            self._future = self._start()
        self._recorder, recording = await asyncio.shield(self._future)
        if self.response is not None:
            status, headers, arrived = self.response
            recording.response(status, headers, arrived - recording.started)
            self.response = None
        for chunk, arrived in self.pending:
            recording.chunk(chunk, arrived - recording.started)
        self.pending.clear()
        return recording

    @property
    def path(self) -> str:
        return str(self._recorder.path) if self._recorder is not None else "(not opened)"

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.close()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def stderr_log(line: str) -> None:
    """The command line's log: one line per interaction on standard error."""
    print(line, file=sys.stderr, flush=True)
