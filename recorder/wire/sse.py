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
- ``id`` values that contain NULL are ignored; ``retry`` accepts ASCII digits only (and ignores
  a value past Python's ``int()`` digit limit, over 10**4300 ms); an event with an empty data
  buffer is not dispatched (but its ``id`` still sets the last event id).
- An event that is not finished by a blank line when the stream ends is discarded; where it
  began is kept in ``SSEParser.unfinished``.

Speed: the algorithm is a loop over lines (``SSEParser._process_lines``), but most events are
``event: NAME`` / ``data: VALUE`` / blank, or just ``data: VALUE`` / blank, and for those the
outcome is known without it. Where chunks hold only LF line ends, runs of such events are
taken whole (``SSEParser._process_block``), falling back to the loop at the first line that
is anything else; the tests check that nothing a caller can see differs between the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from itertools import accumulate, islice, repeat
from operator import add, is_
from typing import NamedTuple

from recorder.errors import SSEError

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "DecodeIssue",
    "SSEComment",
    "SSEParser",
    "ServerSentEvent",
    "encode_event",
    "parse_bytes",
]

_BOM = b"\xef\xbb\xbf"

#: The longest line a parser accepts by default: far beyond any real event, small enough that a
#: peer sending an endless line gets an ``SSEError`` instead of all the memory.
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024


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


# NamedTuple's generated __new__ costs a Python call per event; the parser builds its events
# with tuple.__new__ directly (same object, measured ~20% faster on the hot path).
_new_event = tuple.__new__

#: The same for the bulk fast path, called by ``map`` over tuples of fields: no Python frame.
_make_event = partial(tuple.__new__, ServerSentEvent)
_removeprefix = bytes.removeprefix
_decode = bytes.decode
#: Runs of simple events this long or longer are built in bulk (``SSEParser._simple_run``);
#: shorter ones one by one (``SSEParser._simple_events``), which costs less to start.
_BULK_MIN = 32
#: How many events ``_simple_run`` examines at once: it starts small, doubles while whole
#: windows are simple events, shrinks to twice a shorter run, and is 0 (bulk off) after a
#: run too short for it, until ``_simple_events`` takes a long run again; so a stream that
#: breaks runs often does not pay for examining lines it cannot take.
_WINDOW_MIN = 32
#: The bound keeps a window's lines and objects within the CPU's caches.
_WINDOW_MAX = 1024
#: After the fast path stops at an event it does not take, that event goes to
#: ``_process_lines``; if it keeps stopping after short runs, the next 8, 16, 32 ... up to
#: this many lines go there too, so that trying costs little even on a stream it never takes
#: (``id:`` or comment lines everywhere, say).
_SLOW_MAX = 512
#: A run of this many lines or more (five events or so, over any number of chunks) ends a
#: series of stops.
_RUN_RESETS = 16
#: Bytes of a big fed buffer handed to ``SSEParser._process_block`` at a time (buffers over
#: ``_BIG``: see ``SSEParser._feed_big``).
_PIECE = 65536
_BIG = 2 * _PIECE
#: ``event: NAME`` lines already seen -> the event type they give ('message' for an empty
#: name). Event names repeat all through a stream; bounded, and short lines only.
_EVENT_TYPES: dict[bytes, str] = {}
_EVENT_TYPES_MAX = 512
_EVENT_LINE_MAX = 128


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
        "_buffered",
        "_chunk_index",
        "_closed",
        "_data",
        "_deferred",
        "_event_type",
        "_fast",
        "_id_buffer",
        "_line",
        "_misses",
        "_offset",
        "_retry",
        "_run",
        "_skip_lf",
        "_slow",
        "_window",
        "comments",
        "decode_errors",
        "keep_comments",
        "last_event_id",
        "max_line_bytes",
        "reconnection_time",
        "unfinished",
    )

    #: False sends every line through ``_process_lines``, the general per-line algorithm that
    #: the fast path (``_process_block``) is tested against. Private: for the tests.
    _fast_path = True

    def __init__(
        self, *, keep_comments: bool = True, max_line_bytes: int | None = DEFAULT_MAX_LINE_BYTES
    ) -> None:
        self.keep_comments = keep_comments
        #: Refuse (``SSEError``) any line longer than this: a guard against unbounded memory
        #: when a peer sends a huge or endless event (default 16 MiB). None: no limit.
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
        # Bytes not parsed yet: the lines of an unfinished simple event held back by the fast
        # path (``_process_block``; ``_deferred`` bytes, complete lines), then the pieces of
        # an unterminated line.
        self._buffer: list[bytes] = []
        self._buffered = 0  # their total size
        self._deferred = 0
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
        self._fast = self._fast_path
        self._window = _WINDOW_MIN
        self._slow = 0  # lines still to go to _process_lines before trying the fast path
        self._misses = 0  # fast path stops after short runs, in a row
        self._run = 0  # lines the fast path took since it last stopped

    @property
    def offset(self) -> int:
        """Bytes consumed so far (the absolute offset of the next unparsed byte)."""
        return self._offset + self._buffered

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
        if b"\n" not in chunk and b"\r" not in chunk:
            # No line ends: park the piece. Joining only once a line ends keeps a huge line
            # fed in small chunks linear instead of quadratic.
            self._buffer.append(chunk)
            self._buffered += len(chunk)
            # The BOM is not part of the first line: stripped before the length is checked
            # (else the limit counted it only when it shared a chunk with the line); while
            # fewer than 3 bytes are buffered they may still be a BOM.
            if self._bom_pending and self._buffered >= 3:
                self._strip_bom()
            if (
                self.max_line_bytes is not None
                and self._buffered - self._deferred > self.max_line_bytes
                and not self._bom_pending
            ):
                if self._deferred:
                    self._undefer()
                self._too_long(self._offset)
            return []
        if (
            self._deferred
            and self.max_line_bytes is not None
            and self._buffered + len(chunk) > self.max_line_bytes
        ):
            self._undefer()  # a line may be too long: the state at the SSEError must be exact
        buffer = b"".join(self._buffer) + chunk if self._buffer else chunk
        self._buffer = []
        self._buffered = 0
        self._deferred = 0
        if self._bom_pending:
            if len(buffer) < 3 and _BOM.startswith(buffer):
                self._buffer, self._buffered = [buffer], len(buffer)
                return []
            self._bom_pending = False
            if buffer.startswith(_BOM):
                buffer = buffer[3:]
                self._offset += 3
        events: list[ServerSentEvent] = []
        fast = False
        if b"\r" not in buffer:
            if self._fast and len(buffer) > _BIG:
                self._feed_big(buffer, events)
                return events
            lines = buffer.split(b"\n")
            rest = lines.pop()
            count = len(lines)
            # The usual case, LF line ends only: the fast path (see _process_block), unless
            # there is at most one event (nothing to gain) or every line goes to
            # _process_lines anyway.
            fast = self._fast and count > 3 and self._slow < count
            if fast:
                sizes = []
            else:
                if self._slow:
                    self._slow = self._slow - count if self._slow > count else 0
                sizes = [len(line) + 1 for line in lines]
        else:
            lines = buffer.splitlines(keepends=True)
            rest = lines.pop() if not lines[-1].endswith((b"\n", b"\r")) else b""
            # A CR at the very end may be the first half of a CRLF split across chunks.
            self._skip_lf = not rest and lines[-1].endswith(b"\r")
            sizes = [len(line) for line in lines]
            lines = [line.rstrip(b"\r\n") if line[-1:] in b"\r\n" else line for line in lines]
        if self.max_line_bytes is not None and len(buffer) > self.max_line_bytes:
            # Only then can a line be too long: skips a Python loop per line on the hot path.
            self._check_line_lengths(lines, sizes or [len(line) + 1 for line in lines], rest)
        if rest:
            self._buffer, self._buffered = [rest], len(rest)
        if fast:
            self._process_block(lines, events)
        else:
            self._process_lines(lines, sizes, events)
        return events

    def _feed_big(self, buffer: bytes, events: list[ServerSentEvent]) -> None:
        """``feed`` for a big buffer (LF line ends only): a piece at a time.

        Each piece but the last ends with a blank line, so the fast path's passes over a
        piece's lines stay in the CPU's caches instead of going over megabytes each time.
        """
        end = buffer.rfind(b"\n") + 1  # the chunk held a line end: the buffer does
        rest = buffer[end:]
        limit = self.max_line_bytes
        if limit is not None and len(buffer) > limit:
            lines = buffer[: end - 1].split(b"\n")
            if len(rest) > limit or max(map(len, lines)) > limit:
                self._check_line_lengths(lines, [len(line) + 1 for line in lines], rest)
        if rest:
            self._buffer, self._buffered = [rest], len(rest)
        start = 0
        while end - start > _BIG:
            cut = buffer.rfind(b"\n\n", start, start + _PIECE)
            if cut < 0:  # no blank line near: the rest in one piece
                break
            self._process_block(buffer[start : cut + 1].split(b"\n"), events)
            start = cut + 2
        self._process_block(buffer[start : end - 1].split(b"\n") if start < end else [], events)

    def _undefer(self) -> None:
        """Parse the lines the fast path held back (see ``_process_block``) now.

        Used before an ``SSEError`` may be raised, so that the parser's state then is what it
        would have been had they never been held back. They were chosen to be lines whose
        parsing depends on nothing but the state they found, which this leaves untouched.
        """
        held = self._buffer.pop(0)
        self._buffered -= len(held)
        self._deferred = 0
        lines = held.split(b"\n")
        lines.pop()
        self._process_lines(lines, [len(line) + 1 for line in lines], [])

    def _strip_bom(self) -> None:
        joined = b"".join(self._buffer)
        self._bom_pending = False
        if joined.startswith(_BOM):
            joined = joined[3:]
            self._offset += 3
        self._buffer, self._buffered = ([joined] if joined else []), len(joined)

    def _too_long(self, offset: int) -> None:
        raise SSEError(
            f"a line longer than {self.max_line_bytes} bytes (a huge or endless event)",
            offset=offset,
        )

    def _check_line_lengths(self, lines: list[bytes], sizes: list[int], rest: bytes) -> None:
        limit = self.max_line_bytes
        assert limit is not None
        offset = self._offset
        for line, size in zip(lines, sizes, strict=True):
            if len(line) > limit:
                self._too_long(offset)
            offset += size
        if len(rest) > limit:
            self._too_long(offset)

    def _process_block(self, lines: list[bytes], events: list[ServerSentEvent]) -> None:
        """Interpret complete lines that each ended with an LF (none held a CR).

        The fast path. Between events (no field line since the last blank line), runs of
        simple events are taken whole by ``_simple_run`` (long runs, in bulk) and
        ``_simple_events``. Where they stop, the event they did not take goes through
        ``_process_lines``, the general per-line code, up to and including its blank line,
        after which the parser is between events again (more lines go there while the fast
        path keeps stopping soon: see ``_SLOW_MAX``). Both keep ``_offset`` and ``_line`` up
        to date, so either may follow the other.

        An unfinished simple event at the end (its ``event:`` and/or ``data:`` line, the blank
        line still to come) is not parsed yet: it goes back into ``_buffer`` ahead of the
        unterminated line, so that the next chunk completes it and the fast path takes it
        whole. Nothing observable differs: such lines add no comment, no decode error and no
        reconnection time, and set nothing a caller sees before their blank line.
        """
        count = len(lines)
        end = count  # lines[end:]: the end of an unfinished event, one or two lines
        if count and lines[-1]:
            if count == 1:
                end = 0
            elif not lines[-2]:
                end = count - 1
            elif count == 2:
                end = 0
            elif not lines[-3]:
                end = count - 2
        start = 0
        while start < end:
            if self._block_offset < 0 and not self._slow:  # between events
                taken = 0
                while self._window and end - start - taken >= 2 * _BULK_MIN:
                    bulk = self._simple_run(lines, start + taken, end, events)
                    if not bulk:
                        break
                    taken += bulk
                taken += self._simple_events(lines, start + taken, end, events)
                start += taken
                self._run += taken
                if start >= end:
                    break
                # Stopped at an event the fast path does not take: that one goes line by
                # line, and if the fast path keeps stopping soon, more after it.
                if self._run >= _RUN_RESETS:
                    self._misses = 0
                elif self._misses:
                    self._slow = min(4 << self._misses, _SLOW_MAX)
                self._misses = min(self._misses + 1, _SLOW_MAX.bit_length())
                self._run = 0
            if self._slow:  # the next ``_slow`` lines, one by one
                stop = min(start + self._slow, end)
                self._slow -= stop - start
            else:  # the rest of the current event, up to its blank line
                try:
                    stop = lines.index(b"", start, end) + 1
                except ValueError:  # no blank line left: the event goes on in the next chunk
                    stop = end
            segment = lines[start:stop]
            self._process_lines(segment, [len(line) + 1 for line in segment], events)
            start = stop
        if end < count:
            tail = lines[end:]
            if self._block_offset < 0 and _simple_start(tail):
                deferred = b"\n".join(tail) + b"\n"
                self._buffer.insert(0, deferred)
                self._buffered += len(deferred)
                self._deferred = len(deferred)
            else:
                self._process_lines(tail, [len(line) + 1 for line in tail], events)

    def _simple_run(
        self, lines: list[bytes], start: int, end: int, events: list[ServerSentEvent]
    ) -> int:
        """Dispatch a run of simple events of one shape in bulk; return the lines taken.

        The same events as ``_simple_events`` (which see) from ``lines[start:end]``, when at
        least ``_BULK_MIN`` of them in a row have the same shape (all with an ``event:`` line,
        or all without): the lines are checked and the events built with C-level calls
        (``map``, ``zip``, ``accumulate`` over strided slices of ``lines``) instead of a
        Python loop. Returns 0 for a shorter run, for ``_simple_events`` to take.
        """
        first = lines[start]
        if first.startswith(b"data: "):
            period = 2
        elif first.startswith(b"event: "):
            period = 3
        else:
            return 0
        window = min(self._window, (end - start) // period)
        if window < _BULK_MIN:
            return 0
        # The run: as many events as end with a blank line where the shape puts one ...
        blanks = lines[start + period - 1 : start + period * window : period]
        run = window
        if b"".join(blanks):
            run = list(map(bool, blanks)).index(True)
        names: list[bytes] = []
        types: Iterable[str | None] = repeat("message")
        stripped: list[bytes] = []
        data: list[str] = []
        if run >= _BULK_MIN and period == 3:
            # ... whose ``event: NAME`` lines are (cached) valid names ...
            names = lines[start : start + 3 * run : 3]
            types = list(map(_EVENT_TYPES.get, names))
            if None in types:
                run = _event_types(names, types)
        if run >= _BULK_MIN:
            # ... whose value lines all begin with ``data: `` ...
            values = lines[start + period - 2 : start + period * run : period]
            stripped = list(map(_removeprefix, values, repeat(b"data: ")))
            if any(map(is_, stripped, values)):  # a line without the prefix: as it was
                run = list(map(is_, stripped, values)).index(True)
                stripped = stripped[:run]
            # ... and are valid UTF-8.
            try:
                data = list(map(_decode, stripped))
            except UnicodeDecodeError:
                for value in stripped:
                    try:
                        data.append(value.decode())
                    except UnicodeDecodeError:
                        break
                run = len(data)
        if run < _BULK_MIN:
            self._window = 0
            return 0
        if run == window:
            self._window = min(self._window * 2, _WINDOW_MAX)
        else:
            self._window = max(_WINDOW_MIN, 2 * run)
        offset = self._offset
        number = self._line
        taken = period * run
        # Offsets: an event's lines are its name line, ``data: `` and its value, and 2 or 3 LFs.
        step = period + 6
        value_sizes = map(len, stripped)
        sizes = list(
            accumulate(map(add, map(len, names), value_sizes) if names else value_sizes, initial=0)
        )
        events.extend(
            map(
                _make_event,
                zip(
                    types,
                    data,
                    repeat(self._id_buffer),
                    repeat(None),
                    map(add, sizes, range(offset, offset + step * run, step)),
                    range(number, number + taken, period),
                    repeat(self._chunk_index),
                    strict=False,  # stops with ``data``, ``run`` long
                ),
            )
        )
        self.last_event_id = self._id_buffer
        self._offset = offset + sizes[run] + step * run
        self._line = number + taken
        return taken

    def _simple_events(
        self, lines: list[bytes], start: int, end: int, events: list[ServerSentEvent]
    ) -> int:
        """Dispatch the simple events that follow one another in ``lines[start:end]``.

        Called between events only. A simple event is ``event: NAME``, ``data: VALUE``, blank,
        or ``data: VALUE``, blank, with that exact spacing and valid UTF-8: what
        ``_process_lines`` would make of its lines is known at once (the type, the data, the
        id buffer as ``id``, no ``retry``, the first line's position, and the last event id
        set at its blank line), so they are taken as a whole instead of one by one. Stops at
        the first event that is not one, and returns the number of lines taken;
        ``_process_lines`` goes on from there, and records any decode error as it always does.
        """
        offset = self._offset
        number = self._line
        id_buffer = self._id_buffer
        chunk_index = self._chunk_index
        append = events.append
        known_type = _EVENT_TYPES.get
        new = _new_event
        event_class = ServerSentEvent
        index = start
        while index < end:
            before = number
            # The lines from ``index`` to ``end``, taken two or three at a time below. A list
            # iterator moved with ``__setstate__`` (what pickling it uses) starts there at no
            # cost, where ``islice`` would step over every line before ``index``.
            rest = iter(lines)
            rest.__setstate__(index)  # type: ignore[attr-defined]
            rest = islice(rest, end - index)
            if lines[index].startswith(b"data: "):
                # Data-only events, two lines each; an event with an ``event:`` line among
                # them reads its third line itself.
                for value, blank in zip(rest, rest, strict=False):
                    if not blank and value[:6] == b"data: ":
                        try:
                            data = value[6:].decode()
                        except UnicodeDecodeError:
                            break
                        append(
                            new(
                                event_class,
                                ("message", data, id_buffer, None, offset, number, chunk_index),
                            )
                        )
                        offset += len(value) + 2
                        number += 2
                        continue
                    if blank[:6] != b"data: " or next(rest, None) != b"":
                        break
                    event_type = known_type(value)  # a known ``event: NAME`` line
                    try:
                        data = blank[6:].decode()
                        if event_type is None:
                            event_type = _event_type(value)
                            if event_type is None:
                                break
                    except UnicodeDecodeError:
                        break
                    append(
                        new(
                            event_class,
                            (event_type, data, id_buffer, None, offset, number, chunk_index),
                        )
                    )
                    offset += len(value) + len(blank) + 3
                    number += 3
            else:
                # Events with an ``event:`` line, three lines each.
                for name, value, blank in zip(rest, rest, rest, strict=False):
                    if blank or value[:6] != b"data: ":
                        break
                    event_type = known_type(name)  # a known ``event: NAME`` line
                    try:
                        data = value[6:].decode()
                        if event_type is None:
                            event_type = _event_type(name)
                            if event_type is None:
                                break
                    except UnicodeDecodeError:
                        break
                    append(
                        new(
                            event_class,
                            (event_type, data, id_buffer, None, offset, number, chunk_index),
                        )
                    )
                    offset += len(name) + len(value) + 3
                    number += 3
            if number == before:
                break
            index += number - before
        if index != start:
            self.last_event_id = id_buffer
            self._offset = offset
            self._line = number
            if not self._window and index - start >= 3 * _BULK_MIN:
                self._window = _WINDOW_MIN  # a long run again: bulk back on
        return index - start

    def _process_lines(
        self, lines: list[bytes], sizes: list[int], events: list[ServerSentEvent]
    ) -> None:
        """Interpret complete lines (terminators removed; ``sizes`` include them).

        This is the hot loop: parser state lives in locals and is written back at the end.
        """
        append = events.append
        offset = self._offset
        number = self._line
        data = self._data
        event_type = self._event_type
        retry = self._retry
        id_buffer = self._id_buffer
        block_offset = self._block_offset
        block_line = self._block_line
        chunk_index = self._chunk_index
        for line, size in zip(lines, sizes, strict=False):  # equal lengths; strict costs
            if not line:
                # Dispatch. Spec step 1 runs even when no event follows: the last event id
                # string takes the buffer's value only at a blank line.
                self.last_event_id = id_buffer
                if data:
                    append(
                        _new_event(
                            ServerSentEvent,
                            (
                                event_type or "message",
                                data[0] if len(data) == 1 else "\n".join(data),
                                id_buffer,
                                retry,
                                block_offset,
                                block_line,
                                chunk_index,
                            ),
                        )
                    )
                    data = []
                event_type = ""
                retry = None
                block_offset = -1
            elif line[0] == 0x3A:  # ':' starts a comment
                if self.keep_comments:
                    text = self._decode(line[1:], offset, number)
                    self.comments.append(SSEComment(text, offset, number, chunk_index))
                elif not line.isascii():
                    self._decode(line, offset, number)
            else:
                if block_offset < 0:
                    block_offset = offset
                    block_line = number
                if line.startswith(b"data: "):  # the common case first, without slicing twice
                    try:
                        data.append(line[6:].decode("utf-8"))
                    except UnicodeDecodeError:
                        data.append(self._decode(line[6:], offset, number))
                    number += 1
                    offset += size
                    continue
                if line.startswith(b"event: "):  # once per event: also worth its own path
                    try:
                        event_type = line[7:].decode("utf-8")
                    except UnicodeDecodeError:
                        event_type = self._decode(line[7:], offset, number)
                    number += 1
                    offset += size
                    continue
                colon = line.find(b":")
                if colon < 0:
                    name, value = line, b""
                else:
                    name = line[:colon]
                    value = line[colon + 1 :]
                    if value[:1] == b" ":
                        value = value[1:]
                if name == b"data":
                    data.append(self._decode(value, offset, number))
                elif name == b"event":
                    event_type = self._decode(value, offset, number)
                elif name == b"id":
                    if b"\x00" not in value:
                        id_buffer = self._decode(value, offset, number)
                elif name == b"retry":
                    milliseconds = _retry_value(value)
                    if milliseconds is not None:
                        retry = self.reconnection_time = milliseconds
                elif not line.isascii():
                    self._decode(line, offset, number)  # unknown field: still report bad UTF-8
            number += 1
            offset += size
        self._offset = offset
        self._line = number
        self._data = data
        self._event_type = event_type
        self._retry = retry
        self._id_buffer = id_buffer
        self._block_offset = block_offset
        self._block_line = block_line

    def close(self) -> list[ServerSentEvent]:
        """Signal the end of the stream. An unfinished event is discarded, as the spec says."""
        if self._closed:
            return []
        self._closed = True
        pending = b"".join(self._buffer)
        if self._block_offset < 0 and pending and not pending.startswith(b":"):
            # An unterminated field line on its own: an event that never finished either.
            self._block_offset, self._block_line = self._offset, self._line
        if self._block_offset >= 0:
            self.unfinished = (self._block_offset, self._block_line)
        self._buffer = []
        self._deferred = 0
        return []

    def _decode(self, value: bytes, offset: int, line: int) -> str:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            self.decode_errors.append(DecodeIssue(offset, line, self._chunk_index))
            return value.decode("utf-8", "replace")


def _simple_start(lines: list[bytes]) -> bool:
    """Whether ``lines`` (one or two) may begin a simple event and are valid UTF-8.

    ``event: NAME``, ``data: VALUE``, or the two in that order: lines that, processed now,
    would only set the pending event's type, data and position (see ``_process_block``).
    """
    if len(lines) == 1:
        if not lines[0].startswith((b"event: ", b"data: ")):
            return False
    elif not (lines[0].startswith(b"event: ") and lines[1].startswith(b"data: ")):
        return False
    for line in lines:
        if not line.isascii():
            try:
                line.decode()
            except UnicodeDecodeError:
                return False
    return True


def _event_type(line: bytes) -> str | None:
    """The event type an ``event: NAME`` line gives, remembered in ``_EVENT_TYPES``.

    None when ``line`` is not such a line. Raises UnicodeDecodeError for a name that is not
    valid UTF-8.
    """
    if not line.startswith(b"event: "):
        return None
    event_type = line[7:].decode() or "message"
    if len(_EVENT_TYPES) < _EVENT_TYPES_MAX and len(line) <= _EVENT_LINE_MAX:
        _EVENT_TYPES[line] = event_type
    return event_type


def _event_types(names: list[bytes], types: list[str | None]) -> int:
    """Fill in the event types of ``names`` that ``_EVENT_TYPES`` did not know.

    Returns how many of the lines, from the first, are ``event: NAME`` lines with a valid
    UTF-8 name (the run of simple events ends before the first that is not).
    """
    for index, known in enumerate(types):
        if known is None:
            try:
                known = _event_type(names[index])
            except UnicodeDecodeError:
                return index
            if known is None:
                return index
            types[index] = known
    return len(names)


def _retry_value(value: bytes) -> int | None:
    """A ``retry`` field's value: ASCII digits only (``bytes.isdigit`` is ASCII-only), else None.

    Python's ``int()`` refuses strings of more than 4300 digits by default: leading zeros are
    dropped first, and a value still too long (over 10**4300 ms) is ignored, as browsers ignore
    one beyond 64 bits, instead of raising.
    """
    if not value.isdigit():
        return None
    try:
        return int(value)
    except ValueError:
        try:
            return int(value.lstrip(b"0") or b"0")
        except ValueError:
            return None


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
