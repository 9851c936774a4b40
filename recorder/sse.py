"""A sans-I/O Server-Sent Events parser that follows the WHATWG algorithm exactly.

Fed bytes, it returns events; it knows nothing of sockets, files or asyncio. Everything in
sse-recorder that judges a stream goes through it, so it also records where each event came
from (byte offset, line number, chunk index), the comments it saw, and the bytes that were not
valid UTF-8.

Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

Deliberate points (each one a place where popular parsers differ):

- UTF-8 is decoded with replacement; every invalid sequence is also reported in
  ``SSEParser.decode_errors``. Line terminators are ASCII, so decoding each line on its own
  gives exactly what decoding the whole stream would.
- One leading BOM is stripped, once, at the very start of the stream (not per event, not twice).
- CR, LF and CRLF all end a line, and a CR that ends one chunk plus an LF that starts the next
  are one line end.
- ``id`` values that contain NULL are ignored; ``retry`` accepts ASCII digits only; an event
  with an empty data buffer is not dispatched (but its ``id`` still sets the last event id).
- An event that is not finished by a blank line when the stream ends is discarded; where it
  began is kept in ``SSEParser.unfinished``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from recorder.errors import SSEError

__all__ = [
    "DecodeIssue",
    "SSEComment",
    "SSEParser",
    "ServerSentEvent",
    "encode_event",
    "parse_bytes",
]

_BOM = b"\xef\xbb\xbf"


class ServerSentEvent(NamedTuple):
    """One dispatched event and where it came from.

    ``id`` is the last event id at dispatch ('' when none was ever set); ``retry`` is the last
    valid ``retry`` field inside this event's block, else None. ``offset`` and ``line`` locate
    the first field line of the event in the body (0-based byte offset, 1-based line);
    ``chunk_index`` is the 0-based index of the fed chunk that completed it.
    """

    event: str
    data: str
    id: str = ""
    retry: int | None = None
    offset: int = 0
    line: int = 1
    chunk_index: int = 0

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict with every field."""
        return self._asdict()


class SSEComment(NamedTuple):
    """A comment line (``: ping``): keep-alives are information for a validator."""

    text: str
    offset: int
    line: int
    chunk_index: int


class DecodeIssue(NamedTuple):
    """A line that held bytes that are not valid UTF-8 (they became U+FFFD)."""

    offset: int
    line: int
    chunk_index: int


class SSEParser:
    """Incremental event-stream parser.

    >>> parser = SSEParser()
    >>> parser.feed(b"event: ping\\ndata: 1\\n")
    []
    >>> parser.feed(b"\\n")
    [ServerSentEvent(event='ping', data='1', id='', retry=None, offset=0, line=1, chunk_index=1)]
    >>> parser.close()
    []
    """

    __slots__ = (
        "_block_line",
        "_block_offset",
        "_bom_pending",
        "_buffer",
        "_chunk_index",
        "_closed",
        "_data",
        "_event_type",
        "_id_buffer",
        "_line",
        "_offset",
        "_retry",
        "_skip_lf",
        "comments",
        "decode_errors",
        "keep_comments",
        "last_event_id",
        "max_line_bytes",
        "reconnection_time",
        "unfinished",
    )

    def __init__(self, *, keep_comments: bool = True, max_line_bytes: int | None = None) -> None:
        self.keep_comments = keep_comments
        #: Refuse (``SSEError``) any line longer than this: a guard against unbounded memory
        #: when a peer sends a huge or endless event. None: no limit.
        self.max_line_bytes = max_line_bytes
        #: Comments seen so far, in order (empty when ``keep_comments`` is False).
        self.comments: list[SSEComment] = []
        #: Lines with invalid UTF-8, in order.
        self.decode_errors: list[DecodeIssue] = []
        #: The last event id string ('' when never set): set from the id buffer at every blank
        #: line, kept across events; an id inside an unfinished event never reaches it.
        self.last_event_id = ""
        self._id_buffer = ""
        #: The reconnection time in milliseconds set by the last valid ``retry`` field.
        self.reconnection_time: int | None = None
        #: After ``close()``: ``(offset, line)`` of an event the stream ended in the middle of.
        self.unfinished: tuple[int, int] | None = None
        self._buffer = b""  # bytes of an unterminated line
        self._offset = 0  # absolute offset of the first byte of _buffer
        self._line = 1  # line number of the first line in _buffer
        self._skip_lf = False  # the last fed byte was a CR: an LF next is part of it
        self._bom_pending = True
        self._chunk_index = -1
        self._closed = False
        self._data: list[str] = []
        self._event_type = ""
        self._retry: int | None = None
        self._block_offset = -1
        self._block_line = 0

    @property
    def offset(self) -> int:
        """Bytes consumed so far (the absolute offset of the next unparsed byte)."""
        return self._offset + len(self._buffer)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Parse one chunk of the body; return the events it completed."""
        if self._closed:
            raise RuntimeError("SSEParser.feed() after close()")
        self._chunk_index += 1
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                # The LF of a CRLF split across chunks: it belongs to the line already ended.
                self._offset += 1
                chunk = chunk[1:]
                if not chunk:
                    return []
        buffer = self._buffer + chunk if self._buffer else chunk
        if self._bom_pending:
            if len(buffer) < 3 and _BOM.startswith(buffer):
                self._buffer = buffer  # could still become a BOM
                return []
            self._bom_pending = False
            if buffer.startswith(_BOM):
                buffer = buffer[3:]
                self._offset += 3
        if self.max_line_bytes is not None and len(buffer) > self.max_line_bytes:
            self._check_line_lengths(buffer)
        events: list[ServerSentEvent] = []
        if b"\r" not in buffer:
            lines = buffer.split(b"\n")
            self._buffer = lines.pop()
            process = self._process_line
            offset = self._offset
            for line in lines:
                process(line, offset, events)
                offset += len(line) + 1
            self._offset = offset
        else:
            self._feed_with_cr(buffer, events)
        return events

    def _check_line_lengths(self, buffer: bytes) -> None:
        limit = self.max_line_bytes
        assert limit is not None
        offset = self._offset
        for piece in buffer.splitlines(keepends=True):
            if len(piece.rstrip(b"\r\n")) > limit:
                raise SSEError(
                    f"a line longer than {limit} bytes (a huge or endless event); "
                    "raise the limit if it is expected",
                    offset=offset,
                )
            offset += len(piece)

    def _feed_with_cr(self, buffer: bytes, events: list[ServerSentEvent]) -> None:
        pieces = buffer.splitlines(keepends=True)
        last = pieces[-1]
        if last.endswith((b"\n", b"\r")):
            self._buffer = b""
            # A CR at the very end may be the first half of a CRLF split across chunks.
            self._skip_lf = last.endswith(b"\r")
        else:
            self._buffer = pieces.pop()
        offset = self._offset
        for piece in pieces:
            end = -2 if piece.endswith(b"\r\n") else -1
            self._process_line(piece[:end], offset, events)
            offset += len(piece)
        self._offset = offset

    def close(self) -> list[ServerSentEvent]:
        """Signal the end of the stream. An unfinished event is discarded, as the spec says."""
        if self._closed:
            return []
        self._closed = True
        if self._block_offset < 0 and self._buffer and not self._buffer.startswith(b":"):
            # An unterminated field line on its own: an event that never finished either.
            self._block_offset, self._block_line = self._offset, self._line
        if self._block_offset >= 0:
            self.unfinished = (self._block_offset, self._block_line)
        self._buffer = b""
        return []

    def _decode(self, value: bytes, offset: int) -> str:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            self.decode_errors.append(DecodeIssue(offset, self._line, self._chunk_index))
            return value.decode("utf-8", "replace")

    def _process_line(self, line: bytes, offset: int, events: list[ServerSentEvent]) -> None:
        """Interpret one line (terminator removed) that starts at ``offset``."""
        if not line:
            # Dispatch (spec step 1 runs even when no event follows): the last event id
            # string takes the buffer's value only at a blank line.
            self.last_event_id = self._id_buffer
            if self._data:
                events.append(
                    ServerSentEvent(
                        self._event_type or "message",
                        "\n".join(self._data),
                        self.last_event_id,
                        self._retry,
                        self._block_offset,
                        self._block_line,
                        self._chunk_index,
                    )
                )
                self._data = []
            self._event_type = ""
            self._retry = None
            self._block_offset = -1
            self._line += 1
            return
        if line[0] == 0x3A:  # ':' starts a comment
            if self.keep_comments:
                text = self._decode(line[1:], offset)
                self.comments.append(SSEComment(text, offset, self._line, self._chunk_index))
            self._line += 1
            return
        if self._block_offset < 0:
            self._block_offset = offset
            self._block_line = self._line
        colon = line.find(b":")
        if colon < 0:
            name, value = line, b""
        else:
            name = line[:colon]
            value = line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            self._data.append(self._decode(value, offset))
        elif name == b"event":
            self._event_type = self._decode(value, offset)
        elif name == b"id":
            if b"\x00" not in value:
                self._id_buffer = self._decode(value, offset)
        elif name == b"retry":
            if value.isdigit():  # bytes.isdigit() is ASCII-only, as the spec requires
                self._retry = self.reconnection_time = int(value)
        elif not line.isascii():
            self._decode(line, offset)  # unknown field: still report invalid UTF-8 in it
        self._line += 1


def parse_bytes(
    body: bytes | Iterable[bytes], *, keep_comments: bool = True
) -> tuple[list[ServerSentEvent], SSEParser]:
    """Parse a whole body (or its chunks) and return the events and the closed parser."""
    parser = SSEParser(keep_comments=keep_comments)
    chunks = [body] if isinstance(body, bytes | bytearray) else body
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(bytes(chunk)))
    events.extend(parser.close())
    return events, parser


def encode_event(
    data: str,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """Serialize one event so that parsing it gives back ``event``, ``data``, ``id``, ``retry``.

    ``data`` may hold LF (one ``data:`` line each) but not CR, which no parsed event can hold.
    """
    if "\r" in data:
        raise ValueError("SSE data cannot contain CR: no parser could give it back")
    parts: list[str] = []
    if event is not None and event != "message":
        parts.append(f"event: {event}\n")
    if id is not None:
        parts.append(f"id: {id}\n")
    if retry is not None:
        parts.append(f"retry: {retry}\n")
    parts.extend(f"data: {line}\n" for line in data.split("\n"))
    parts.append("\n")
    return "".join(parts).encode("utf-8")
