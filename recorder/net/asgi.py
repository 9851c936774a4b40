"""Plain-ASGI pieces shared by the replay server, the recording proxy and the pytest plugin.

No framework: these apps only read a request, then write bytes exactly as a cassette says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from recorder.cassette import RecordedRequest

__all__ = ["HOP_BY_HOP", "Message", "Receive", "Scope", "Send", "read_body", "request_from_scope"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Headers that describe one connection, not the message (RFC 9110 section 7.6.1): never
#: forwarded by the proxy, never replayed by the server.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client went away before sending it."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return bytes(body)


def request_from_scope(scope: Scope, body: bytes, *, base: str | None = None) -> RecordedRequest:
    """The request an ASGI ``scope`` describes; its URL on ``base`` (default: its own Host)."""
    path = (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    headers = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
    ]
    if base is None:
        host = next((value for name, value in headers if name.lower() == "host"), "replay")
        base = f"{scope.get('scheme', 'http')}://{host}"
    url = base + path + (f"?{query}" if query else "")
    return RecordedRequest(method=scope["method"], url=url, headers=headers, body=body)
