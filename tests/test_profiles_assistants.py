"""Every rule of the Assistants profile: a stream that keeps it and one that breaks it.

Streams are built in code (tests/assistants_streams.py) and broken one change at a time; each
broken stream must give the expected rule at the expected event index. Schema checks are off
here so the rules are seen alone (test_validate covers both together).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorder.cassette import RecordedRequest
from recorder.errors import ProfileError
from recorder.profiles import get_profile, profile_names
from recorder.profiles.assistants import RULES
from recorder.validate.findings import Severity
from recorder.validate.runner import RuleConfig, validate_cassette
from tests.assistants_streams import (
    CREATE_RUN,
    CREATE_THREAD_AND_RUN,
    Events,
    cassette,
    clone,
    message_object,
    message_run,
    run_object,
    step_object,
    submit_request,
    submit_run,
    tool_call_run,
)

RULES_ONLY = RuleConfig(schemas=False)
Streams = list[tuple[RecordedRequest | None, Events]]


def findings(streams: Streams) -> list[Any]:
    return validate_cassette(cassette(*streams), config=RULES_ONLY)


def located(streams: Streams) -> set[tuple[str, int | None]]:
    return {(f.rule, f.event_index) for f in findings(streams)}


def base_message() -> Streams:
    return [(CREATE_RUN, message_run())]


def base_tools() -> Streams:
    return [
        (CREATE_THREAD_AND_RUN, tool_call_run()),
        (submit_request(outputs=[{"tool_call_id": "call_1", "output": "sunny"}]), submit_run()),
    ]


def code_interpreter_run(final_input: str = "print(1)") -> Streams:
    """A run whose tool step streams code_interpreter input, then completes."""
    events = message_run()
    empty = {"type": "tool_calls", "tool_calls": []}

    def delta(call: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "step_c",
            "object": "thread.run.step.delta",
            "delta": {"step_details": {"type": "tool_calls", "tool_calls": [call]}},
        }

    done = {
        "type": "tool_calls",
        "tool_calls": [
            {
                "id": "call_c",
                "type": "code_interpreter",
                "code_interpreter": {"input": final_input, "outputs": []},
            }
        ],
    }
    tool = [
        ["thread.run.step.created", step_object("step_c", "in_progress", empty)],
        [
            "thread.run.step.delta",
            delta(
                {
                    "index": 0,
                    "id": "call_c",
                    "type": "code_interpreter",
                    "code_interpreter": {"input": "", "outputs": []},
                }
            ),
        ],
        [
            "thread.run.step.delta",
            delta({"index": 0, "type": "code_interpreter", "code_interpreter": {"input": "print"}}),
        ],
        [
            "thread.run.step.delta",
            delta({"index": 0, "type": "code_interpreter", "code_interpreter": {"input": "(1)"}}),
        ],
        ["thread.run.step.completed", step_object("step_c", "completed", done)],
    ]
    # 3 step_c.created, 4-6 deltas, 7 step_c.completed, then message_run from its step on
    return [(CREATE_RUN, events[:3] + tool + events[3:])]


# ------------------------------------------------------------------------ keeping the rules


@pytest.mark.parametrize(
    "streams",
    [
        base_message(),
        base_tools(),
        code_interpreter_run(),
        [(None, message_run())],
        [(None, submit_run())],
    ],
    ids=[
        "message-run",
        "tool-call-then-submit",
        "code-interpreter",
        "raw-message-run",
        "raw-continuation",
    ],
)
def test_valid_streams_keep_every_rule(streams: Streams) -> None:
    assert findings(streams) == []


def test_valid_streams_keep_the_schemas_too() -> None:
    for streams in (base_message(), base_tools()):
        assert validate_cassette(cassette(*streams)) == []


# ------------------------------------------------------------------------ breaking them


def _set(index: int, **changes: Any) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        events[index][1].update(changes)

    return mutate


def _rename(index: int, name: str) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        events[index][0] = name

    return mutate


def _drop(index: int) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        del events[index]

    return mutate


def _insert(index: int, name: str, payload: Any) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        events.insert(index, [name, payload])

    return mutate


def _move(source: int, target: int) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        events.insert(target, events.pop(source))

    return mutate


def _delta_value(index: int, value: str, **item: Any) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        part = events[index][1]["delta"]["content"][0]
        part["text"]["value"] = value
        part.update(item)

    return mutate


def _annotation(events: Events) -> None:
    part = events[8][1]["delta"]["content"][0]
    part["text"]["annotations"] = [
        {"index": 0, "type": "file_citation", "text": "[1]", "start_index": 0, "end_index": 3}
    ]


def _failed_without_error(events: Events) -> None:
    events[11] = ["thread.run.failed", run_object("failed", failed_at=1700000009, usage=None)]


def _second_message(events: Events) -> None:
    events.insert(7, ["thread.message.created", message_object("msg_2", "in_progress", None)])


def _required_arguments(events: Events) -> None:
    calls = events[9][1]["required_action"]["submit_tool_outputs"]["tool_calls"]
    calls[0]["function"]["arguments"] = '{"city":"Bergen"}'


MESSAGE_CASES: list[tuple[str, Callable[[Events], None], str, int | None]] = [
    ("data-not-json", lambda e: e.__setitem__(7, [e[7][0], "{bad"]), "F1", 7),
    ("no-event-name", _rename(7, "message"), "F1", 7),
    ("done-without-DONE", lambda e: e.__setitem__(12, ["done", "DONE"]), "F1", 12),
    ("no-done", _drop(12), "F2", None),
    ("two-dones", _insert(13, "done", "[DONE]"), "F2", 13),
    (
        "event-after-done",
        _insert(13, "thread.run.in_progress", run_object("in_progress")),
        "F2",
        13,
    ),
    ("unknown-event", _insert(3, "thread.run.bogus", {"id": "x"}), "F3", 3),
    ("wrong-object", _set(2, object="thread"), "F4", 2),
    (
        "status-not-suffix",
        _set(11, status="incomplete", incomplete_details={"reason": "x"}),
        "F4",
        11,
    ),
    (
        "thread-created-in-create-run",
        _insert(0, "thread.created", {"id": "thread_1", "object": "thread"}),
        "S2",
        0,
    ),
    ("run-on-other-thread", _set(0, thread_id="thread_9"), "S2", 0),
    ("assistant-changes", _set(2, assistant_id="asst_9"), "R1", 2),
    ("drop-run-created", _drop(0), "R2", 0),
    (
        "status-after-terminal",
        _insert(12, "thread.run.in_progress", run_object("in_progress")),
        "R2",
        12,
    ),
    ("queued-to-completed", _drop(2), "R2", 10),
    ("no-final-run-event", _drop(11), "R3", 11),
    (
        "two-final-run-events",
        _insert(12, "thread.run.completed", run_object("completed")),
        "R3",
        12,
    ),
    ("event-after-final", _insert(12, "thread.run.bogus", {}), "R4", 12),
    ("completed-without-completed_at", _set(11, completed_at=None), "R5", 11),
    ("usage-while-in-progress", _set(2, usage={"total_tokens": 1}), "R5", 2),
    ("created_at-changes", _set(11, created_at=1600000000), "R6", 11),
    ("started_at-goes-back", _set(11, started_at=1600000000), "R6", 11),
    ("drop-step-created", _drop(3), "P1", 3),
    (
        "step-created-twice",
        _insert(
            4,
            "thread.run.step.created",
            step_object("step_1", "in_progress", {"type": "message_creation"}),
        ),
        "P2",
        4,
    ),
    ("step-type-mismatch", _set(3, type="tool_calls"), "P2", 3),
    ("step-of-other-run", _set(4, run_id="run_9"), "P2", 4),
    ("step-usage-in-progress", _set(4, usage={"total_tokens": 1}), "P3", 4),
    ("step-completed-without-usage", _set(10, usage=None), "P3", 10),
    ("step-never-ends", _drop(10), "P4", 10),
    ("message-outside-its-step", _move(10, 5), "P5", 6),
    ("drop-message-created", _drop(5), "M1", 5),
    ("delta-after-completed", _move(7, 9), "M1", 9),
    ("interleaved-messages", _second_message, "M2", 7),
    (
        "message-created-twice",
        _insert(6, "thread.message.created", message_object("msg_1", "in_progress", None)),
        "M2",
        6,
    ),
    ("message-role-user", _set(5, role="user"), "M3", 5),
    ("message-on-other-thread", _set(5, thread_id="thread_9"), "M3", 5),
    ("completed-without-completed_at", _set(9, completed_at=None), "M4", 9),
    ("incomplete-without-reason", _rename(9, "thread.message.incomplete"), "M4", 9),
    ("message-open-at-run-end", _drop(9), "M4", 10),
    ("delta-text-changed", _delta_value(8, "LO"), "A1", 9),
    ("content-index-skips", lambda e: e[7][1]["delta"]["content"][0].update(index=1), "A2", 7),
    (
        "content-type-changes",
        lambda e: e[8][1]["delta"]["content"][0].update(type="image_file"),
        "A2",
        8,
    ),
    ("annotation-not-final", _annotation, "A3", 9),
    (
        "error-event",
        lambda e: e.__setitem__(
            slice(7, 13),
            [["error", {"error": {"type": "server_error", "message": "boom"}}], ["done", "[DONE]"]],
        ),
        "E1",
        7,
    ),
    (
        "event-after-error",
        _insert(7, "error", {"message": "boom", "type": "server_error"}),
        "E2",
        8,
    ),
    ("failed-without-last_error", _failed_without_error, "E3", 11),
]


@pytest.mark.parametrize(
    ("mutate", "rule", "index"),
    [pytest.param(m, r, i, id=f"{r}-{name}") for name, m, r, i in MESSAGE_CASES],
)
def test_a_broken_message_run_gives_the_rule_at_the_event(
    mutate: Callable[[Events], None], rule: str, index: int | None
) -> None:
    events = clone(message_run())
    assert (rule, index) not in located([(CREATE_RUN, events)])
    mutate(events)
    assert (rule, index) in located([(CREATE_RUN, events)])


TOOL_CASES: list[tuple[str, Callable[[Streams], None], str, int | None]] = [
    ("no-thread-created", lambda s: s[0][1].pop(0), "S1", 0),
    ("run-not-on-created-thread", lambda s: s[0][1][1][1].update(thread_id="thread_9"), "S1", 1),
    (
        "continuation-creates-run",
        lambda s: s[1][1].insert(0, ["thread.run.created", run_object("queued")]),
        "S3",
        0,
    ),
    (
        "continuation-of-other-run",
        lambda s: s.__setitem__(1, (submit_request("run_9"), s[1][1])),
        "S3",
        1,
    ),
    ("continuation-completes-other-step", lambda s: s[1][1][0][1].update(id="step_9"), "S3", 0),
    (
        "first-tool-delta-without-id",
        lambda s: s[0][1][6][1]["delta"]["step_details"]["tool_calls"][0].pop("id"),
        "A4",
        6,
    ),
    ("required-action-differs", lambda s: _required_arguments(s[0][1]), "A5", 9),
    (
        "continuation-completes-other-call",
        lambda s: s[1][1][0][1]["step_details"]["tool_calls"][0].update(id="call_9"),
        "A5",
        0,
    ),
    (
        "continuation-output-differs",
        lambda s: s[1][1][0][1]["step_details"]["tool_calls"][0]["function"].update(output="rain"),
        "A5",
        0,
    ),
    (
        "tool-delta-after-requires-action",
        lambda s: s[0][1].insert(10, clone(s[0][1][7:8])[0]),
        "R4",
        10,
    ),
]


@pytest.mark.parametrize(
    ("mutate", "rule", "index"),
    [pytest.param(m, r, i, id=f"{r}-{name}") for name, m, r, i in TOOL_CASES],
)
def test_a_broken_tool_run_gives_the_rule_at_the_event(
    mutate: Callable[[Streams], None], rule: str, index: int | None
) -> None:
    streams = [(request, clone(events)) for request, events in base_tools()]
    assert (rule, index) not in located(streams)
    mutate(streams)
    assert (rule, index) in located(streams)


def test_code_interpreter_input_must_add_up() -> None:
    assert located(code_interpreter_run("print(2)")) == {("A4", 7)}


def test_rule_findings_carry_source_severity_location_and_excerpt() -> None:
    events = clone(message_run())
    _delta_value(8, "LO")(events)
    (finding,) = [f for f in findings([(CREATE_RUN, events)]) if f.rule == "A1"]
    assert finding.severity is Severity.ERROR
    assert finding.source == "SDK"
    assert finding.json_path == "$.content[0].text.value"
    assert finding.offset is not None and finding.line is not None and finding.line > 1
    assert finding.excerpt and finding.excerpt.startswith('{"id": "msg_1"')
    assert "'HelLO'" in finding.message and "'Hello'" in finding.message


def test_ex_rules_default_to_warnings() -> None:
    assert all(rule.severity is Severity.WARNING for rule in RULES.values() if rule.source == "EX")
    events = clone(message_run())
    _set(11, created_at=1600000000)(events)
    (finding,) = [f for f in findings([(CREATE_RUN, events)]) if f.rule == "R6"]
    assert finding.severity is Severity.WARNING


def test_an_error_event_excuses_completeness() -> None:
    events = clone(message_run())
    events[7:] = [["error", {"message": "boom"}], ["done", "[DONE]"]]
    assert located([(CREATE_RUN, events)]) == {("E1", 7)}


def test_every_contract_rule_is_registered_and_tested() -> None:
    contract = {
        f"{family}{n}"
        for family, count in (("F", 4), ("S", 3), ("R", 6), ("P", 5), ("M", 4), ("A", 5), ("E", 3))
        for n in range(1, count + 1)
    }
    assert contract <= set(RULES)
    tested = {case[2] for case in MESSAGE_CASES} | {case[2] for case in TOOL_CASES}
    assert contract <= tested


def test_profiles_are_discovered_by_name() -> None:
    assert "assistants" in profile_names()
    assert get_profile("assistants").rules is RULES
    with pytest.raises(ProfileError, match=r"unknown profile 'nope' \(known: .*assistants"):
        get_profile("nope")


def test_endpoints_map_requests_to_shapes() -> None:
    profile = get_profile("assistants")
    assert profile.endpoint_for(CREATE_RUN) == ("create-run", {"thread_id": "thread_1"})
    assert profile.endpoint_for(CREATE_THREAD_AND_RUN) == ("create-thread-and-run", {})
    assert profile.endpoint_for(submit_request()) == (
        "submit",
        {"thread_id": "thread_1", "run_id": "run_1"},
    )
    assert profile.endpoint_for(RecordedRequest(method="GET", url="/v1/threads/t/runs")) == (
        None,
        {},
    )
    assert profile.endpoint_for(None) == (None, {})


# ------------------------------------------------------------------------ robustness

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found += _paths(item, (*prefix, position))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_payload_shape_crashes_the_rules(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(["message", "tools", "code"]))
    streams = {"message": base_message, "tools": base_tools, "code": code_interpreter_run}[base]()
    streams = [(request, clone(events)) for request, events in streams]
    for _ in range(data.draw(st.integers(1, 4))):
        _, events = data.draw(st.sampled_from(streams))
        position = data.draw(st.integers(0, len(events) - 1))
        payload = events[position][1]
        if isinstance(payload, str):
            continue
        path = data.draw(st.sampled_from(_paths(payload)))
        replacement = data.draw(json_values)
        if not path:
            events[position][1] = replacement
            continue
        target = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = replacement
    for config in (RULES_ONLY, RuleConfig()):
        for finding in validate_cassette(cassette(*streams), config=config):
            assert finding.rule in RULES and finding.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_event_order_crashes_the_rules(data: st.DataObject) -> None:
    pool = [event for _, events in base_tools() + code_interpreter_run() for event in events]
    events = data.draw(st.lists(st.sampled_from(pool), max_size=30))
    request = data.draw(
        st.sampled_from([None, CREATE_RUN, CREATE_THREAD_AND_RUN, submit_request()])
    )
    second = data.draw(st.lists(st.sampled_from(pool), max_size=10))
    streams = [(request, clone(events)), (submit_request(), clone(second))]
    for config in (RULES_ONLY, RuleConfig()):
        for finding in validate_cassette(cassette(*streams), config=config):
            assert finding.rule in RULES and finding.message


def _nested(depth: int) -> str:
    """JSON text of ``depth`` containers (objects and arrays in turn) around a string."""
    return (
        '{"k": [' * (depth // 2)
        + '{"k": "x"}' * (depth % 2)
        + ('"x"' if depth % 2 == 0 else "")
        + "]}" * (depth // 2)
    )


def _with(payload: Any, key: str, value: str) -> str:
    return json.dumps({**payload, key: "DEEP"}).replace('"DEEP"', value)


@pytest.mark.parametrize(("depth", "space"), [(65, ""), (600, ""), (5000, ""), (5000, " ")])
def test_deeply_nested_payloads_are_an_f1_finding_not_a_crash(depth: int, space: str) -> None:
    events = message_run()
    events[2][1] = space + _with(events[2][1], "metadata", _nested(depth))
    delta = events[7][1]  # the first text delta
    events[7][1] = _with(
        delta, "delta", json.dumps(delta["delta"])[:-1] + ', "k": ' + _nested(depth) + "}"
    )
    for config in (RULES_ONLY, RuleConfig()):
        found = validate_cassette(cassette((CREATE_RUN, events)), config=config)
        deep = [f for f in found if f.rule == "F1"]
        assert [f.event_index for f in deep] == [2, 7]
        assert "nests deeper than 64 levels" in deep[0].message


def test_payloads_nested_64_levels_are_checked() -> None:
    events = message_run()
    events[2][1] = _with(events[2][1], "metadata", _nested(63))  # 64 with the payload itself
    assert "F1" not in {f.rule for f in findings([(CREATE_RUN, events)])}
