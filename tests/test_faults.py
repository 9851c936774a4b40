"""The fault spec language and each fault's effect on the replayed bytes and events."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recorder.cassette import Cassette, load_cassette
from recorder.errors import UsageError
from recorder.replay.faults import Fault, FaultSpec, Piece, rechunk
from recorder.replay.plan import plan
from recorder.validate.findings import Finding
from recorder.wire.sse import parse_bytes
from tests.conftest import CASSETTES
from tests.replay_streams import run_events, stream_cassette

REAL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"


def names(body: bytes) -> list[str]:
    return [event.event for event in parse_bytes(body)[0]]


def ns(body: bytes) -> list[object]:
    """Event payload ``n`` of each delta, or the event name for others."""
    out: list[object] = []
    for event in parse_bytes(body)[0]:
        out.append(json.loads(event.data)["n"] if event.event.endswith("delta") else event.event)
    return out


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("spec", "faults"),
    [
        ("", ()),
        ("  ", ()),
        ("truncate-after=12", (Fault("truncate-after", value=12),)),
        ("drop-done", (Fault("drop-done"),)),
        ("disconnect-after-ms=300", (Fault("disconnect-after-ms", value=300),)),
        ("rechunk=1", (Fault("rechunk", value=1),)),
        ("stall=5@12", (Fault("stall", value=5, event=12),)),
        ("corrupt-json@7", (Fault("corrupt-json", event=7),)),
        ("duplicate@5", (Fault("duplicate", event=5),)),
        ("swap@5,6", (Fault("swap", event=5, other=6),)),
        ("error-event@9", (Fault("error-event", event=9),)),
        (
            "swap@5,6,drop-done; rechunk=3",
            (Fault("swap", event=5, other=6), Fault("drop-done"), Fault("rechunk", value=3)),
        ),
        ("Drop-Done ; ", (Fault("drop-done"),)),
    ],
)
def test_parse_accepts_every_fault_and_combinations(spec: str, faults: tuple[Fault, ...]) -> None:
    parsed = FaultSpec.parse(spec)
    assert parsed.faults == faults
    assert FaultSpec.parse(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("bogus", "unknown fault 'bogus'"),
        ("truncate-after", "truncate-after needs a value"),
        ("truncate-after=x", "must be a non-negative integer"),
        ("truncate-after=-1", "must be a non-negative integer"),
        ("rechunk=0", "at least 1 byte"),
        ("drop-done=1", "drop-done takes no argument"),
        ("stall=5", "stall needs a duration and an event"),
        ("stall=a@1", "must be a non-negative integer"),
        ("corrupt-json", "corrupt-json needs an event"),
        ("duplicate@", "must be a non-negative integer"),
        ("swap@5", "swap needs two events"),
        ("7", "unknown fault '7'"),
        ("rechunk=\u00b2", "must be a non-negative integer"),
        ("stall=86400001@1", "at most 86400000 ms"),
        ("disconnect-after-ms=99999999999999", "at most 86400000 ms"),
        ("stall=5@\u0663", "must be a non-negative integer"),
        ("swap@1,\u00b2", "unknown fault"),
    ],
)
def test_parse_errors_name_the_problem_and_list_the_allowed_faults(spec: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        FaultSpec.parse(spec)
    message = str(caught.value)
    assert says in message
    assert "Allowed faults:" in message and "error-event@E" in message
    assert "\n" not in message


# --------------------------------------------------------------------------- effects


def test_no_fault_replays_the_recorded_chunks_and_times_exactly() -> None:
    cassette = stream_cassette(gap=0.1)
    interaction = cassette.interactions[0]
    replay = plan(interaction)
    assert [send.data for send in replay.sends] == [chunk.data for chunk in interaction.chunks]
    assert [send.at for send in replay.sends] == [chunk.t for chunk in interaction.chunks]
    assert replay.head_at == 0.005 and replay.ending == "complete"


def test_speed_scales_and_instant_drops_timing() -> None:
    interaction = stream_cassette(gap=0.1).interactions[0]
    fast = plan(interaction, speed=10)
    assert [send.at for send in fast.sends] == pytest.approx([c.t / 10 for c in interaction.chunks])
    assert {send.at for send in plan(interaction, instant=True).sends} == {0.0}
    with pytest.raises(UsageError, match="speed must be a positive number"):
        plan(interaction, speed=0)


def test_truncate_after_keeps_n_events_and_ends_cleanly() -> None:
    replay = plan(stream_cassette().interactions[0], faults="truncate-after=2")
    assert ns(replay.body) == [0, 1]
    assert replay.ending == "complete"


def test_drop_done_removes_only_done() -> None:
    replay = plan(stream_cassette().interactions[0], faults="drop-done")
    assert ns(replay.body) == [0, 1, 2, 3, 4]


def test_disconnect_after_ms_cuts_by_replay_time_and_aborts() -> None:
    interaction = stream_cassette(gap=0.1).interactions[0]  # events at 10, 110, 210... ms
    replay = plan(interaction, faults="disconnect-after-ms=250")
    assert ns(replay.body) == [0, 1, 2]
    assert (replay.ending, replay.end_at) == ("abort", 0.25)
    assert "disconnect-after-ms=250" in (replay.detail or "")
    # At speed 10 the whole stream is over in 51 ms: a cut at 250 ms never happens.
    assert plan(interaction, speed=10, faults="disconnect-after-ms=250").ending == "complete"
    # disconnect-after-ms=0: nothing is sent at all.
    assert plan(interaction, instant=True, faults="disconnect-after-ms=0").sends == []


def test_rechunk_splits_every_n_bytes_and_changes_no_event() -> None:
    interaction = stream_cassette(gap=0.1).interactions[0]
    for size in (1, 7, 10_000):
        replay = plan(interaction, faults=f"rechunk={size}")
        assert replay.body == interaction.body
        assert all(len(send.data) == size for send in replay.sends[:-1])
        assert parse_bytes(replay.body)[0] == parse_bytes(interaction.body)[0]
    # A byte goes out when the recorded chunk holding it arrived, never earlier.
    one = plan(interaction, faults="rechunk=1")
    first_chunk = len(interaction.chunks[0].data)
    assert one.sends[first_chunk - 1].at == interaction.chunks[0].t
    assert one.sends[first_chunk].at == interaction.chunks[1].t


def test_stall_delays_the_event_and_everything_after_it() -> None:
    interaction = stream_cassette(gap=0.1).interactions[0]
    replay = plan(interaction, faults="stall=500@2")
    times = [send.at for send in replay.sends]
    recorded = [chunk.t for chunk in interaction.chunks]
    assert times[:2] == recorded[:2]
    assert times[2:] == pytest.approx([t + 0.5 for t in recorded[2:]])
    assert replay.end_at == pytest.approx(interaction.ended_at + 0.5)  # type: ignore[operator]
    # With --instant the stall is the only delay left.
    instant = plan(interaction, instant=True, faults="stall=500@2")
    assert [send.at for send in instant.sends] == [0, 0, 0.5, 0.5, 0.5, 0.5]


def test_corrupt_json_breaks_only_that_events_data() -> None:
    replay = plan(stream_cassette().interactions[0], faults="corrupt-json@1")
    events = parse_bytes(replay.body)[0]
    assert len(events) == 6
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[1].data)
    assert [json.loads(e.data)["n"] for e in events[:5] if e is not events[1]] == [0, 2, 3, 4]


def test_corrupt_json_never_splits_a_utf8_character() -> None:
    events: list[tuple[str, object]] = [
        ("thread.message.delta", {"v": "ééééééééé"}),
        ("done", "[DONE]"),
    ]
    replay = plan(stream_cassette(events).interactions[0], faults="corrupt-json@0")
    replay.body.decode("utf-8")
    assert not parse_bytes(replay.body)[1].decode_errors


def test_duplicate_sends_the_event_twice_in_a_row() -> None:
    replay = plan(stream_cassette().interactions[0], faults="duplicate@1")
    assert ns(replay.body) == [0, 1, 1, 2, 3, 4, "done"]


def test_swap_exchanges_two_events_and_keeps_time_monotonic() -> None:
    replay = plan(stream_cassette(gap=0.1).interactions[0], faults="swap@1,3")
    assert ns(replay.body) == [0, 3, 2, 1, 4, "done"]
    times = [send.at for send in replay.sends]
    assert times == sorted(times)


def test_error_event_replaces_the_rest_of_the_stream_with_an_error() -> None:
    replay = plan(stream_cassette().interactions[0], faults="error-event@2")
    events = parse_bytes(replay.body)[0]
    assert [e.event for e in events] == ["thread.message.delta"] * 2 + ["error"]
    payload = json.loads(events[2].data)
    assert payload["type"] == "server_error" and "error-event@2" in payload["message"]
    assert replay.ending == "complete"


def test_event_numbers_always_name_recorded_events() -> None:
    replay = plan(stream_cassette().interactions[0], faults="duplicate@1,swap@1,3")
    assert ns(replay.body) == [0, 3, 1, 2, 1, 4, "done"]


def test_truncate_after_also_drops_what_was_injected_after_the_cut() -> None:
    interaction = stream_cassette().interactions[0]
    assert ns(plan(interaction, faults="duplicate@3,truncate-after=2").body) == [0, 1]
    assert ns(plan(interaction, faults="duplicate@1,truncate-after=2").body) == [0, 1, 1]
    cut_before_error = plan(interaction, faults="error-event@3,truncate-after=2")
    assert names(cut_before_error.body) == ["thread.message.delta"] * 2
    error_kept = plan(interaction, faults="error-event@1,truncate-after=2")
    assert names(error_kept.body) == ["thread.message.delta", "error"]


def test_faults_beyond_the_stream_leave_it_alone() -> None:
    interaction = stream_cassette().interactions[0]
    for spec in ("truncate-after=99", "corrupt-json@99", "duplicate@99", "swap@1,99", "stall=5@99"):
        assert plan(interaction, faults=spec).body == interaction.body, spec


def test_crlf_streams_and_comments_survive_event_faults() -> None:
    events = run_events(3)
    cassette = stream_cassette(events, line_end="\r\n", split=5)
    interaction = cassette.interactions[0]
    assert ns(plan(interaction, faults="swap@0,2").body) == [2, 1, 0, "done"]
    body = plan(interaction, faults="error-event@1").body
    assert b"event: error\r\ndata: {" in body and body.endswith(b"\r\n\r\n")
    # A keep-alive comment between events stays where it was.
    chunk = interaction.chunks[0]
    commented = interaction.model_copy(
        update={
            "chunks": [chunk.model_copy(update={"data": b": ping\r\n\r\n"}), *interaction.chunks]
        }
    )
    assert plan(commented, faults="drop-done").body.startswith(b": ping\r\n\r\n")


def test_faults_do_not_touch_json_responses_or_missing_responses() -> None:
    from tests.replay_streams import json_interaction

    interaction = json_interaction("https://api.openai.com/v1/threads/t/runs/r", {"id": "r"})
    assert plan(interaction, faults="rechunk=1,truncate-after=0").body == interaction.body
    orphan = stream_cassette().interactions[0].model_copy(update={"response": None})
    no_response = plan(orphan)
    assert no_response.status == 502 and b"no response" in no_response.body


def test_a_recorded_reset_replays_as_an_abort() -> None:
    interaction = stream_cassette(outcome="upstream-reset").interactions[0]
    replay = plan(interaction)
    assert replay.ending == "abort" and replay.detail == "recorded outcome upstream-reset"


def test_real_capture_every_fault_gives_the_intended_events() -> None:
    interaction = load_cassette(REAL).interactions[0]
    recorded = names(interaction.body)
    assert names(plan(interaction, faults="drop-done").body) == recorded[:-1]
    assert names(plan(interaction, faults="truncate-after=4").body) == recorded[:4]
    assert names(plan(interaction, faults="rechunk=1").body) == recorded


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=8),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_any_rechunking_of_any_recorded_chunking_keeps_bytes_and_events(
    sizes: list[int], line_end: str
) -> None:
    events: list[tuple[str, object]] = [("thread.message.delta", {"t": "héllo ✓"}), *run_events(2)]
    interaction = stream_cassette(events, line_end=line_end, split=sizes[0]).interactions[0]
    pieces = [Piece(chunk.t, chunk.data) for chunk in interaction.chunks]
    for size in sizes[1:]:
        pieces = rechunk(pieces, size)
    assert b"".join(piece.data for piece in pieces) == interaction.body
    replayed = parse_bytes([piece.data for piece in pieces])[0]
    assert [e[:5] for e in replayed] == [e[:5] for e in parse_bytes(interaction.body)[0]]


# --------------------------------------------------------------------------- closed loop


def replayed(cassette_path: Path, spec: str, directory: Path) -> Cassette:
    """Replay every interaction with ``spec`` (through the in-process transport) and record
    what arrived with the recorder's own transport: the cassette a client would capture."""
    from recorder.record.transport import RecordingTransport
    from recorder.replay.transport import ReplayTransport

    original = load_cassette(cassette_path)
    target = directory / "replayed.jsonl"
    replay = ReplayTransport(original, instant=True, faults=spec)
    with httpx.Client(transport=RecordingTransport(target, transport=replay)) as client:
        for interaction in original.interactions:
            request = interaction.request
            try:
                with client.stream(request.method, request.url, content=request.body) as r:
                    for _ in r.iter_raw():
                        pass
            except httpx.RemoteProtocolError:
                pass  # a dropped connection is part of the fault; the recorder kept the bytes
    return load_cassette(target)


def rules(findings: list[Finding]) -> set[tuple[str, int | None, int | None]]:
    return {(f.rule, f.interaction, f.event_index) for f in findings if f.is_error}


STREAMING = CASSETTES / "real" / "dotnet-streaming-run.jsonl"


@pytest.mark.parametrize(
    ("path", "spec", "rule", "interaction", "event"),
    [
        (REAL, "truncate-after=5", "F2", 0, None),
        (REAL, "drop-done", "F2", 1, None),
        (REAL, "disconnect-after-ms=0", "F2", 0, None),
        (REAL, "corrupt-json@3", "F1", 0, 3),
        (STREAMING, "duplicate@3", "P2", 0, 4),
        (REAL, "swap@2,3", "R2", 0, 3),
        (REAL, "error-event@4", "F2", 0, None),
    ],
)
def test_each_contract_breaking_fault_is_reported_by_the_validator(
    path: Path, spec: str, rule: str, interaction: int, event: int | None, tmp_path: Path
) -> None:
    from recorder.validate.runner import validate_cassette

    assert not rules(validate_cassette(load_cassette(path)))
    findings = validate_cassette(replayed(path, spec, tmp_path), profile="assistants")
    assert (rule, interaction, event) in rules(findings)
    if spec.startswith("error-event"):
        assert any(f.rule == "E1" and f.event_index == 4 for f in findings)


@pytest.mark.parametrize("spec", ["rechunk=1", "rechunk=5", "stall=20@3"])
def test_rechunk_and_stall_change_nothing_the_validator_sees(spec: str, tmp_path: Path) -> None:
    from recorder.validate.runner import validate_cassette

    for number, path in enumerate((REAL, STREAMING)):
        original = load_cassette(path)
        again = replayed(path, spec, tmp_path / str(number))
        assert [i.body for i in again.interactions] == [i.body for i in original.interactions]
        assert validate_cassette(again) == validate_cassette(original)
        if spec.startswith("rechunk"):
            size = int(spec.split("=")[1])
            assert {len(c.data) for c in again.interactions[0].chunks[:-1]} == {size}


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"faults": "truncate-after=999"}, "truncate-after=999 would do nothing: the stream has "
         "only 41 events"),
        ({"faults": "disconnect-after-ms=100", "instant": True}, "disconnect-after-ms=100 would "
         "do nothing: --instant replays the whole response at 0 ms"),
        ({"faults": "disconnect-after-ms=60000"}, "disconnect-after-ms=60000 would do nothing: "
         "the response ends at"),
    ],
)  # fmt: skip
def test_a_fault_that_would_do_nothing_is_a_usage_error(
    options: dict[str, object], says: str
) -> None:
    from recorder.replay.plan import Replayer

    cassette = stream_cassette(run_events(40), gap=0.001)
    with pytest.raises(UsageError, match=re.escape(says)):
        Replayer([cassette], **options)  # type: ignore[arg-type]
    # The same faults where they act are accepted.
    Replayer([cassette], faults="truncate-after=39,disconnect-after-ms=10")


def test_a_fault_idle_on_one_stream_but_acting_on_another_is_accepted() -> None:
    from recorder.replay.plan import Replayer

    short, long = stream_cassette(run_events(3)), stream_cassette(run_events(40))
    Replayer([short, long], faults="truncate-after=10")


# --------------------------------------------------------------------------- faults ask the profile


def _raw_interaction(body: bytes) -> Cassette:
    from recorder.cassette import Chunk, Interaction, RecordedRequest, RecordedResponse

    return Cassette(
        interactions=[
            Interaction(
                request=RecordedRequest(method="POST", url="http://127.0.0.1/stream"),
                response=RecordedResponse(
                    status=200, headers=[("content-type", "text/event-stream")]
                ),
                chunks=[Chunk(t=0.0, data=body)],
                outcome="complete",
            )
        ]
    )


def test_drop_done_is_a_usage_error_where_the_profile_has_no_sentinel() -> None:
    # A stream no profile claims (generic): no [DONE] to drop, so the fault would do nothing.
    body = b'event: tick\ndata: {"n": 1}\n\nevent: tick\ndata: {"n": 2}\n\n'
    with pytest.raises(UsageError, match="drop-done has no meaning here"):
        plan(_raw_interaction(body).interactions[0], faults="drop-done")


def test_drop_done_removes_the_profile_sentinel() -> None:
    # Assistants' sentinel is the `done` event with data [DONE], recognised from the events.
    replay = plan(stream_cassette().interactions[0], faults="drop-done")
    assert "done" not in names(replay.body)


def test_error_event_uses_the_profile_view(tmp_path: Path) -> None:
    from recorder.profiles import get_profile

    profile = tmp_path / "p.toml"
    profile.write_text(
        'name = "ticks"\ntitle = "ticks"\n[rules]\nT1 = { source = "EX", summary = "json" }\n'
        '[stream]\njson_rule = "T1"\n[view]\n'
        'error_event = "event: failure\\ndata: {\\"reason\\": \\"x\\"}\\n\\n"\n',
        encoding="utf-8",
    )
    view = get_profile(str(profile)).view
    body = b"data: {}\r\n\r\ndata: {}\r\n\r\n"
    replay = plan(_raw_interaction(body).interactions[0], faults="error-event@1", view=view)
    assert replay.body == b'data: {}\r\n\r\nevent: failure\r\ndata: {"reason": "x"}\r\n\r\n'
