"""Rules F4, S1-S3, P1-P5 and M1-M4 of the Assistants profile, and the routing of every rule.

Each rule reads the event being checked from the checker and yields findings; ``ROUTES`` says
which rules see which event (R1-R6, E1 and E3 are in ``_assistants_runs``, A1-A5 in
``_assistants_accumulation``). F1-F3 and E2 are framing: ``AssistantsChecker.event`` applies
them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from recorder.profiles._assistants_accumulation import (
    MessageParts,
    check_message_final,
    check_step_final,
    rule_a2_a4_step_delta,
    rule_a2_message_delta,
)
from recorder.profiles._assistants_runs import (
    rule_e1,
    rule_e3,
    rule_r1,
    rule_r2,
    rule_r3_final,
    rule_r5,
    rule_r6,
    rule_thread,
)
from recorder.profiles.assistants import (
    MESSAGE,
    OPENINGS,
    RUN,
    RUN_EVENTS,
    STEP,
    SUBMIT,
    StepState,
)
from recorder.validate.findings import Severity

if TYPE_CHECKING:
    from recorder.profiles._assistants_checker import AssistantsChecker
    from recorder.validate.findings import Finding

__all__ = ["ROUTES", "rule_s_opening"]

_OBJECTS = {RUN: "thread.run", STEP: "thread.run.step", MESSAGE: "thread.message"}
_CREATED_STATUS = {RUN: "queued", STEP: "in_progress", MESSAGE: "in_progress"}


def rule_s_opening(c: AssistantsChecker) -> Iterator[Finding]:
    """S1-S3: each endpoint's stream opens with its own sequence of events."""
    assert c.shape is not None
    rule, expected = OPENINGS[c.shape]
    if c.index >= len(expected):
        c.opening_reported = True
        return
    if c.name != expected[c.index]:
        c.opening_reported = True
        yield c.found(
            rule,
            f"a {c.shape} stream should have {expected[c.index]} as event {c.index}, not {c.name}",
        )


def _family_rule(family: str) -> Callable[[AssistantsChecker], Iterator[Finding]]:
    obj = _OBJECTS[family]
    created_status = _CREATED_STATUS[family]

    def rule_f4(c: AssistantsChecker) -> Iterator[Finding]:
        """F4: data.object matches the event family; data.status matches the event suffix."""
        payload = c.payload
        if not isinstance(payload, dict):
            return
        delta = c.suffix == "delta"
        expected = obj + ".delta" if delta else obj
        if payload.get("object") != expected:
            yield c.found(
                "F4",
                f"{c.name} carries object {payload.get('object')!r}, not {expected!r}",
                "$.object",
            )
        if not delta:
            status = created_status if c.suffix == "created" else c.suffix
            if payload.get("status") != status:
                yield c.found(
                    "F4",
                    f"{c.name} carries status {payload.get('status')!r}, not {status!r}",
                    "$.status",
                )

    rule_f4.__name__ = f"rule_f4_{family}"
    return rule_f4


def _lifecycle(kind: str) -> Callable[[AssistantsChecker], Iterator[Finding]]:
    def rule_lifecycle(c: AssistantsChecker) -> Iterator[Finding]:
        """P1/P2 (steps), M1/M2 (messages): created -> progress/deltas -> terminal, by id."""
        key = c.get("id")
        if not isinstance(key, str):
            return
        for violation in c.tracker.observe(c.name, key, c.index, c.payload):
            yield c.found(violation.rule, violation.message, "$.id")

    rule_lifecycle.__name__ = f"rule_{kind}_lifecycle"
    return rule_lifecycle


# ---------------------------------------------------------------------------------- steps

_step_lifecycle = _lifecycle(STEP)


def rule_p1_p2(c: AssistantsChecker) -> Iterator[Finding]:
    """P1/P2 by lifecycle; S3: a continuation opens by completing the step left open."""
    key = c.get("id")
    if (
        c.shape == SUBMIT
        and c.suffix == "completed"
        and isinstance(key, str)
        and c.run_status in (None, "requires_action")
    ):
        expected = c.previous.open_step if c.previous is not None else None
        if expected is not None and expected != key:
            yield c.found(
                "S3",
                f"the continuation completes step {key}, but the previous "
                f"stream left {expected} open",
                "$.id",
            )
        if c.tracker.created_index(STEP, key) is None:
            c.tracker.adopt(STEP, key)
        yield from _a5_continuation(c)
    yield from _step_lifecycle(c)


def _a5_continuation(c: AssistantsChecker) -> Iterator[Finding]:
    """A5 (second half): the step completes with the required call ids and submitted outputs."""
    details = c.get("step_details")
    calls = details.get("tool_calls") if isinstance(details, dict) else None
    if not isinstance(calls, list):
        return
    done = {
        call["id"]: call
        for call in calls
        if isinstance(call, dict) and isinstance(call.get("id"), str)
    }
    ids = sorted(str(call.get("id")) for call in calls if isinstance(call, dict))
    if c.previous is not None and c.previous.calls:
        wanted = [call_id for call_id, _, _ in c.previous.calls]
        if sorted(map(str, wanted)) != ids:
            yield c.found(
                "A5",
                f"the tool step completes calls {ids}, but requires_action asked for {wanted}",
                "$.step_details.tool_calls",
            )
    request = c.setup.request
    try:
        body = json.loads(request.body) if request is not None and request.body else None
    except ValueError:
        body = None
    submitted = body.get("tool_outputs") if isinstance(body, dict) else None
    for output in submitted if isinstance(submitted, list) else ():
        if not isinstance(output, dict):
            continue
        call_id = output.get("tool_call_id")
        call = done.get(call_id) if isinstance(call_id, str) else None
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and function.get("output") != output.get("output"):
            yield c.found(
                "A5",
                f"tool call {output.get('tool_call_id')} completes with output "
                f"{function.get('output')!r}, but {output.get('output')!r} was "
                "submitted",
                "$.step_details.tool_calls",
            )


def rule_p2_ids(c: AssistantsChecker) -> Iterator[Finding]:
    """P2: a step's run_id/thread_id/assistant_id are the run's; type is step_details.type."""
    p = c.payload
    if not isinstance(p, dict):
        return
    if c.suffix == "created" and isinstance(p.get("id"), str):
        c.steps.setdefault(p["id"], StepState(p.get("type")))
    yield from _same_run(c, p, "P2", "step")
    details = p.get("step_details")
    if isinstance(details, dict) and details.get("type") != p.get("type"):
        yield c.found(
            "P2",
            f"step type {p.get('type')!r} differs from step_details.type {details.get('type')!r}",
            "$.step_details.type",
        )


def _same_run(c: AssistantsChecker, p: dict[str, Any], rule: str, what: str) -> Iterator[Finding]:
    """``rule``: the run_id/thread_id/assistant_id of a step or message are the run's."""
    run = c.run or {}
    for key, known in (
        ("run_id", run.get("id")),
        ("thread_id", run.get("thread_id")),
        ("assistant_id", run.get("assistant_id")),
    ):
        if known is not None and p.get(key) not in (None, known):
            yield c.found(
                rule, f"{what} {key} is {p.get(key)!r}, but the run's is {known!r}", f"$.{key}"
            )


def rule_p3(c: AssistantsChecker) -> Iterator[Finding]:
    """P3: usage is null while a step is in progress (SPEC) and set once completed (EX)."""
    p = c.payload
    if not isinstance(p, dict):
        return
    if p.get("status") == "in_progress" and p.get("usage") is not None:
        yield c.found("P3", "step usage should be null while it is in progress", "$.usage")
    elif p.get("status") == "completed" and p.get("usage") is None:
        yield c.found(
            "P3",
            "a completed step should report its usage",
            "$.usage",
            severity=Severity.WARNING,
            source="EX",
        )


def rule_a4_final(c: AssistantsChecker) -> Iterator[Finding]:
    """A4 at the step's terminal event; then its state is dropped."""
    key = c.get("id")
    if isinstance(key, str):
        if c.suffix == "completed":
            yield from check_step_final(c, key)
        c.steps.pop(key, None)


# ---------------------------------------------------------------------------------- messages

_message_lifecycle = _lifecycle(MESSAGE)


def rule_m3(c: AssistantsChecker) -> Iterator[Finding]:
    """M3: the message's thread/run/assistant are the run's; its role is assistant."""
    p = c.payload
    if not isinstance(p, dict):
        return
    if isinstance(p.get("id"), str):
        c.messages[p["id"]] = MessageParts()
    yield from _same_run(c, p, "M3", "message")
    if p.get("role") != "assistant":
        yield c.found(
            "M3", f"a streamed message has role {p.get('role')!r}, not 'assistant'", "$.role"
        )


def rule_m4(c: AssistantsChecker) -> Iterator[Finding]:
    """M4: completed -> completed_at; incomplete -> incomplete_at and incomplete_details.reason."""
    p = c.payload
    if not isinstance(p, dict):
        return
    if c.suffix == "completed" and p.get("completed_at") is None:
        yield c.found("M4", "a completed message needs completed_at", "$.completed_at")
    if c.suffix == "incomplete":
        if p.get("incomplete_at") is None:
            yield c.found("M4", "an incomplete message needs incomplete_at", "$.incomplete_at")
        details = p.get("incomplete_details")
        if not (isinstance(details, dict) and details.get("reason")):
            yield c.found(
                "M4",
                "an incomplete message needs incomplete_details.reason",
                "$.incomplete_details",
            )
    if isinstance(p.get("id"), str):
        yield from check_message_final(c, p["id"])


# ---------------------------------------------------------------------------------- routing

_run_f4, _step_f4, _message_f4 = (_family_rule(f) for f in (RUN, STEP, MESSAGE))
_RUN_RULES = (_run_f4, rule_r2, rule_r1, rule_r5, rule_r6, rule_e3, rule_r3_final)
_STEP_STATUS = (_step_f4, rule_p1_p2, rule_p2_ids, rule_p3)
_MESSAGE_STATUS = (_message_f4, _message_lifecycle)

ROUTES: dict[tuple[str, str], tuple[Callable[[AssistantsChecker], Iterator[Finding]], ...]] = {
    ("thread.created", ""): (rule_thread,),
    ("error", ""): (rule_e1,),
    **{(RUN, suffix): _RUN_RULES for suffix in RUN_EVENTS},
    (STEP, "created"): _STEP_STATUS,
    (STEP, "in_progress"): _STEP_STATUS,
    (STEP, "delta"): (_step_f4, _step_lifecycle, rule_a2_a4_step_delta),
    **{
        (STEP, suffix): (*_STEP_STATUS, rule_a4_final)
        for suffix in ("completed", "failed", "cancelled", "expired")
    },
    (MESSAGE, "created"): (*_MESSAGE_STATUS, rule_m3),
    (MESSAGE, "in_progress"): _MESSAGE_STATUS,
    (MESSAGE, "delta"): (_message_f4, _message_lifecycle, rule_a2_message_delta),
    (MESSAGE, "completed"): (*_MESSAGE_STATUS, rule_m4),
    (MESSAGE, "incomplete"): (*_MESSAGE_STATUS, rule_m4),
}
