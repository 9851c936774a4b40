"""The OpenAI Assistants run-stream contract (CONTRACT.md rules F1-E3) as a profile: its data.

Rule metadata, lifecycles, enclosures, endpoints and statuses are data here. The rules are
small functions ``rule_xx(checker) -> Iterator[Finding]`` that read the event being checked
from the checker (``index``, ``ev``, ``name``, ``suffix``, ``payload``):

- ``_assistants_runs``: R1-R6, E1, E3 and the thread event;
- ``_assistants_rules``: F4, S1-S3 openings, P1-P5, M1-M4, and which rules see which event;
- ``_assistants_accumulation``: A1-A5 (delta folding from ``recorder.validate.accumulate``);
- ``_assistants_checker``: ``AssistantsChecker``, the per-stream state and the F1-F3 framing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recorder.profiles import (
    Endpoint,
    Profile,
    ProfileView,
    Rule,
    StreamChecker,
    StreamSetup,
)
from recorder.profiles._spec import ViewSpec
from recorder.validate.accumulate import DeltaAccumulator
from recorder.validate.findings import Severity
from recorder.validate.lifecycle import Enclosure, LifecycleSpec

__all__ = ["PROFILE", "RULES", "Carry", "StepState"]

E, W = Severity.ERROR, Severity.WARNING
RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("F1", "SPEC", E, "every event has a name and data; data is JSON except for done"),
        Rule("F2", "SPEC", E, "the stream ends with exactly one done; nothing follows it"),
        Rule("F3", "SPEC", W, "unknown event names are warnings"),
        Rule("F4", "SPEC", E, "data.object matches the event family, data.status its suffix"),
        Rule(
            "S1", "EX", W, "create thread and run: thread.created, run created/queued/in_progress"
        ),
        Rule("S2", "EX", W, "create run: starts at thread.run.created on the path's thread"),
        Rule("S3", "EX", W, "submit tool outputs: continues the run left at requires_action"),
        Rule("R1", "SPEC", E, "one stream belongs to one run (id, thread_id, assistant_id)"),
        Rule("R2", "SPEC", E, "run statuses follow the status graph; nothing after a terminal"),
        Rule("R3", "SDK", E, "exactly one final run event per stream"),
        Rule("R4", "EX", W, "after the final run event only done follows"),
        Rule("R5", "SPEC", E, "run fields agree with the status (required_action, *_at, usage)"),
        Rule("R6", "EX", W, "created_at and ids never change; timestamps never go backwards"),
        Rule("P1", "SDK", E, "a step's events come between its created and terminal events"),
        Rule("P2", "SPEC", E, "one created, one terminal; ids match the run; type matches"),
        Rule("P3", "SPEC", E, "step usage is null while in progress, set when completed"),
        Rule(
            "P4",
            "EX",
            W,
            "steps end before the final run event (but a tool step at requires_action)",
        ),
        Rule("P5", "EX", W, "a message_creation step encloses its message"),
        Rule("M1", "SDK", E, "message events come between its created and terminal events"),
        Rule("M2", "SDK", E, "messages do not interleave; an id is created once"),
        Rule("M3", "SPEC", E, "message ids match the run; role is assistant"),
        Rule("M4", "SPEC", E, "completed/incomplete messages carry their timestamps and reason"),
        Rule("A1", "SDK", E, "text deltas add up to the final message text"),
        Rule("A2", "SDK", E, "content part types and indices are consistent"),
        Rule("A3", "SDK", W, "streamed annotations appear in the final message"),
        Rule("A4", "SDK", E, "tool-call deltas add up to the final tool calls"),
        Rule("A5", "SDK", E, "required_action matches the streamed tool calls and the next stream"),
        Rule("E1", "SPEC", W, "the server reported an error event"),
        Rule("E2", "SPEC", E, "after an error event only done may follow"),
        Rule("E3", "SPEC", E, "a failed run carries last_error (code, message)"),
        Rule("SCHEMA", "SPEC", E, "the payload matches the event's JSON Schema"),
        Rule("SCHEMA-REAL", "EX", W, "a known real-world deviation from the documented schema"),
        Rule("SCHEMA-EXTRA", "EX", W, "a field the documented schema does not list"),
    )
}

RUN, STEP, MESSAGE = "run", "step", "message"
LIFECYCLES = (
    LifecycleSpec(
        RUN,
        created="thread.run.created",
        progress=frozenset(
            f"thread.run.{s}" for s in ("queued", "in_progress", "requires_action", "cancelling")
        ),
        terminal=frozenset(
            f"thread.run.{s}" for s in ("completed", "incomplete", "failed", "cancelled", "expired")
        ),
        order_rule="R2",
        once_rule="R2",
    ),
    LifecycleSpec(
        STEP,
        created="thread.run.step.created",
        progress=frozenset({"thread.run.step.in_progress"}),
        deltas=frozenset({"thread.run.step.delta"}),
        terminal=frozenset(
            f"thread.run.step.{s}" for s in ("completed", "failed", "cancelled", "expired")
        ),
        order_rule="P1",
        once_rule="P2",
    ),
    LifecycleSpec(
        MESSAGE,
        created="thread.message.created",
        progress=frozenset({"thread.message.in_progress"}),
        deltas=frozenset({"thread.message.delta"}),
        terminal=frozenset({"thread.message.completed", "thread.message.incomplete"}),
        order_rule="M1",
        once_rule="M2",
        interleave_rule="M2",
    ),
)
ENCLOSURES = (Enclosure(STEP, MESSAGE, ("step_details", "message_creation", "message_id"), "P5"),)

CREATE_THREAD_AND_RUN, CREATE_RUN, SUBMIT = "create-thread-and-run", "create-run", "submit"
ENDPOINTS = (
    Endpoint(
        "POST", r"/threads/(?P<thread_id>[^/]+)/runs/(?P<run_id>[^/]+)/submit_tool_outputs$", SUBMIT
    ),
    Endpoint("POST", r"/threads/runs$", CREATE_THREAD_AND_RUN),
    Endpoint("POST", r"/threads/(?P<thread_id>[^/]+)/runs$", CREATE_RUN),
)
#: How each shape opens (EX rules S1-S3): rule id and expected first events.
OPENINGS = {
    CREATE_THREAD_AND_RUN: (
        "S1",
        ("thread.created", "thread.run.created", "thread.run.queued", "thread.run.in_progress"),
    ),
    CREATE_RUN: ("S2", ("thread.run.created",)),
    SUBMIT: ("S3", ("thread.run.step.completed", "thread.run.queued", "thread.run.in_progress")),
}
#: A stream of unknown endpoint: its shape from its first event.
INFERRED = {
    "thread.created": CREATE_THREAD_AND_RUN,
    "thread.run.created": CREATE_RUN,
    "thread.run.step.completed": SUBMIT,
    "thread.run.queued": SUBMIT,
}

FINAL = frozenset({"requires_action", "completed", "incomplete", "failed", "cancelled", "expired"})
TERMINAL = FINAL - {"requires_action"}
NEXT_STATUS = {
    "queued": {"queued", "in_progress", "cancelling", "cancelled", "failed", "expired"},
    "in_progress": {
        "in_progress",
        "requires_action",
        "cancelling",
        "completed",
        "incomplete",
        "failed",
        "expired",
    },
    "requires_action": {"queued", "in_progress", "cancelling", "cancelled", "failed", "expired"},
    "cancelling": {"cancelling", "cancelled", "completed", "failed", "expired"},
}
RUN_TIMES = ("started_at", "completed_at", "cancelled_at", "failed_at")
#: Event suffixes per family (CONTRACT.md, "Events").
RUN_EVENTS = (
    "created",
    "queued",
    "in_progress",
    "requires_action",
    "completed",
    "incomplete",
    "failed",
    "cancelling",
    "cancelled",
    "expired",
)
STEP_EVENTS = ("created", "in_progress", "delta", "completed", "failed", "cancelled", "expired")
MESSAGE_EVENTS = ("created", "in_progress", "delta", "completed", "incomplete")
KNOWN = frozenset(
    {"thread.created", "error", "done"}
    | {f"thread.run.{suffix}" for suffix in RUN_EVENTS}
    | {f"thread.run.step.{suffix}" for suffix in STEP_EVENTS}
    | {f"thread.message.{suffix}" for suffix in MESSAGE_EVENTS}
)
# (family, object, prefix) in match order: the step prefix before the run prefix.
FAMILIES = (
    (STEP, "thread.run.step", "thread.run.step."),
    (RUN, "thread.run", "thread.run."),
    (MESSAGE, "thread.message", "thread.message."),
)


@dataclass(slots=True)
class Carry:
    """What a stream that stopped at requires_action leaves for its continuation."""

    run_id: Any
    thread_id: Any
    assistant_id: Any
    created_at: Any
    times: dict[str, Any]
    open_step: str | None
    calls: list[tuple[Any, Any, Any]]


@dataclass(slots=True)
class StepState:
    type: Any
    calls: DeltaAccumulator = field(default_factory=DeltaAccumulator)


def _checker(setup: StreamSetup) -> StreamChecker:
    from recorder.profiles._assistants_checker import AssistantsChecker

    return AssistantsChecker(setup)


#: What reports, snapshots, diffs and faults show and fold (the same data a profile file's
#: ``[view]`` holds).
VIEW = ProfileView(
    ViewSpec(
        delta_text=[
            "delta.content[].text.value",
            "delta.step_details.tool_calls[].function.arguments",
            "delta.step_details.tool_calls[].code_interpreter.input",
        ],
        summary=["id", "status", "type", "message", "code"],
        lanes=[
            ["step", "thread.run.step"],
            ["run", "thread.run"],
            ["message", "thread.message"],
            ["run", "thread.created"],
        ],
        fold_key=["id"],
        not_joined=["id", "type", "object", "role", "name", "event"],
        volatile=[
            "id",
            "*_id",
            "created_at",
            "started_at",
            "completed_at",
            "failed_at",
            "cancelled_at",
            "expires_at",
            "expired_at",
            "incomplete_at",
            "file_id",
        ],
    ),
    sentinel="[DONE]",
    sentinel_event="done",
    kind_field=None,
    kind_from="event",
    fixed_kind=None,
)


def _claims(events: Any) -> bool:
    """A raw body is an Assistants stream when its first named event is one of the contract's."""
    names = [event.event for event, _ in events if event.event not in ("done", "message")]
    return bool(names) and names[0] in KNOWN and names[0].startswith("thread.")


PROFILE = Profile(
    name="assistants",
    description="OpenAI Assistants run streams (v2, and legacy v1 objects)",
    rules=RULES,
    endpoints=ENDPOINTS,
    checker=_checker,
    view=VIEW,
    claims=_claims,
    priority=10,
)
