"""The text timeline (``show``) and the raw byte view (``show --raw``)."""

from __future__ import annotations

import io

import pytest

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, load_cassette
from recorder.profiles import get_profile
from recorder.report.timeline import Style, render_raw, render_timeline, summarize, use_colour
from recorder.validate.findings import Finding, Severity
from recorder.wire.sse import ServerSentEvent
from tests.conftest import CASSETTES


def _cassette(*chunks: tuple[float, bytes]) -> Cassette:
    interaction = Interaction(
        request=RecordedRequest(method="POST", url="http://127.0.0.1/v1/threads/runs"),
        chunks=[Chunk(t=t, data=data) for t, data in chunks],
        outcome="complete",
        ended_at=chunks[-1][0] if chunks else 0.0,
    )
    return Cassette(interactions=[interaction])


SPLIT = _cassette(
    (0.010, b'event: thread.run.created\ndata: {"id":"run_1","status":"queued"}\n\n'),
    (0.250, b': keep-alive\n\nevent: thread.message.delta\ndata: {"id":"msg_1","delta":'),
    (0.300, b'{"content":[{"index":0,"type":"text","text":{"value":"Hi"}}]}}\n\n'),
    (0.305, b"event: done\ndata: [DONE]\n\n"),
)


def test_rows_show_time_gap_chunks_name_and_summary() -> None:
    lines = list(render_timeline(SPLIT))
    assert lines[0].startswith("== interaction 0: POST http://127.0.0.1/v1/threads/runs")
    assert "4 chunks" in lines[0] and "3 events" in lines[0]
    rows = [line.split() for line in lines[2:]]
    assert rows[0][:5] == ["0", "10.0", "+10.0", "0", "thread.run.created"]
    assert rows[0][5:] == ["run_1", "queued"]
    # the comment arrived in chunk 1
    assert rows[1] == ["250.0", "1", ":", "keep-alive", "(comment)"]
    # the delta began in chunk 1 and was completed by chunk 2: a split event
    assert rows[2][:5] == ["1", "300.0", "+290.0", "1→2", "thread.message.delta"]
    assert rows[2][5] == '"Hi"'
    assert rows[3][:5] == ["2", "305.0", "+5.0", "3", "done"]


def test_control_characters_of_a_stream_never_reach_the_terminal() -> None:
    hostile = _cassette(
        (
            0.0,
            b'event: x\x1b]0;title\x07y\ndata: {"id":"run_\\u001b[2J"}\n\n'
            b": hi\x1b[31m\n\ndata: [1,\ndata: 2]\n\n",
        )
    )
    lines = list(render_timeline(hostile))
    assert len(lines) == 5
    assert not any("\x1b" in line or "\x07" in line or "\n" in line for line in lines)
    assert "x\\x1b]0;title\\x07y" in lines[2] and "run_\\x1b[2J" in lines[2]
    assert "hi\\x1b[31m" in lines[3] and "[1,\\n2]" in lines[4]


def test_findings_appear_under_their_event_and_the_rest_at_the_end() -> None:
    findings = [
        Finding("M1", Severity.ERROR, "delta before created", 0, 1, json_path="$.id"),
        Finding("R3", Severity.WARNING, "no final run event", 0),
        Finding("X9", Severity.INFO, "about the file"),
    ]
    lines = list(render_timeline(SPLIT, findings))
    delta_row = next(i for i, line in enumerate(lines) if "thread.message.delta" in line)
    assert "error M1: delta before created" in lines[delta_row + 1]
    assert "[$.id]" in lines[delta_row + 1]
    assert "done" in lines[delta_row + 2]
    assert "warning R3: no final run event" in lines[-2]
    assert lines[-1].endswith("info X9: about the file")


def test_a_raw_bodys_findings_appear_under_their_event() -> None:
    """The validator names no interaction for a raw ``.sse`` body: its findings are still the
    only interaction's, printed under their event, not in a heap at the end."""
    raw = Cassette.from_sse(b"".join(chunk.data for chunk in SPLIT.interactions[0].chunks))
    assert raw.raw
    findings = [
        Finding("M1", Severity.ERROR, "delta before created", None, 1, json_path="$.id"),
        Finding("R3", Severity.WARNING, "no final run event", None),
    ]
    lines = list(render_timeline(raw, findings))
    delta_row = next(i for i, line in enumerate(lines) if "thread.message.delta" in line)
    assert "error M1: delta before created" in lines[delta_row + 1]
    assert lines[delta_row + 1].startswith("       ▲")
    assert "done" in lines[delta_row + 2]
    assert lines[-1] == "       ▲ warning R3: no final run event"


def test_unfinished_event_and_invalid_utf8_are_reported() -> None:
    cassette = _cassette((0.0, b"data: caf\xe9\n\ndata: never finished\n"))
    lines = list(render_timeline(cassette))
    assert any("invalid UTF-8" in line and "byte 0" in line for line in lines)
    assert any("unfinished event at byte 12" in line for line in lines)


def test_raw_view_shows_line_ends_chunk_boundaries_and_bad_bytes() -> None:
    cassette = _cassette(
        (0.0, b"data: a\r\ndata: b\rdata: \xff\xfe"),
        (0.012, b"\x00tail\n\nevent: x"),
    )
    lines = list(render_raw(cassette))
    assert lines[1] == "-- chunk 0 at 0.0 ms (+0.0), 25 bytes, offset 0 --"
    assert lines[2] == "       0  data: a\\r\\n"
    assert lines[3] == "       9  data: b\\r"
    assert lines[4] == "      17  data: \\xff\\xfe…"  # continues in the next chunk
    assert lines[5].startswith("-- chunk 1 at 12.0 ms (+12.0), 15 bytes, offset 25")
    assert lines[6] == "      25  \\x00tail\\n"
    assert lines[7] == "      31  \\n"
    assert lines[8] == "      32  event: x…"
    assert "does not end with a line end" in lines[9]
    assert lines[10] == "-- end: complete --"


def test_colour_only_when_asked_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Terminal()) is True
    assert use_colour(io.StringIO()) is False
    assert use_colour(io.StringIO(), "always") is True
    assert use_colour(Terminal(), "never") is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(Terminal()) is False
    coloured = list(render_timeline(SPLIT, style=Style(True)))
    plain = list(render_timeline(SPLIT))
    assert "\x1b[" in "".join(coloured) and "\x1b[" not in "".join(plain)


@pytest.mark.parametrize(
    ("profile", "name", "data", "expected"),
    [
        ("generic", "x", '{"id":"run_1","status":"queued"}', "run_1 queued"),
        ("assistants", "done", "[DONE]", "[DONE]"),
        ("generic", "x", "[DONE]", "'[DONE]'"),  # no sentinel in a stream of no contract
        ("generic", "x", "not json", "'not json'"),
        ("generic", "x", '{"error":{"message":"boom"}}', "boom"),
        ("generic", "x", '{"choices":[{"delta":{"content":"chat"}}]}', '"chat"'),
        ("generic", "x", '{"type":"response.output_text.delta","delta":"resp"}', '"resp"'),
        ("generic", "x", '{"delta":{"type":"text_delta","text":"claude"}}', '"claude"'),
    ],
)
def test_summaries(profile: str, name: str, data: str, expected: str) -> None:
    view = get_profile(profile).view
    assert summarize(ServerSentEvent(event=name, data=data), view) == expected


def test_real_continuation_cassette_renders_both_interactions() -> None:
    cassette = load_cassette(CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl")
    headers = [line for line in render_timeline(cassette) if line.startswith("==")]
    assert len(headers) == 2 and "submit_tool_outputs" in headers[1]
