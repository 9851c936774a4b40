"""httpx transports that record every interaction to a cassette while the caller streams it.

>>> transport = RecordingTransport("run.jsonl")                        # doctest: +SKIP
>>> with httpx.Client(transport=transport) as client:                  # doctest: +SKIP
...     with client.stream("POST", url, json=body) as response:
...         for chunk in response.iter_raw(): ...                       # recorded as it arrives

The body is never buffered: each chunk is written to the cassette (redacted) and handed to
the caller as the wrapped transport yields it, with its arrival time. If the body ends with an
error (the upstream hangs up, resets, times out), what arrived is kept, the outcome is
recorded, and the error reaches the caller unchanged. A caller that closes the response early
gets ``drain_grace`` seconds (0.1) of reading on its behalf: a body whose end was already on
the way (the ``openai`` library closes right after ``data: [DONE]``) is recorded ``complete``
with every byte; a body still going after that is recorded ``client-disconnected``.

Cassette writes are synchronous (a small append and a flush per chunk), also in the async
transport: a chunk is on disk before the caller sees it, unless body redaction holds it until
its line ends (``recorder.record.redaction``: held chunks delay the cassette, never the caller).

The same classes serve ``httpx`` and its fork ``httpx2`` (used by ``openai`` 3.x): they only
use the transport/response/stream protocol, take the module of each request to build the
stream wrapper and, when no transport is given, the default ``HTTPTransport`` of that module.
So ``openai.OpenAI(http_client=httpx2.Client(transport=RecordingTransport(path)))`` works,
and nothing imports httpx2 unless the caller did.

Requests are sent with ``Accept-Encoding: identity``: a cassette keeps the bytes of the event
stream itself, not of a compressor (the chunk boundaries would be the compressor's). An
upstream that compresses anyway is recorded raw, with its ``content-encoding`` header.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any, cast
from urllib.parse import urlsplit

import httpx

from recorder.cassette import RecordedRequest
from recorder.record.recorder import CassetteRecorder, InteractionRecording
from recorder.record.redaction import Redactor

__all__ = ["AsyncRecordingTransport", "RecordingTransport"]

_CALLER_CLOSED = "the caller closed the response before the body ended"


def _package(request: Any) -> ModuleType:
    """``httpx`` or ``httpx2``: the package whose ``Request`` this is."""
    return sys.modules[type(request).__module__.split(".", 1)[0]]


def _headers(headers: Any) -> list[tuple[str, str]]:
    encoding = headers.encoding
    return [(key.decode(encoding), value.decode(encoding)) for key, value in headers.raw]


def _recorded(request: Any, body: bytes, base_url: str | None) -> RecordedRequest:
    url = str(request.url)
    return RecordedRequest(
        method=request.method,
        url=url,
        headers=_headers(request.headers),
        body=body,
        client_path=client_path(url, base_url),
    )


def client_path(url: str, base_url: str | None) -> str | None:
    """The path ``url`` asks of ``base_url`` (``/v1/responses`` of
    ``http://gw/some/prefix/v1/responses`` on ``http://gw/some/prefix``); None when ``url``
    is not under ``base_url`` or the base has no path."""
    if base_url is None:
        return None
    base, target = urlsplit(base_url), urlsplit(url)
    prefix = base.path.rstrip("/")
    if not prefix or (base.scheme, base.netloc) != (target.scheme, target.netloc):
        return None
    if target.path == prefix:
        return "/"
    if target.path.startswith(prefix + "/"):
        return target.path[len(prefix) :]
    return None


class _SyncRecordingStream:
    """Yields the wrapped stream's chunks, recording each first."""

    def __init__(
        self, stream: Any, recording: InteractionRecording, sock: Any, grace: float
    ) -> None:
        self._stream = stream
        self._recording = recording
        self._socket = sock
        self._grace = grace
        self._iterator: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        self._iterator = iter(self._stream)
        try:
            for chunk in self._iterator:
                self._recording.chunk(chunk)
                yield chunk
        except GeneratorExit:
            raise
        except BaseException as error:
            self._recording.fail(error)
            raise
        self._recording.end("complete")

    def close(self) -> None:
        if not self._recording.ended:
            self._drain()
        self._recording.end("client-disconnected", _CALLER_CLOSED)
        self._stream.close()

    def _drain(self) -> None:
        """The caller closed before the end: keep reading for up to ``grace`` seconds, so a
        body whose end had already arrived (``openai`` stops at ``data: [DONE]`` and closes)
        is recorded ``complete``. Reading happens in a thread; if the grace runs out, the
        socket is shut down to wake it. Without a socket to shut down, nothing is drained."""
        if self._socket is None or self._grace <= 0:
            return
        iterator = self._iterator if self._iterator is not None else iter(self._stream)
        finished = threading.Event()

        def drain() -> None:
            try:
                for chunk in iterator:
                    self._recording.chunk(chunk)
                self._recording.end("complete")
            except BaseException as error:  # recorded, and the thread ends
                if not self._recording.ended:
                    self._recording.fail(error)
            finally:
                finished.set()

        threading.Thread(target=drain, name="sse-recorder drain", daemon=True).start()
        if not finished.wait(self._grace):
            self._recording.end("client-disconnected", _CALLER_CLOSED)
            with contextlib.suppress(OSError, AttributeError, ValueError):
                self._socket.shutdown(socket.SHUT_RDWR)
            finished.wait(5)


class _AsyncRecordingStream:
    """The async twin of ``_SyncRecordingStream`` (drains with a cancel scope, no thread)."""

    def __init__(
        self, stream: Any, recording: InteractionRecording, sock: Any, grace: float
    ) -> None:
        self._stream = stream
        self._recording = recording
        self._grace = grace
        self._iterator: AsyncIterator[bytes] | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self._iterator = self._stream.__aiter__()
        try:
            async for chunk in self._iterator:
                self._recording.chunk(chunk)
                yield chunk
        except GeneratorExit:
            raise
        except BaseException as error:
            self._recording.fail(error)
            raise
        self._recording.end("complete")

    async def aclose(self) -> None:
        if not self._recording.ended and self._grace > 0:
            import anyio

            iterator = self._iterator if self._iterator is not None else self._stream.__aiter__()
            with anyio.move_on_after(self._grace):
                try:
                    async for chunk in iterator:
                        self._recording.chunk(chunk)
                    self._recording.end("complete")
                except Exception as error:  # recorded; closing goes on
                    self._recording.fail(error)
        self._recording.end("client-disconnected", _CALLER_CLOSED)
        await self._stream.aclose()


_STREAM_TYPES: dict[tuple[str, bool], type[Any]] = {}


def _wrap(
    package: ModuleType, response: Any, recording: InteractionRecording, *, sync: bool, grace: float
) -> Any:
    """The recording wrapper as a subclass of the package's own ``(Sync|Async)ByteStream``
    (httpx checks the stream type with ``isinstance``)."""
    key = (package.__name__, sync)
    kind = _STREAM_TYPES.get(key)
    if kind is None:
        mixin = _SyncRecordingStream if sync else _AsyncRecordingStream
        base = package.SyncByteStream if sync else package.AsyncByteStream
        kind = _STREAM_TYPES[key] = type(f"Recording{base.__name__}", (mixin, base), {})
    sock = None
    network = response.extensions.get("network_stream")
    with contextlib.suppress(Exception):  # a transport without one: no drain on early close
        sock = network.get_extra_info("socket") if network is not None else None
    return kind(response.stream, recording, sock, grace)


class _RecordingBase:
    def __init__(
        self,
        cassette: str | os.PathLike[str],
        transport: Any = None,
        *,
        redactor: Redactor | None = None,
        profile: str | None = None,
        append: bool = False,
        durable: bool = False,
        drain_grace: float = 0.1,
        base_url: str | None = None,
    ) -> None:
        self.drain_grace = drain_grace
        self.base_url = base_url
        self.recorder = CassetteRecorder(
            cassette, redactor=redactor, profile=profile, append=append, durable=durable
        )
        self._transport = transport
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        """Where the cassette is written."""
        return str(self.recorder.path)

    def _inner(self, package: ModuleType, *, sync: bool) -> Any:
        with self._lock:
            if self._transport is None:
                default = package.HTTPTransport if sync else package.AsyncHTTPTransport
                self._transport = default()
            return self._transport

    def _prepare(self, request: Any) -> ModuleType:
        request.headers["Accept-Encoding"] = "identity"
        return _package(request)


class RecordingTransport(_RecordingBase, httpx.BaseTransport):
    """Wraps a transport (default: ``HTTPTransport()`` of the request's httpx package) and
    records every interaction to ``cassette`` (created at the first request; ``append=True``
    adds to an existing cassette). ``redactor`` defaults to ``Redactor.default()``;
    ``drain_grace`` is how long an early-closed body is still read (see the module docs);
    ``durable=True`` fsyncs every record. ``base_url``: the upstream's base when it has a path
    (a gateway such as ``https://gateway.ai.cloudflare.com/v1/ACCOUNT/GATEWAY/openai``): each
    request under it also records the path it asks of that base, so the replay server (which
    stands in for the base) answers a client pointed at it."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the wrapped transport, recording it as it streams."""
        package = self._prepare(request)
        transport = self._inner(package, sync=True)
        recording = self.recorder.start(_recorded(request, request.read(), self.base_url))
        try:
            response = transport.handle_request(request)
        except BaseException as error:
            recording.fail(error)
            raise
        recording.response(response.status_code, _headers(response.headers))
        response.stream = _wrap(package, response, recording, sync=True, grace=self.drain_grace)
        return cast(httpx.Response, response)

    def close(self) -> None:
        """Close the wrapped transport and the cassette."""
        if self._transport is not None:
            self._transport.close()
        self.recorder.close()


class AsyncRecordingTransport(_RecordingBase, httpx.AsyncBaseTransport):
    """The async twin of ``RecordingTransport`` (default: ``AsyncHTTPTransport()``)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the wrapped transport, recording it as it streams."""
        package = self._prepare(request)
        transport = self._inner(package, sync=False)
        recording = self.recorder.start(_recorded(request, await request.aread(), self.base_url))
        try:
            response = await transport.handle_async_request(request)
        except BaseException as error:
            recording.fail(error)
            raise
        recording.response(response.status_code, _headers(response.headers))
        response.stream = _wrap(package, response, recording, sync=False, grace=self.drain_grace)
        return cast(httpx.Response, response)

    async def aclose(self) -> None:
        """Close the wrapped transport and the cassette."""
        if self._transport is not None:
            await self._transport.aclose()
        self.recorder.close()
