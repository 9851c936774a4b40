"""The ``gemini`` profile (data alone: recorder/profiles/gemini/profile.toml, no Python).

Every rule has a body that keeps it and one that breaks it, made from the hand-made bodies in
fixtures/profiles/gemini/ (see its README: there are no real Gemini captures) by dropping,
duplicating or altering events; each break names the rule and the first breaking event.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse
from recorder.profiles import detect, first_events, get_profile
from recorder.validate.findings import Severity
from recorder.validate.runner import validate_cassette, validate_file

ROOT = Path(__file__).resolve().parent.parent
BODIES = ROOT / "fixtures" / "profiles" / "gemini"
SSE_RECORDER = str(Path(sys.executable).with_name("sse-recorder"))
Events = list[dict[str, Any]]


def events_of(name: str) -> Events:
    """The payloads of a hand-made body, in order."""
    text = (BODIES / name).read_bytes().decode()
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def body(events: Events, newline: str = "\r\n") -> bytes:
    return "".join(f"data: {json.dumps(e)}{newline}{newline}" for e in events).encode()


def findings(events: Events, *, request: RecordedRequest | None = None) -> list[Any]:
    if request is None:
        return validate_cassette(Cassette.from_sse(body(events)))
    cassette = Cassette(
        interactions=[
            Interaction(
                request=request,
                response=RecordedResponse(
                    status=200, headers=[("content-type", "text/event-stream")]
                ),
                chunks=[Chunk(t=0.0, data=body(events))],
                outcome="complete",
                ended_at=0.0,
            )
        ]
    )
    return validate_cassette(cassette)


def errors(events: Events) -> set[tuple[str, int | None]]:
    return {(f.rule, f.event_index) for f in findings(events) if f.severity is Severity.ERROR}


@pytest.mark.parametrize("path", sorted(BODIES.glob("*.sse")), ids=lambda p: p.name)
def test_every_hand_made_body_is_gemini_and_keeps_the_contract(path: Path) -> None:
    result = validate_file(path)
    assert result.profile == "gemini"
    assert [f for f in result.findings if f.severity is not Severity.INFO] == []


def test_most_bodies_use_crlf_as_measured() -> None:
    assert b"\r\n\r\n" in (BODIES / "text.sse").read_bytes()
    assert b"\r\n" not in (BODIES / "vertex-thinking.sse").read_bytes()


# ------------------------------------------------------------------ breaking each rule


def _drop_last(events: Events) -> None:
    events.pop()


def _data_not_json(events: Events) -> None:
    events[1] = "not json"  # type: ignore[call-overload]


def _after_finish(events: Events) -> None:
    events.append(copy.deepcopy(events[0]) | {"usageMetadata": events[-1]["usageMetadata"]})


def _finish_twice(events: Events) -> None:
    events.insert(3, copy.deepcopy(events[3]))


def _no_usage_at_end(events: Events) -> None:
    events[-1]["usageMetadata"] = {"promptTokenCount": 9}


def _model_changes(events: Events) -> None:
    events[2]["modelVersion"] = "gemini-2.0-flash"


def _response_id_changes(events: Events) -> None:
    events[1]["responseId"] = "other"


def _error_then_more(events: Events) -> None:
    events.insert(2, {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}})


def _wrong_type(events: Events) -> None:
    events[1]["candidates"][0]["content"]["parts"] = "text"


def _second_candidate_unfinished(events: Events) -> None:
    events.pop()  # candidate 1's finishing event


#: (body, change, rule, first breaking event index; None: found at the end)
CASES: list[tuple[str, Callable[[Events], None], str, int | None]] = [
    ("text.sse", _data_not_json, "GM1", 1),
    ("text.sse", _drop_last, "GM2", None),  # candidate 0 never finishes...
    ("text.sse", _after_finish, "GM2", 4),
    ("two-candidates.sse", _second_candidate_unfinished, "GM2", None),
    ("text.sse", _finish_twice, "GM3", 4),
    ("text.sse", _no_usage_at_end, "GM4", None),
    ("text.sse", _model_changes, "GM5", 2),
    ("text.sse", _response_id_changes, "GM5", 1),
    ("text.sse", _error_then_more, "GM6", 2),
    ("text.sse", _wrong_type, "SCHEMA", 1),
]


@pytest.mark.parametrize(
    ("name", "change", "rule", "index"), CASES, ids=[f"{c[2]}-{c[1].__name__}" for c in CASES]
)
def test_a_broken_body_gives_the_rule_at_the_first_breaking_event(
    name: str, change: Callable[[Events], None], rule: str, index: int | None
) -> None:
    events = events_of(name)
    assert not errors(events)  # the same body, unchanged, keeps every rule
    change(events)
    found = [f for f in findings(events) if f.rule == rule and f.severity is Severity.ERROR]
    assert found, f"no {rule} in {findings(events)}"
    assert found[0].event_index == index


def test_a_cut_stream_is_told_by_its_last_event() -> None:
    events = events_of("text.sse")[:2]
    found = {(f.rule, f.event_index) for f in findings(events)}
    assert ("GM4", None) in found and ("GM2", None) in found


def test_the_error_event_excuses_the_unfinished_end_but_nothing_may_follow() -> None:
    events = events_of("text.sse")[:2]
    events.append({"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}})
    found = findings(events)
    assert {(f.rule, f.event_index) for f in found if f.severity is Severity.ERROR} == {("GM6", 2)}
    assert "UNAVAILABLE: overloaded" in found[0].message


def test_a_missing_candidate_index_is_candidate_zero() -> None:
    events = events_of("text.sse")
    assert "index" not in events[0]["candidates"][0] and events[-1]["candidates"][0]["index"] == 0
    assert not errors(events)


def test_every_rule_has_a_keeping_and_a_breaking_body() -> None:
    declared = set(get_profile("gemini").rules) - {"SCHEMA-REAL", "SCHEMA-EXTRA"}
    assert {case[2] for case in CASES} == declared


# ------------------------------------------------------------------ recognition and view


def test_recognised_by_request_path_gemini_api_and_vertex() -> None:
    for url in (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    ):
        request = RecordedRequest(method="POST", url=url)
        assert detect(request, ()).name == "gemini"
        assert get_profile("gemini").endpoint_for(request)[1]["model"].startswith("gemini-2.5")


def test_recognised_from_the_first_events_of_a_raw_body() -> None:
    for path in sorted(BODIES.glob("*.sse")):
        assert detect(None, first_events([path.read_bytes()])).name == "gemini", path.name


def test_the_request_path_decides_over_the_body() -> None:
    request = RecordedRequest(
        method="POST", url="https://x.example/v1beta/models/m:streamGenerateContent?alt=sse"
    )
    events = events_of("text.sse")
    events.pop()
    assert {f.rule for f in findings(events, request=request)} >= {"GM2", "GM4"}


def test_the_view_gives_the_delta_text_and_the_volatile_fields() -> None:
    view = get_profile("gemini").view
    events = events_of("two-candidates.sse")
    assert view.delta_text(events[0]) == "RedBlue"
    assert view.kind("message", events[0]) == "GenerateContentResponse"
    assert "responseId" in view.volatile and view.sentinel is None
    assert view.error_event is not None and '"status": "INTERNAL"' in view.error_event


def test_the_profile_ships_as_data_alone() -> None:
    folder = ROOT / "recorder" / "profiles" / "gemini"
    assert sorted(p.name for p in folder.iterdir() if p.name != "__pycache__") == ["profile.toml"]
    profile = get_profile("gemini")
    assert profile.spec is not None and profile.spec.rules_module is None
    assert profile.fold_factory is None


def test_validate_through_the_cli_exit_codes(tmp_path: Path) -> None:
    broken = tmp_path / "cut.sse"
    broken.write_bytes(body(events_of("text.sse")[:2]))
    ok = subprocess.run(
        [SSE_RECORDER, "validate", str(BODIES / "text.sse")], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "(gemini," in ok.stdout
    bad = subprocess.run([SSE_RECORDER, "validate", str(broken)], capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "GM4" in bad.stdout
