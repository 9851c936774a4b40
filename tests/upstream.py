"""A scriptable upstream for tests: real sockets, real gaps, real faults.

``Upstream`` is an ASGI app serving ``Script`` responses by ``(METHOD, path)``, run on
127.0.0.1 with ``recorder.net.serving.BackgroundServer``:

    upstream = Upstream({("POST", "/v1/threads/runs"): Script.from_cassette(path)})
    with upstream.serve() as server:
        ...                                  # requests to server.url + "/v1/threads/runs"
    upstream.requests                        # every request received, as ``Received``

``Script(chunks, status=200, headers=..., gap=0.005, end="complete")`` sends the headers, then
each chunk followed by ``gap`` seconds (a float, or one per chunk), then ends the body as
``end`` says:

- ``"complete"``: a normal end;
- ``"hang-up"``: drop the connection mid-body (the client sees an incomplete chunked body);
- ``"hold"``: keep the response open until ``upstream.release`` is set or the client goes
  away (``upstream.disconnected`` is set then: proof that a request was cancelled).

``gate_after=N`` makes the script wait for ``upstream.gate`` (a ``threading.Event`` the test
sets) after sending chunk ``N`` (1-based): the "never buffers" proof. ``upstream.sent`` is set
each time a chunk went out. ``Script.from_cassette(path, interaction=0)`` serves a recorded
body split into events (one chunk per event); ``Script.json(obj)`` a JSON response.

``upstream = module_upstream(SCRIPTS)`` in a test module defines a module-scoped ``upstream``
fixture yielding ``(url, Upstream)``.

``reset_server(head, body, before_reset=None)`` is a raw TCP server (a context manager
yielding its URL) that answers every connection with ``head`` and the start of ``body``, waits
for ``before_reset`` (a ``threading.Event``, if given), then resets the connection (RST, via
``SO_LINGER`` 0): the fault no HTTP framework will produce on purpose.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# Imported at collection, before any test runs: pytester's in-process runs (tests/test_plugin.py)
# snapshot and restore sys.modules, and a transport package first imported inside one would be
# imported twice, leaving httpx mapping the exceptions of one copy while raising the other's.
import httpcore  # noqa: F401
import httpcore2  # noqa: F401
import pytest

from recorder.cassette import load_cassette
from recorder.net.serving import BackgroundServer

SSE_HEADERS = (("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache"))


def split_events(body: bytes) -> list[bytes]:
    """Split an SSE body after each blank line (one chunk per event, nothing lost)."""
    chunks: list[bytes] = []
    start = 0
    normalized = body.replace(b"\r\n", b"\n")
    if normalized != body:
        return [body]
    while True:
        end = body.find(b"\n\n", start)
        if end < 0:
            break
        chunks.append(body[start : end + 2])
        start = end + 2
    if start < len(body):
        chunks.append(body[start:])
    return chunks


@dataclass
class Script:
    """One scripted response (see the module docstring)."""

    chunks: Sequence[bytes]
    status: int = 200
    headers: Sequence[tuple[str, str]] = SSE_HEADERS
    gap: float | Sequence[float] = 0.005
    end: Literal["complete", "hang-up", "hold"] = "complete"
    gate_after: int | None = None

    @classmethod
    def from_cassette(cls, path: str | Path, interaction: int = 0, **options: Any) -> Script:
        """Serve the body of a recorded interaction, one chunk per event."""
        body = load_cassette(path).interactions[interaction].body
        return cls(split_events(body), **options)

    @classmethod
    def json(cls, payload: object, status: int = 200) -> Script:
        """A plain JSON response."""
        return cls(
            [json.dumps(payload).encode()],
            status=status,
            headers=[("content-type", "application/json")],
            gap=0,
        )

    def gap_after(self, index: int) -> float:
        if isinstance(self.gap, int | float):
            return float(self.gap)
        return self.gap[index] if index < len(self.gap) else 0.0


@dataclass
class Received:
    """A request as the upstream saw it."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)


@dataclass
class Upstream:
    """The scripted ASGI upstream (see the module docstring)."""

    routes: dict[tuple[str, str], Script | Callable[[Received], Script]]
    requests: list[Received] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    disconnected: threading.Event = field(default_factory=threading.Event)
    sent: threading.Event = field(default_factory=threading.Event)

    def serve(self) -> BackgroundServer:
        """A server for this app on a free 127.0.0.1 port (use as a context manager)."""
        return BackgroundServer(self)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        received = Received(
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"].decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            body=body,
        )
        self.requests.append(received)
        route = self.routes.get((scope["method"], scope["path"]))
        if route is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no such route"})
            return
        script = route(received) if callable(route) else route
        gone = asyncio.Event()
        watcher = asyncio.ensure_future(self._watch(receive, gone))
        try:
            await self._play(script, send, gone)
        finally:
            watcher.cancel()

    async def _watch(self, receive: Any, gone: asyncio.Event) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()
        self.disconnected.set()

    async def _wait(self, event: threading.Event, gone: asyncio.Event) -> None:
        # The test thread sets a threading.Event; poll it without blocking the loop.
        while not event.is_set() and not gone.is_set():
            await asyncio.sleep(0.001)

    async def _play(self, script: Script, send: Any, gone: asyncio.Event) -> None:
        headers = [(k.encode(), v.encode()) for k, v in script.headers]
        await send({"type": "http.response.start", "status": script.status, "headers": headers})
        for index, chunk in enumerate(script.chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            self.sent.set()
            if script.gate_after == index + 1:
                await self._wait(self.gate, gone)
            gap = script.gap_after(index)
            if gap:
                await asyncio.sleep(gap)
        if script.end == "hang-up":
            return  # uvicorn closes the connection: the body is cut short
        if script.end == "hold":
            await self._wait(self.release, gone)
            if gone.is_set():
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


Route = Script | Callable[[Received], Script]


def module_upstream(scripts: Mapping[tuple[str, str], Route]) -> Any:
    """A module-scoped fixture named ``upstream``: ``(url, app)`` of an ``Upstream`` serving
    ``scripts``; held responses are released before the server stops."""

    @pytest.fixture(scope="module")
    def upstream() -> Iterator[tuple[str, Upstream]]:
        app = Upstream(dict(scripts))
        with app.serve() as server:
            try:
                yield server.url, app
            finally:
                app.release.set()

    return upstream


@contextmanager
def reset_server(
    head: bytes, body: bytes, before_reset: threading.Event | None = None
) -> Iterator[str]:
    """A TCP server that sends ``head`` and ``body`` and then resets each connection (after
    ``before_reset`` is set, if given: so the client surely read the body first)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                request = b""
                while b"\r\n\r\n" not in request:
                    data = connection.recv(65536)
                    if not data:
                        break
                    request += data
                connection.sendall(head + body)
                if before_reset is not None:
                    before_reset.wait(10)
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        host, port = listener.getsockname()
        yield f"http://{host}:{port}"
    finally:
        stop.set()
        listener.close()
        thread.join(5)
