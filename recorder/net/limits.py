"""Bounds on what a client may send a server of ours: headers, their time, the body.

uvicorn's default HTTP protocol (httptools) accepts headers of any size, waits forever for a
request whose headers are half-sent (its keep-alive timer runs only between requests), and
leaves the body to the app. ``BoundedHttpProtocol`` (pass it as uvicorn's ``http=``, as
``sse-recorder serve`` does) answers headers over ``max_header_bytes`` with a ``431`` and
closes a connection whose request headers are not complete ``header_timeout`` seconds after
its first byte (or after the connection opened) with a ``408``; ``read_limited_body`` refuses
a body over ``max_body_bytes`` with a ``413``. Each refusal is one line on the
``uvicorn.error`` log and one line of text to the client.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from recorder.net.asgi import Receive, Send

__all__ = [
    "HEADER_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "BodyTooLarge",
    "BoundedHttpProtocol",
    "read_limited_body",
    "refuse_body",
]

MAX_HEADER_BYTES = 64 * 1024
HEADER_TIMEOUT = 10.0
MAX_BODY_BYTES = 32 * 1024 * 1024

_LOG = logging.getLogger("uvicorn.error")
_REASONS = {
    408: b"Request Timeout",
    413: b"Content Too Large",
    431: b"Request Header Fields Too Large",
}


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on header size and header time."""

    max_header_bytes = MAX_HEADER_BYTES
    header_timeout = HEADER_TIMEOUT

    @classmethod
    def with_limits(
        cls,
        *,
        max_header_bytes: int = MAX_HEADER_BYTES,
        header_timeout: float = HEADER_TIMEOUT,
    ) -> type[BoundedHttpProtocol]:
        """A protocol class with other bounds (uvicorn takes a class, not an instance)."""
        return type(
            cls.__name__,
            (cls,),
            {"max_header_bytes": max_header_bytes, "header_timeout": header_timeout},
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        self._refuse(408, f"request headers not complete after {self.header_timeout:g} s")

    def _refuse(self, status: int, why: str) -> None:
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        client = "%s:%d" % self.client if self.client else "a client"  # noqa: UP031
        _LOG.warning("sse-recorder: refused a request from %s: %s (%d)", client, why, status)
        body = f"sse-recorder: {why}\n".encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (status, _REASONS[status], len(body), body)
        )
        self.transport.close()

    # Once refused, the connection is closing: the rest of the bytes already read is parsed
    # (the parser cannot be stopped from a callback without uvicorn logging a second line),
    # but nothing more is kept and no request reaches the app.

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        self._arm()
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        if self._within(len(url)):
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._within(len(name) + len(value) + 4):
            super().on_header(name, value)

    def _within(self, size: int) -> bool:
        self._head_bytes += size
        if self._head_bytes > self.max_header_bytes:
            self._refuse(431, f"request headers over {self.max_header_bytes} bytes")
        return not self._refused

    def on_headers_complete(self) -> None:
        self._disarm()
        if not self._refused:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()


class BodyTooLarge(Exception):
    """A request body over the limit (``size``: what was announced or read so far)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.size, self.limit = size, limit


async def read_limited_body(
    scope: Any, receive: Receive, limit: int = MAX_BODY_BYTES
) -> bytes | None:
    """The whole request body, or None when the client went away first; ``BodyTooLarge``
    when its ``content-length`` says, or its bytes show, that it is over ``limit``."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length" and value.strip().isdigit() and int(value) > limit:
            raise BodyTooLarge(int(value), limit)
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > limit:
            raise BodyTooLarge(len(body), limit)
        if not message.get("more_body", False):
            return bytes(body)


async def refuse_body(scope: Any, send: Send, error: BodyTooLarge) -> None:
    """Answer ``413`` with one line, and say so in one line on the server's log."""
    client = scope.get("client")
    where = "%s:%d" % tuple(client) if client else "a client"  # noqa: UP031
    _LOG.warning("sse-recorder: refused a request from %s: %s (413)", where, error)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": f"sse-recorder: {error}\n".encode()})
