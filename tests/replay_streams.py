"""Helpers for the replayer's tests: small synthetic cassettes and a raw HTTP/1.1 reader.

The raw reader exists because a normal client joins bytes as they arrive: to prove the server
writes one HTTP chunk per recorded chunk, the test reads the chunked framing itself.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse
from recorder.wire.sse import encode_event


def event_bytes(name: str, data: object, line_end: str = "\n") -> bytes:
    """One event: ``event: name`` + one data line (JSON unless a string) + a blank line."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return encode_event(text, event=name).replace(b"\n", line_end.encode())


def run_events(count: int = 5) -> list[tuple[str, object]]:
    """``count`` message deltas then ``done``: a stream with count + 1 events."""
    events: list[tuple[str, object]] = [
        ("thread.message.delta", {"id": "msg_1", "object": "thread.message.delta", "n": n})
        for n in range(count)
    ]
    events.append(("done", "[DONE]"))
    return events


def stream_cassette(
    events: list[tuple[str, object]] | None = None,
    *,
    gap: float = 0.0,
    url: str = "https://api.openai.com/v1/threads/thread_1/runs",
    headers: list[tuple[str, str]] | None = None,
    outcome: str = "complete",
    line_end: str = "\n",
    split: int | None = None,
    request_body: bytes = b"",
) -> Cassette:
    """A one-interaction cassette: one chunk per event at ``gap`` s apart (or ``split`` bytes)."""
    bodies = [event_bytes(name, data, line_end) for name, data in (events or run_events())]
    if split is not None:
        joined = b"".join(bodies)
        bodies = [joined[i : i + split] for i in range(0, len(joined), split)]
    chunks = [Chunk(t=round(0.01 + gap * n, 6), data=body) for n, body in enumerate(bodies)]
    interaction = Interaction(
        request=RecordedRequest(method="POST", url=url, body=request_body),
        response=RecordedResponse(
            status=200,
            headers=headers or [("content-type", "text/event-stream; charset=utf-8")],
            t=0.005,
        ),
        chunks=chunks,
        outcome=outcome,  # type: ignore[arg-type]
        ended_at=chunks[-1].t if chunks else 0.0,
    )
    return Cassette(interactions=[interaction], profile="assistants")


def json_interaction(url: str, payload: object, method: str = "GET") -> Interaction:
    """A plain JSON interaction (retrieve, list, cancel)."""
    return Interaction(
        request=RecordedRequest(method=method, url=url),
        response=RecordedResponse(status=200, headers=[("content-type", "application/json")]),
        chunks=[Chunk(t=0.0, data=json.dumps(payload).encode())],
        outcome="complete",
        ended_at=0.0,
    )


@dataclass
class RawResponse:
    """What the raw reader saw: status, headers, the HTTP chunks, and whether the body ended."""

    status: int
    headers: list[tuple[str, str]]
    chunks: list[bytes]
    complete: bool

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


def raw_request(url: str, method: str = "POST", body: bytes = b"{}") -> RawResponse:
    """Send one HTTP/1.1 request on a fresh socket; read the chunked response frame by frame."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        head = (
            f"{method} {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        reader = sock.makefile("rb")
        status = int(reader.readline().split()[1])
        headers: list[tuple[str, str]] = []
        while (line := reader.readline().rstrip(b"\r\n")) != b"":
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip().lower(), value.strip()))
        chunks: list[bytes] = []
        assert ("transfer-encoding", "chunked") in headers, headers
        while True:
            size_line = reader.readline()
            if not size_line:
                return RawResponse(status, headers, chunks, complete=False)
            size = int(size_line.strip().split(b";")[0], 16)
            if size == 0:
                reader.readline()
                return RawResponse(status, headers, chunks, complete=True)
            data = reader.read(size)
            reader.readline()
            if len(data) < size:
                chunks.append(data)
                return RawResponse(status, headers, chunks, complete=False)
            chunks.append(data)
