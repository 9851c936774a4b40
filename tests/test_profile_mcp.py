"""The ``mcp`` profile (data alone: recorder/profiles/mcp/profile.toml, no Python).

A POSTed JSON-RPC request answered with an event stream: notifications relate to the request,
the response with the request's id ends the stream, an optional priming event (an id and empty
data) is fine. Every rule has a stream that keeps it and one that breaks it, with the first
breaking event's index; the streams are the hand-made bodies of fixtures/profiles/mcp/ inside a
cassette whose recorded request they answer.
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
BODIES = ROOT / "fixtures" / "profiles" / "mcp"
SSE_RECORDER = str(Path(sys.executable).with_name("sse-recorder"))
#: (SSE id, payload); payload None is the priming event's empty data.
Events = list[tuple[str | None, Any]]

TOOLS_CALL = {
    "jsonrpc": "2.0",
    "id": 7,
    "method": "tools/call",
    "params": {
        "name": "get_weather",
        "arguments": {"location": "Seattle, WA"},
        "_meta": {"progressToken": "call-7"},
    },
}


def request(body: dict[str, Any] = TOOLS_CALL, version: str = "2025-11-25") -> RecordedRequest:
    return RecordedRequest(
        method="POST",
        url="http://127.0.0.1:8000/mcp",
        headers=[("content-type", "application/json"), ("mcp-protocol-version", version)],
        body=json.dumps(body).encode(),
    )


def events_of(name: str) -> Events:
    """The events of a hand-made body: (id, payload or None for empty data)."""
    out: Events = []
    for block in (BODIES / name).read_bytes().decode().replace("\r\n", "\n").split("\n\n"):
        if not block:
            continue
        fields = dict(line.split(":", 1) for line in block.split("\n"))
        data = fields["data"].strip()
        out.append((fields.get("id", "").strip() or None, json.loads(data) if data else None))
    return out


def body(events: Events, newline: str = "\r\n") -> bytes:
    parts = []
    for event_id, payload in events:
        lines = [f"id: {event_id}"] if event_id is not None else []
        lines.append("data:" if payload is None else f"data: {json.dumps(payload)}")
        parts.append(newline.join(lines) + newline + newline)
    return "".join(parts).encode()


def cassette(events: Events, recorded: RecordedRequest | None) -> Cassette:
    if recorded is None:
        return Cassette.from_sse(body(events))
    return Cassette(
        interactions=[
            Interaction(
                request=recorded,
                response=RecordedResponse(
                    status=200, headers=[("content-type", "text/event-stream")]
                ),
                chunks=[Chunk(t=0.0, data=body(events))],
                outcome="complete",
                ended_at=0.0,
            )
        ]
    )


def findings(events: Events, recorded: RecordedRequest | None = None) -> list[Any]:
    return validate_cassette(cassette(events, recorded))


def problems(
    events: Events, recorded: RecordedRequest | None = None
) -> set[tuple[str, int | None]]:
    return {
        (f.rule, f.event_index)
        for f in findings(events, recorded)
        if f.severity is not Severity.INFO
    }


@pytest.mark.parametrize("path", sorted(BODIES.glob("*.sse")), ids=lambda p: p.name)
def test_every_hand_made_body_is_mcp_and_keeps_the_contract(path: Path) -> None:
    result = validate_file(path)
    assert result.profile == "mcp"
    assert [f for f in result.findings if f.severity is not Severity.INFO] == []


def test_the_stream_answering_its_request_keeps_every_rule_in_both_revisions() -> None:
    events = events_of("tool-call-progress.sse")
    assert events[0] == ("0f7c-1", None)  # the priming event: no finding
    assert problems(events, request(version="2025-11-25")) == set()
    # The revision comes from the request's MCP-Protocol-Version: 2026-07-28 results MUST
    # carry resultType.
    assert problems(events, request(version="2026-07-28")) == {("SCHEMA", 4)}
    events[-1][1]["result"]["resultType"] = "complete"
    assert problems(events, request(version="2026-07-28")) == set()


# ------------------------------------------------------------------ breaking each rule


def _not_json(events: Events) -> None:
    events[2] = (events[2][0], "log line")


def _no_member(events: Events) -> None:
    events[1] = (events[1][0], {"jsonrpc": "2.0", "params": {}})


def _after_response(events: Events) -> None:
    events.append(copy.deepcopy(events[2]))


def _two_responses(events: Events) -> None:
    events.append(copy.deepcopy(events[-1]))


def _no_response(events: Events) -> None:
    events.pop()


def _other_id(events: Events) -> None:
    events[-1][1]["id"] = 8


def _other_progress_token(events: Events) -> None:
    events[3][1]["params"]["progressToken"] = "call-8"


def _cancelled_other_request(events: Events) -> None:
    notification = {"method": "notifications/cancelled", "params": {"requestId": 3}}
    events.insert(2, ("0f7c-2b", {"jsonrpc": "2.0", **notification}))


def _server_request_in_2026(events: Events) -> None:
    ask = {"method": "roots/list", "id": "s-1", "params": {}}
    events.insert(1, ("0f7c-1b", {"jsonrpc": "2.0", **ask}))


def _client_method(events: Events) -> None:
    events.insert(1, ("0f7c-1b", {"jsonrpc": "2.0", "method": "tools/list", "id": "s-2"}))


def _bad_progress(events: Events) -> None:
    events[1][1]["params"]["progress"] = "half"


#: (change, request revision, rule, first breaking event index; None: found at the end)
CASES: list[tuple[Callable[[Events], None], str, str, int | None]] = [
    (_not_json, "2025-11-25", "MCP1", 2),
    (_no_member, "2025-11-25", "MCP1", 1),
    (_after_response, "2025-11-25", "MCP2", 5),
    (_two_responses, "2025-11-25", "MCP2", 5),
    (_no_response, "2025-11-25", "MCP3", None),
    (_other_id, "2025-11-25", "MCP4", 4),
    (_other_progress_token, "2025-11-25", "MCP5", 3),
    (_cancelled_other_request, "2025-11-25", "MCP5", 2),
    (_server_request_in_2026, "2026-07-28", "MCP6", 1),
    (_client_method, "2025-11-25", "MCP6", 1),
    (_bad_progress, "2025-11-25", "SCHEMA", 1),
]


@pytest.mark.parametrize(
    ("change", "version", "rule", "index"), CASES, ids=[f"{c[2]}-{c[0].__name__}" for c in CASES]
)
def test_a_broken_stream_gives_the_rule_at_the_first_breaking_event(
    change: Callable[[Events], None], version: str, rule: str, index: int | None
) -> None:
    events = events_of("tool-call-progress.sse")
    change(events)
    found = [f for f in findings(events, request(version=version)) if f.rule == rule]
    assert found, f"no {rule} in {findings(events, request(version=version))}"
    assert found[0].event_index == index
    assert found[0].severity is get_profile("mcp").rules[rule].severity


def test_a_server_request_is_fine_before_2026_07_28() -> None:
    events = events_of("tool-call-progress.sse")
    _server_request_in_2026(events)
    assert problems(events, request(version="2025-11-25")) == set()


def test_a_progress_notification_for_a_request_without_a_token_breaks_mcp5() -> None:
    plain = copy.deepcopy(TOOLS_CALL)
    del plain["params"]["_meta"]
    found = [f for f in findings(events_of("tool-call-progress.sse"), request(plain))]
    assert [(f.rule, f.event_index) for f in found] == [("MCP5", 1), ("MCP5", 3)]
    assert "the request's params._meta.progressToken has none" in found[0].message


def test_without_a_request_the_ids_are_not_compared() -> None:
    events = events_of("tool-call-progress.sse")
    _other_id(events)
    assert problems(events) == set()


def test_every_rule_has_a_keeping_and_a_breaking_stream() -> None:
    declared = set(get_profile("mcp").rules) - {"SCHEMA-REAL", "SCHEMA-EXTRA"}
    assert {case[2] for case in CASES} == declared


# ------------------------------------------------------------------ recognition and view


def test_recognised_from_the_first_message_past_the_priming_event() -> None:
    raw = (BODIES / "tool-call-progress.sse").read_bytes()
    assert raw.startswith(b"id: 0f7c-1\r\ndata:\r\n\r\n")
    assert detect(None, first_events([raw])).name == "mcp"
    # a request to an MCP endpoint (any path) is recognised by the body too
    assert detect(request(), ()).name == "generic"
    assert findings(events_of("tool-call-progress.sse"), request())[0:0] == []
    profile = get_profile("mcp")
    assert profile.view.kind("message", {"jsonrpc": "2.0", "id": 1, "result": {}}) == "result"
    assert profile.view.kind("message", {"jsonrpc": "2.0", "id": 1, "error": {}}) == "error"
    assert profile.view.kind("message", {"method": "notifications/progress"}) == (
        "notifications/progress"
    )
    assert profile.view.lane("notifications/message", {}) == "notification"
    assert profile.view.lane("result", {}) == "response"


def test_the_profile_ships_as_data_alone() -> None:
    folder = ROOT / "recorder" / "profiles" / "mcp"
    assert sorted(p.name for p in folder.iterdir() if p.name != "__pycache__") == ["profile.toml"]
    spec = get_profile("mcp").spec
    assert spec is not None and spec.rules_module is None and spec.fold is None


def test_validate_through_the_cli_exit_codes(tmp_path: Path) -> None:
    broken = tmp_path / "after.sse"
    events = events_of("tool-call-progress.sse")
    _after_response(events)
    broken.write_bytes(body(events))
    ok = subprocess.run(
        [SSE_RECORDER, "validate", str(BODIES / "tool-call-progress.sse")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "(mcp," in ok.stdout
    bad = subprocess.run([SSE_RECORDER, "validate", str(broken)], capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "MCP2" in bad.stdout
