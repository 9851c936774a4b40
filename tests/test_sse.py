"""The sans-I/O parser: public vectors, a table of spec cases, positions, and properties."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recorder.wire.sse import ServerSentEvent, SSEParser, encode_event, parse_bytes
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
