"""Expected verdicts on real and official streams, mutations of real ones, and the options."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse
from recorder.cassette.stream import parse_interaction
from recorder.errors import CassetteNotFoundError, ProfileError
from recorder.validate.findings import Severity
from recorder.validate.runner import (
    FileResult,
    RuleConfig,
    iter_findings,
    validate_cassette,
    validate_file,
    validate_paths,
)
from recorder.wire.sse import ServerSentEvent, encode_event
from tests.assistants_streams import CREATE_RUN, body, message_run
from tests.conftest import CASSETTES, shared_path


def errors(findings: list) -> set[tuple[str, int | None]]:  # type: ignore[type-arg]
    return {(f.rule, f.event_index) for f in findings if f.severity is Severity.ERROR}


# ------------------------------------------------------------------ the official examples

#: What each defective official example must give, exactly. The defects (CONTRACT.md): run
#: payloads with an extra "}" (F1; the rules still read the object before it), a
#: thread.run.completed without a data: line (F1 at that block, which is never dispatched, so
#: the stream also reaches done without a final run event: R3), and elided deltas ("..."
#: lines, which are not SSE fields: an F1 warning), so the streamed text or arguments do not
#: add up (A1/A5). The timestamp changes between snapshots sit in the undispatched
#: thread.run.completed, so no R6 shows.
OFFICIAL = {
    "official-create-thread-and-run": {("A1", 11), ("R3", 13), ("F1", None)},
    "official-create-thread-and-run-functions": {
        ("F1", 1),
        ("F1", 2),
        ("F1", 3),
        ("F1", 11),
        ("A5", 11),
    },
    "official-create-run": {("F1", 0), ("F1", 1), ("F1", 2), ("F1", 12), ("A1", 10)},
    "official-create-run-functions": {("F1", 0), ("F1", 1), ("F1", 2), ("F1", 12), ("A1", 10)},
    "official-submit-tool-outputs": {("F1", 1), ("F1", 2), ("F1", 14), ("A1", 12)},
    "library-create-and-run": {("A1", 11), ("R3", 13), ("F1", None)},
    "library-create-and-run-functions": {("F1", 1), ("F1", 2), ("F1", 3), ("F1", 11), ("A5", 11)},
}


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_official_examples_fail_with_exactly_their_known_defects(name: str) -> None:
    result = validate_file(CASSETTES / "official" / f"{name}.jsonl")
    assert not result.ok
    assert errors(result.findings) == OFFICIAL[name]


def test_the_missing_data_line_and_the_elisions_are_located() -> None:
    findings = validate_file(CASSETTES / "official" / "official-create-thread-and-run.jsonl")
    (dataless,) = [f for f in findings.findings if f.rule == "F1" and f.is_error]
    assert (dataless.offset, dataless.line, dataless.event_index) == (4900, 42, None)
    assert "thread.run.completed" in dataless.message and "never dispatched" in dataless.message
    (elided,) = [f for f in findings.findings if f.rule == "F1" and not f.is_error]
    assert elided.line == 28 and "'...'" in elided.message


def test_the_spec_examples_hold_fifteen_payloads_with_an_extra_brace() -> None:
    extra = 0
    for name in OFFICIAL:
        if name.startswith("official-"):
            findings = validate_file(CASSETTES / "official" / f"{name}.jsonl").findings
            extra += sum(1 for f in findings if f.rule == "F1" and "Extra data" in f.message)
    assert extra == 15


# ------------------------------------------------------------------ real captures


def _real_assistants_files() -> list[str]:
    sources = shared_path("real-streams", "SOURCES.md").read_text("utf-8")
    section = sources.split("## assistants", 1)[1].split("\n## ", 1)[0]
    return [
        row.split("|")[1].strip()
        for row in section.splitlines()
        if row.startswith("| ") and row.split("|")[6].strip() == "real"
    ]


def test_every_real_assistants_capture_passes_except_the_known_violation() -> None:
    folder = shared_path("real-streams", "assistants")
    names = _real_assistants_files()
    assert len(names) == 29
    for name in names:
        result = validate_file(folder / name)
        if name == "ruby-openai-run-v2-incomplete-under-completed-event.sse":
            assert errors(result.findings) == {("F4", 24)}, name
        else:
            assert result.ok, (
                name,
                [f.location() + " " + f.message for f in result.findings if f.is_error],
            )
            assert result.events > 0


def test_shipped_real_cassettes() -> None:
    for path in sorted((CASSETTES / "real").glob("*.jsonl")):
        result = validate_file(path)
        if path.name.startswith("ruby-v2-incomplete"):
            assert errors(result.findings) == {("F4", 24)}
        else:
            assert result.ok, path.name
    sequence = validate_file(CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl")
    assert sequence.streams == 2 and sequence.findings and sequence.ok


# ------------------------------------------------------------------ mutations of a real capture

REAL = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
# events: 0-2 run, 3-4 step, 5 message.created, 6 in_progress, 7-39 deltas, 40 completed,
# 41 step.completed, 42 run.completed, 43 done


def _events() -> tuple[RecordedRequest, list[ServerSentEvent]]:
    interaction = Cassette.load(REAL).interactions[0]
    return interaction.request, parse_interaction(interaction).events


def _rebuild(events: list[ServerSentEvent]) -> bytes:
    return b"".join(encode_event(e.data, event=e.event) for e in events)


def _wrap(request: RecordedRequest, data: bytes, outcome: str = "complete") -> Cassette:
    return Cassette(
        interactions=[
            Interaction(
                request=request,
                response=RecordedResponse(
                    status=200, headers=[("content-type", "text/event-stream")]
                ),
                chunks=[Chunk(t=0.0, data=data)],
                outcome=outcome,  # type: ignore[arg-type]
            )
        ]
    )


def _replace(index: int, old: str, new: str) -> Callable[[list[ServerSentEvent]], None]:
    def mutate(events: list[ServerSentEvent]) -> None:
        assert old in events[index].data
        events[index] = events[index]._replace(data=events[index].data.replace(old, new, 1))

    return mutate


def _second_message(events: list[ServerSentEvent]) -> None:
    created = events[5]
    events.insert(
        10,
        created._replace(data=re.sub(r'"id":"msg_\w+"', '"id":"msg_other"', created.data, count=1)),
    )


MUTATIONS: list[tuple[str, Callable[[list[ServerSentEvent]], None], str, int | None]] = [
    ("drop-message-created", lambda e: e.pop(5), "M1", 5),
    ("move-delta-after-completed", lambda e: e.insert(40, e.pop(7)), "M1", 40),
    ("duplicate-done", lambda e: e.append(e[-1]), "F2", 44),
    ("drop-done", lambda e: e.pop(), "F2", None),
    ("corrupt-json", lambda e: e.__setitem__(20, e[20]._replace(data=e[20].data[:-2])), "F1", 20),
    ("change-a-status", _replace(42, '"status":"completed"', '"status":"failed"'), "F4", 42),
    ("interleave-two-messages", _second_message, "M2", 10),
    ("change-a-delta-text", _replace(12, '"value":"', '"value":"X'), "A1", 40),
    ("drop-run-created", lambda e: e.pop(0), "R2", 0),
]


@pytest.mark.parametrize(
    ("mutate", "rule", "index"), [pytest.param(m, r, i, id=n) for n, m, r, i in MUTATIONS]
)
def test_mutated_real_stream_fails_with_the_right_rule_at_the_right_event(
    mutate: Callable[[list[ServerSentEvent]], None], rule: str, index: int | None
) -> None:
    request, events = _events()
    assert validate_cassette(_wrap(request, _rebuild(events))) == validate_cassette(
        Cassette.load(REAL)
    )
    mutate(events)
    assert (rule, index) in errors(validate_cassette(_wrap(request, _rebuild(events))))


def test_a_cut_stream_reports_where_and_how_it_ended() -> None:
    request, events = _events()
    data = _rebuild(events)
    cut = data[: data.index(b"data:", len(data) // 2) + 20]
    findings = validate_cassette(_wrap(request, cut, outcome="upstream-closed"))
    assert errors(findings) == {("F2", None)}
    (finding,) = findings if len(findings) == 1 else [f for f in findings if f.rule == "F2"]
    assert finding.offset == len(cut)
    assert "unfinished event at byte" in finding.message
    assert "upstream-closed" in finding.message


# ------------------------------------------------------------------ streaming and framing


def test_raw_files_stream_in_blocks_with_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import recorder.validate.runner as module

    events = message_run()
    events[8][1]["delta"]["content"][0]["text"]["value"] = "LO"
    path = tmp_path / "run.sse"
    path.write_bytes(body(events))
    whole = validate_file(path)
    monkeypatch.setattr(module, "BLOCK_SIZE", 7)  # split lines, events and UTF-8 anywhere
    small = validate_file(path)
    assert whole.findings == small.findings
    assert errors(small.findings) == {("A1", 9)}
    assert small.events == 13 and small.streams == 1


def test_lines_between_events_are_checked_whatever_the_chunking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import recorder.validate.runner as module

    data = body(message_run())
    marker = data.index(b"event: thread.message.delta")
    extra = b"event: thread.message.delta\n\n: keep-alive\nid: 7\n\nfoo: bar\n\n"
    data = data[:marker] + extra + data[marker:] + b"event: done\n"
    path = tmp_path / "gaps.sse"
    path.write_bytes(data)
    expected = {
        (marker, Severity.ERROR, "an event block (thread.message.delta) without a data line"),
        (marker + extra.index(b"foo"), Severity.WARNING, "lines that are not SSE fields"),
    }
    for size in (1 << 20, 5):
        monkeypatch.setattr(module, "BLOCK_SIZE", size)
        result = validate_file(path)
        found = {
            (f.offset, f.severity, f.message.split(" ('")[0].split(":")[0])
            for f in result.findings
            if f.rule == "F1"
        }
        assert found == expected, size
        # the unfinished "event: done" at the end is something after done, not a dataless block
        (after,) = [f for f in result.findings if f.rule == "F2"]
        assert after.event_index == 12 and "goes on after done" in after.message


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (b"event\n", "an event block () without a data line"),  # a field name alone: no colon
        (b"event:\n", "an event block () without a data line"),
        (b"retry\nid\n", None),
    ],
)
def test_field_lines_without_a_colon_between_events(block: bytes, message: str | None) -> None:
    data = body(message_run())
    marker = data.index(b"event: thread.message.delta")
    data = data[:marker] + block + b"\n" + data[marker:]
    found = [f for f in validate_cassette(_wrap(CREATE_RUN, data)) if f.rule == "F1"]
    assert [(f.offset, f.message.split(":")[0]) for f in found] == (
        [(marker, message)] if message else []
    )


def test_a_long_stretch_without_events_is_not_kept_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import recorder.validate.framing as framing
    import recorder.validate.runner as module

    kept: list[int] = []
    add = framing.BetweenEvents.add

    def measured(self: framing.BetweenEvents, chunk: bytes) -> None:
        add(self, chunk)
        kept.append(sum(len(data) for _, data in self.chunks))

    monkeypatch.setattr(framing.BetweenEvents, "add", measured)
    monkeypatch.setattr(module, "BLOCK_SIZE", 1 << 16)
    data = body(message_run())
    marker = data.index(b"event: thread.message.delta")
    dataless = b"event: thread.message.delta\n\n"
    huge = b"event: thread.message.delta\ndata: " + b"x" * (3 << 20) + b"\n\n"
    padding = b": keep-alive\n" * ((8 << 20) // 13)
    path = tmp_path / "long.sse"
    path.write_bytes(data[:marker] + dataless + huge + padding + data[marker:])
    found = [f for f in validate_file(path).findings if f.rule == "F1" and f.event_index is None]
    # the dataless block before the huge event is still found; the rest is too far apart
    assert [(f.offset, f.severity) for f in found] == [(marker, Severity.ERROR)]
    assert max(kept) < (4 << 20) + (1 << 16)  # not the 11 MiB of the file


def test_an_unparseable_interaction_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recorder.wire.sse import SSEParser

    short_lines = {"keep_comments": True, "max_line_bytes": 1000}
    monkeypatch.setattr(SSEParser.__init__, "__kwdefaults__", short_lines)
    good = _wrap(CREATE_RUN, body(message_run())).interactions[0]
    bad = _wrap(CREATE_RUN, b"data: " + b"x" * 2000 + b"\n\n").interactions[0]
    path = tmp_path / "two.jsonl"
    Cassette(interactions=[good, bad]).save(path)
    (result,) = validate_paths([path])
    assert result.error is not None and result.error.startswith("interaction 1, byte 0: ")


def test_any_chunking_gives_the_same_findings() -> None:
    data = REAL.read_bytes()
    original = Cassette.load(REAL)
    whole = original.interactions[0].body
    for size in (1, 3, 64, 1000):
        rechunked = original.model_copy(deep=True)
        rechunked.interactions[0].chunks = [
            Chunk(t=0.0, data=whole[i : i + size]) for i in range(0, len(whole), size)
        ]
        assert validate_cassette(rechunked) == validate_cassette(original), size
    assert data


def test_invalid_utf8_is_a_framing_error_with_its_byte() -> None:
    events = message_run()
    data = body(events).replace(b'"value": "lo"', b'"value": "l\xff"')
    findings = validate_cassette(_wrap(CREATE_RUN, data))
    (bad,) = [f for f in findings if f.rule == "F1"]
    assert bad.offset == data.index(
        b'data: {"id": "msg_1", "object": "thread.message.delta", '
        b'"delta": {"content": [{"index": 0, "type": "text", '
        b'"text": {"value": "l\xff'
    )
    assert "UTF-8" in bad.message


def test_plain_json_interactions_are_skipped() -> None:
    listing = Interaction(
        request=RecordedRequest(method="GET", url="https://api.openai.com/v1/threads/t/runs"),
        response=RecordedResponse(status=200, headers=[("content-type", "application/json")]),
        chunks=[Chunk(t=0.0, data=b'{"object":"list","data":[]}')],
        outcome="complete",
    )
    stream = _wrap(CREATE_RUN, body(message_run())).interactions[0]
    cassette = Cassette(interactions=[listing, stream])
    assert validate_cassette(cassette) == []


def test_iter_findings_is_lazy_and_uses_the_cassette_profile() -> None:
    cassette = _wrap(CREATE_RUN, body(message_run()[:-1]))
    iterator = iter_findings(cassette)
    assert next(iterator).rule == "F2"
    cassette.profile = "nope"
    with pytest.raises(ProfileError):
        validate_cassette(cassette)


def test_findings_per_rule_are_capped_with_a_count() -> None:
    events = message_run()
    events[3:3] = [["thread.run.bogus", {}] for _ in range(80)]
    findings = validate_cassette(_wrap(CREATE_RUN, body(events)))
    unknown = [f for f in findings if f.rule == "F3"]
    assert len(unknown) == 51
    assert unknown[-1].severity is Severity.INFO and "30 more F3" in unknown[-1].message


# ------------------------------------------------------------------ configuration


def test_rules_can_be_disabled_or_change_severity() -> None:
    events = message_run()
    events[8][1]["delta"]["content"][0]["text"]["value"] = "LO"
    cassette = _wrap(CREATE_RUN, body(events))
    assert errors(validate_cassette(cassette)) == {("A1", 9)}
    off = RuleConfig.from_options(disable=["a1, F3"])
    assert validate_cassette(cassette, config=off) == []
    softer = RuleConfig.from_options(severity=["A1=warning"])
    (finding,) = validate_cassette(cassette, config=softer)
    assert finding.severity is Severity.WARNING
    louder = RuleConfig.from_options(severity=["R6=error"], strict=True)
    assert louder.strict and louder.severities == {"R6": Severity.ERROR}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"disable": ["Z9"], "profile": "assistants"}, "unknown rule 'Z9' for profile assistants"),
        ({"disable": ["Z9"]}, "unknown rule 'Z9' for any installed profile"),
        ({"severity": ["A1"]}, "--severity takes RULE=LEVEL, got 'A1'"),
        ({"severity": ["A1=loud"]}, "unknown severity 'loud' for A1"),
        ({"severity": ["Q1=error"]}, "unknown rule 'Q1'"),
        ({"profile": "nope"}, "unknown profile 'nope'"),
    ],
)
def test_bad_rule_options_raise_profile_errors(options: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ProfileError, match=re.escape(message)):
        RuleConfig.from_options(**options)


def test_strict_mode_turns_real_world_shapes_into_errors() -> None:
    path = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
    assert validate_file(path).ok
    strict = validate_file(path, strict=True)
    assert not strict.ok
    assert {f.rule for f in strict.findings if f.is_error} == {"SCHEMA-REAL"}


def test_validate_paths_goes_on_after_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "good.sse").write_bytes(body(message_run()))
    (tmp_path / "broken.jsonl").write_text('{"kind":"cassette"\n', "utf-8")
    seen: list[str] = []
    results = list(validate_paths([tmp_path], progress=lambda n, p: seen.append(p)))
    assert [Path(r.path).name for r in results] == ["broken.jsonl", "good.sse"]
    assert results[0].error is not None and "line 1" in results[0].error
    assert not results[0].ok and results[1].ok
    assert len(seen) == 2


def test_missing_files_raise_not_found() -> None:
    with pytest.raises(CassetteNotFoundError):
        validate_file("/nonexistent/run.sse")
    assert FileResult("x").ok


def test_keep_alive_comments_between_events_are_fine(tmp_path: Path) -> None:
    events = message_run()
    data = b"".join(b": ping\n\n" + body([event]) for event in events)
    path = tmp_path / "pings.sse"
    path.write_bytes(data)
    result = validate_file(path)
    assert result.ok and result.findings == [] and result.events == len(events)


def test_a_cassette_of_an_unknown_profile_is_a_file_error(tmp_path: Path) -> None:
    cassette = _wrap(CREATE_RUN, body(message_run()))
    cassette.profile = "responses-v9"
    cassette.save(tmp_path / "other.jsonl")
    (tmp_path / "good.sse").write_bytes(body(message_run()))
    results = list(validate_paths([tmp_path]))
    assert [r.ok for r in results] == [True, False]
    assert "unknown profile 'responses-v9'" in (results[1].error or "")


@settings(max_examples=200, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from(
            [
                b"event: thread.message.delta\n",
                b"event\n",
                b"data\n",
                b"data: {}\n",
                b"data: [DONE]\n",
                b"\n",
                b"\r\n",
                b": c\n",
                b"id: 1\n",
                b"junk\n",
                b"event: done\n",
                b"\xff\n",
                b'data: {"id": 1}\n',
                b"event: error\n",
            ]
        ),
        max_size=25,
    ),
    size=st.integers(1, 9),
)
def test_no_body_crashes_the_validator(pieces: list[bytes], size: int) -> None:
    data = b"".join(pieces)
    cassette = _wrap(CREATE_RUN, data)
    cassette.interactions[0].chunks = [
        Chunk(t=0.0, data=data[i : i + size]) for i in range(0, len(data), size)
    ]
    for finding in validate_cassette(cassette):
        assert finding.message
