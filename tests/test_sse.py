"""The sans-I/O parser: public vectors, a table of spec cases, positions, and properties."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recorder.errors import SSEError
from recorder.wire.sse import (
    DEFAULT_MAX_LINE_BYTES,
    ServerSentEvent,
    SSEParser,
    encode_event,
    parse_bytes,
)
from tests.conftest import SSE_VECTORS, shared_path


def feed_all(chunks: list[bytes]) -> tuple[list[ServerSentEvent], SSEParser]:
    return parse_bytes(chunks)


def simple(events: list[ServerSentEvent]) -> list[tuple[str, str, str, int | None]]:
    return [(e.event, e.data, e.id, e.retry) for e in events]


# --------------------------------------------------------------------------- shared vectors


def _vectors() -> list[dict[str, object]]:
    path = SSE_VECTORS / "vectors.json"
    return list(json.loads(path.read_text(encoding="utf-8"))["vectors"])


def _vector_chunks(vector: dict[str, object]) -> list[bytes]:
    if "byte_chunks" in vector:
        return [bytes.fromhex(c) for c in vector["byte_chunks"]]  # type: ignore[attr-defined]
    return [c.encode("utf-8") for c in vector["chunks"]]  # type: ignore[attr-defined]


VECTORS = _vectors()


def test_shared_vectors_are_present() -> None:
    path = shared_path("sse-vectors", "vectors.json")
    assert len(json.loads(path.read_text(encoding="utf-8"))["vectors"]) == 313


@pytest.mark.parametrize("how", ["as given", "whole", "byte by byte"])
@pytest.mark.parametrize("vector", VECTORS, ids=[str(v["name"]) for v in VECTORS])
def test_shared_vector(vector: dict[str, object], how: str) -> None:
    chunks = _vector_chunks(vector)
    if how == "whole":
        chunks = [b"".join(chunks)]
    elif how == "byte by byte":
        chunks = [bytes([b]) for b in b"".join(chunks)]
    events, parser = feed_all(chunks)
    expected = [
        (e["event"], e["data"], e["id"] or "", e["retry"])
        for e in vector["expected"]  # type: ignore[attr-defined]
    ]
    assert simple(events) == expected
    if "final_last_event_id" in vector:
        assert parser.last_event_id == (vector["final_last_event_id"] or "")
    if "reconnection_time" in vector:
        assert parser.reconnection_time == vector["reconnection_time"]
    if how == "as given":
        assert [e.chunk_index for e in events] == vector["dispatch_chunk_index"]


# --------------------------------------------------------------------------- spec table

SPEC_CASES: list[tuple[str, list[bytes], list[tuple[str, str, str, int | None]]]] = [
    ("default event name", [b"data: x\n\n"], [("message", "x", "", None)]),
    ("named event", [b"event: a\ndata: x\n\n"], [("a", "x", "", None)]),
    ("one leading space removed", [b"data:  two\n\n"], [("message", " two", "", None)]),
    ("no space after colon", [b"data:x\n\n"], [("message", "x", "", None)]),
    ("multi-line data", [b"data: a\ndata: b\n\n"], [("message", "a\nb", "", None)]),
    ("field without colon", [b"data\n\n"], [("message", "", "", None)]),
    ("empty data not dispatched", [b"event: a\n\n"], []),
    ("CR line ends", [b"data: a\r\r"], [("message", "a", "", None)]),
    ("CRLF line ends", [b"data: a\r\n\r\n"], [("message", "a", "", None)]),
    ("CRLF split across chunks", [b"data: a\r", b"\n\r", b"\n"], [("message", "a", "", None)]),
    ("BOM stripped once", [b"\xef\xbb\xbfdata: a\n\n"], [("message", "a", "", None)]),
    (
        "BOM split across chunks",
        [b"\xef", b"\xbb", b"\xbfdata: a\n\n"],
        [("message", "a", "", None)],
    ),
    ("second BOM is data", [b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n"], []),
    ("comment ignored", [b": ping\ndata: a\n\n"], [("message", "a", "", None)]),
    (
        "id persists",
        [b"id: 1\ndata: a\n\ndata: b\n\n"],
        [("message", "a", "1", None), ("message", "b", "1", None)],
    ),
    ("id with NULL ignored", [b"id: 1\x002\ndata: a\n\n"], [("message", "a", "", None)]),
    (
        "empty id resets",
        [b"id: 1\ndata: a\n\nid\ndata: b\n\n"],
        [("message", "a", "1", None), ("message", "b", "", None)],
    ),
    ("retry digits only", [b"retry: 12a\ndata: a\n\n"], [("message", "a", "", None)]),
    ("retry set", [b"retry: 1500\ndata: a\n\n"], [("message", "a", "", 1500)]),
    ("retry not unicode digits", ["retry: ١٢\ndata: a\n\n".encode()], [("message", "a", "", None)]),
    # Python refuses int() of over 4300 digits by default; such a value must not be a traceback.
    (
        "retry leading zeros past the digit limit",
        [b"retry: " + b"0" * 5000 + b"1500\ndata: a\n\n"],
        [("message", "a", "", 1500)],
    ),
    (
        "retry too long for an int ignored",
        [b"retry: 7\nretry: " + b"9" * 5000 + b"\ndata: a\n\n"],
        [("message", "a", "", 7)],
    ),
    ("unknown field ignored", [b"foo: bar\ndata: a\n\n"], [("message", "a", "", None)]),
    ("unfinished event discarded", [b"data: a\n\ndata: b\n"], [("message", "a", "", None)]),
    (
        "event type resets after dispatch",
        [b"event: x\ndata: a\n\ndata: b\n\n"],
        [("x", "a", "", None), ("message", "b", "", None)],
    ),
    ("invalid UTF-8 replaced", [b"data: \xff\n\n"], [("message", "\ufffd", "", None)]),
    (
        "UTF-8 split across chunks",
        ["data: é\n\n".encode()[:7], "data: é\n\n".encode()[7:]],
        [("message", "é", "", None)],
    ),
]


@pytest.mark.parametrize(
    ("chunks", "expected"), [c[1:] for c in SPEC_CASES], ids=[c[0] for c in SPEC_CASES]
)
def test_spec_case(chunks: list[bytes], expected: list[tuple[str, str, str, int | None]]) -> None:
    events, _ = feed_all(chunks)
    assert simple(events) == expected


# --------------------------------------------------------------------------- positions


def test_offsets_lines_and_chunk_index() -> None:
    body = b": hello\n\nevent: a\r\ndata: 1\r\n\r\nid: 7\ndata: 2\n\n"
    events, parser = feed_all([body[:20], body[20:]])
    assert [(e.offset, e.line, e.chunk_index) for e in events] == [(9, 3, 1), (30, 6, 1)]
    assert body[9:17] == b"event: a"
    assert body[30:35] == b"id: 7"
    assert [(c.text, c.offset, c.line) for c in parser.comments] == [(" hello", 0, 1)]


def test_offsets_count_the_stripped_bom() -> None:
    events, _ = feed_all([b"\xef\xbb\xbfdata: a\n\ndata: b\n\n"])
    assert [e.offset for e in events] == [3, 12]


def test_decode_errors_are_reported_with_position() -> None:
    events, parser = feed_all([b"data: ok\n\ndata: \xe2\x82\n\n"])
    assert events[1].data == "\ufffd"
    assert [(d.offset, d.line) for d in parser.decode_errors] == [(10, 3)]


def test_unfinished_event_position() -> None:
    _, parser = feed_all([b"data: a\n\nevent: b\ndata: partial"])
    assert parser.unfinished == (9, 3)
    _, clean = feed_all([b"data: a\n\n"])
    assert clean.unfinished is None


def test_feed_after_close_is_an_error() -> None:
    parser = SSEParser()
    parser.close()
    with pytest.raises(RuntimeError):
        parser.feed(b"data: x\n\n")


def test_comments_can_be_dropped() -> None:
    _, parser = parse_bytes(b": ping\n\ndata: a\n\n", keep_comments=False)
    assert parser.comments == []


def test_max_line_bytes_guards_huge_events() -> None:
    from recorder.errors import SSEError

    parser = SSEParser(max_line_bytes=1024)
    parser.feed(b"data: " + b"x" * 1000)
    with pytest.raises(SSEError, match="byte 0"):
        parser.feed(b"x" * 100)


def _line_limit_outcome(chunks: list[bytes], limit: int) -> str:
    from recorder.errors import SSEError

    parser = SSEParser(max_line_bytes=limit)
    try:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    except SSEError as error:
        return str(error)
    return "ok"


@pytest.mark.parametrize(
    "tail", [b"\0" * 6, b"\0" * 8, b"\0" * 9, b"\0" * 9 + b"\n", b"\0" * 6 + b"\n"]
)
def test_the_line_limit_never_counts_the_bom_whatever_the_chunking(tail: bytes) -> None:
    # BOM + 6 bytes with a limit of 8 raised as one chunk, not when split after the BOM: the
    # BOM is stripped, so the line is 6 bytes long, and that is what the limit sees.
    body = b"\xef\xbb\xbf" + tail
    whole = _line_limit_outcome([body], 8)
    assert whole == ("ok" if len(tail.rstrip(b"\n")) <= 8 else whole)
    for cut in range(1, len(body)):
        assert _line_limit_outcome([body[:cut], body[cut:]], 8) == whole, cut
    assert _line_limit_outcome([bytes([b]) for b in body], 8) == whole


# --------------------------------------------------------------------------- properties

sse_bodies = st.lists(
    st.one_of(
        st.sampled_from(
            [
                b"\n",
                b"\r",
                b"\r\n",
                b":",
                b"data",
                b"event",
                b"id",
                b"retry",
                b": ",
                b" ",
                b"\xef\xbb\xbf",
                b"\xe2\x82\xac",
                b"\xff",
                b"\x00",
                b"123",
                b"x",
            ]
        ),
        st.binary(max_size=8),
    ),
    max_size=60,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(body=sse_bodies, cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=12))
def test_any_rechunking_gives_the_same_events(body: bytes, cuts: list[int]) -> None:
    whole, whole_parser = feed_all([body])
    points = sorted({c % (len(body) + 1) for c in cuts})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    split, split_parser = feed_all(pieces)
    assert [e[:6] for e in split] == [e[:6] for e in whole]
    assert split_parser.last_event_id == whole_parser.last_event_id
    assert split_parser.decode_errors == [] or [d[:2] for d in split_parser.decode_errors] == [
        d[:2] for d in whole_parser.decode_errors
    ]
    assert split_parser.unfinished == whole_parser.unfinished


text_without_cr = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=30
)
field_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=12
)


@settings(max_examples=200, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.one_of(st.none(), field_text.filter(lambda s: s != "")),
            text_without_cr,
            st.one_of(st.none(), field_text.filter(lambda s: "\x00" not in s)),
            st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
        ),
        max_size=8,
    )
)
def test_parse_serialize_parse_is_identity(
    events: list[tuple[str | None, str, str | None, int | None]],
) -> None:
    body = b"".join(encode_event(d, event=e, id=i, retry=r) for e, d, i, r in events)
    first, _ = feed_all([body])
    again = b"".join(encode_event(ev.data, ev.event, ev.id, ev.retry) for ev in first)
    second, _ = feed_all([again])
    assert simple(second) == simple(first)
    assert len(first) == len(events)


def test_encode_event_rejects_cr() -> None:
    with pytest.raises(ValueError, match="CR"):
        encode_event("a\rb")


# --------------------------------------------------------------------------- fast path


class _GeneralPathParser(SSEParser):
    """The parser with its fast path off: every line through the general per-line code."""

    _fast_path = False


def _observe(
    parser_class: type[SSEParser],
    chunks: list[bytes],
    keep_comments: bool = True,
    max_line_bytes: int | None = DEFAULT_MAX_LINE_BYTES,
) -> list[object]:
    """Everything a caller can see of a parser fed ``chunks``, after each chunk and at the end."""
    parser = parser_class(keep_comments=keep_comments, max_line_bytes=max_line_bytes)
    seen: list[object] = []
    try:
        for chunk in chunks:
            events = parser.feed(chunk)
            seen.append(
                (
                    events,
                    parser.last_event_id,
                    parser.reconnection_time,
                    list(parser.comments),
                    list(parser.decode_errors),
                    parser.offset,
                )
            )
        seen.append(parser.close())
    except SSEError as error:
        seen.append(("SSEError", str(error), error.offset))
    seen.append(
        (
            parser.unfinished,
            parser.comments,
            parser.decode_errors,
            parser.last_event_id,
            parser.reconnection_time,
            parser.offset,
        )
    )
    return seen


_names = st.sampled_from(
    [b"delta", b"message", b"", b"a:b", b" x", "é".encode(), b"\xff", b"e\x00"]
)
_values = st.one_of(
    st.sampled_from(
        [b"{}", b"", b" lead", b"x", "é€😀".encode(), b"\xe2\x82", b"\xff", b"a\x00b", b"data: x"]
    ),
    st.binary(max_size=6).map(lambda v: v.replace(b"\n", b"").replace(b"\r", b"")),
)
_simple_event = st.one_of(
    st.tuples(_names, _values).map(lambda nv: [b"event: " + nv[0], b"data: " + nv[1], b""]),
    _values.map(lambda v: [b"data: " + v, b""]),
)


@st.composite
def _simple_run(draw: st.DrawFn) -> list[bytes]:
    """Enough simple events in a row for the bulk path: one shape or mixed, sometimes with an
    odd line put in, or put in place of one of its lines (the run then ends there)."""
    names = [b"delta", b"message", b"other%d" % draw(st.integers(min_value=0, max_value=999))]
    shape = draw(st.sampled_from(["named", "data", "mixed"]))
    lines: list[bytes] = []
    for index in range(draw(st.integers(min_value=25, max_value=90))):
        if shape == "named" or (shape == "mixed" and index % 3):
            lines += [b"event: " + names[index % 3], b'data: {"n":%d}' % index, b""]
        else:
            lines += [b'data: {"n":%d}' % index, b""]
    odd = draw(
        st.sampled_from(
            [
                None,
                b": ping",
                b"id: 7",
                b"retry: 5",
                b"data:x",
                b"data: \xff",
                b"event: \xff",
                b"event:x",
                b"event: n%d" % draw(st.integers(min_value=0, max_value=10**6)),
                b"",
            ]
        )
    )
    if odd is not None:
        where = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        if draw(st.booleans()):
            lines.insert(where, odd)
        else:
            lines[where] = odd
    return lines


_other_lines = st.sampled_from(
    [
        [b": ping"],
        [b":"],
        [b": \xff"],
        [b"id: 42"],
        [b"id"],
        [b"id: a\x00b"],
        [b"id: \xff"],
        [b"retry: 1500"],
        [b"retry: x"],
        [b"data:no space"],
        [b"event:nospace"],
        [b"data"],
        [b"data: a", b"data: b"],
        [b"event: a", b"event: b"],
        [b"foo: bar"],
        [b"\xff"],
        [b""],
        [b"event: only"],
    ]
)


@st.composite
def _fast_path_bodies(draw: st.DrawFn) -> bytes:
    pieces = draw(
        st.lists(
            st.one_of(_simple_event, _simple_event, _other_lines, _simple_run()),
            max_size=12,
        )
    )
    crlf = draw(st.booleans())
    body = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    for lines in pieces:
        for line in lines:
            ending = b"\n"
            if crlf:
                ending = draw(st.sampled_from([b"\n", b"\n", b"\r", b"\r\n"]))
            body += line + ending
    if draw(st.booleans()):  # an unfinished event or line at the end
        body += draw(
            st.sampled_from(
                [b"event: x\ndata: y", b"data: y\n", b"event: x\n", b"da", b"data: a\ndata: b\n"]
            )
        )
    return body


@settings(max_examples=400, deadline=None)
@given(
    body=_fast_path_bodies(),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
    keep_comments=st.booleans(),
    max_line_bytes=st.sampled_from([DEFAULT_MAX_LINE_BYTES, None, 12, 40]),
)
def test_fast_path_is_the_general_path(
    body: bytes, cuts: list[int], keep_comments: bool, max_line_bytes: int | None
) -> None:
    # The fast path (runs of simple events taken whole, unfinished ones held back) must be
    # invisible: the same events, comments, errors and state as the per-line code, after
    # every chunk, however the body is cut.
    points = sorted({c % (len(body) + 1) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    for pieces in (chunks, [body], [bytes([b]) for b in body[:300]]):
        fast = _observe(SSEParser, pieces, keep_comments, max_line_bytes)
        assert fast == _observe(_GeneralPathParser, pieces, keep_comments, max_line_bytes)


def test_fast_path_long_streams_match_the_general_path() -> None:
    # Realistic shapes in realistic block sizes: long runs (bulk), runs broken by comments,
    # ids and multi-line data (fallbacks and their back-off), a bad byte now and then.
    parts = []
    for index in range(3000):
        payload = b'{"type":"delta","n":%d,"text":"%s"}' % (index, "é".encode() * (index % 5))
        if index % 97 == 0:
            parts.append(b": keep-alive\n\n")
        if index % 211 == 0:
            parts.append(b"id: %d\n" % index)
        if index % 307 == 0:
            parts.append(b"data: first\n")
        if index % 401 == 0:
            payload += b"\xff"
        named = b"event: delta\n" if index % 1000 < 700 else b""
        parts.append(named + b"data: " + payload + b"\n\n")
    body = b"".join(parts)
    for size in (1, 7, 100, 4096, 65536, len(body)):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        assert _observe(SSEParser, chunks) == _observe(_GeneralPathParser, chunks), size


def test_fast_path_big_buffers_match_the_general_path() -> None:
    # A big buffer is parsed a piece at a time, cut after blank lines; where none is near
    # (a huge line, a huge multi-line event) the rest goes in one piece.
    events = b"".join(b"event: delta\ndata: %d\n\n" % n for n in range(20_000))
    for body in (
        events,
        events[:100_000] + b"data: " + b"x" * 200_000 + b"\n\n" + events,
        events[:70_000] + b"data: y\n" * 30_000 + b"\n" + events[:200_000] + b"data: tail",
        b"\n" * 300_000 + events[:1000],
    ):
        for chunks in ([body], [body[:150_000], body[150_000:]]):
            assert _observe(SSEParser, chunks) == _observe(_GeneralPathParser, chunks)


def test_unfinished_simple_event_held_back_is_invisible() -> None:
    # "event: a\ndata: b\n" ends the chunk: the fast path holds it back unparsed until its
    # blank line; offset, unfinished and the too-long check must not show it.
    for chunks in (
        [b"data: 0\n\nevent: a\ndata: b\n", b"\n"],
        [b"data: 0\n\nevent: a\ndata: b\n"],
        [b"data: 0\n\nevent: a\n", b"data: b"],
        [b"data: 0\n\ndata: b\n", b"xxxxxxxx", b"yyyyyyyy", b"\n\n"],
        [b"data: 0\n\nid: 1\n", b"data: a\ndata: b\ndata: c\n", b"\n"],
    ):
        for limit in (DEFAULT_MAX_LINE_BYTES, 10):
            fast = _observe(SSEParser, chunks, max_line_bytes=limit)
            assert fast == _observe(_GeneralPathParser, chunks, max_line_bytes=limit)
    _, parser = parse_bytes([b"data: 0\n\nevent: a\ndata: b\n"])
    assert parser.unfinished == (9, 3)
