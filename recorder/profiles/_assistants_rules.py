"""Rules F4, S1-S3, R1-R6, P1-P5, M1-M4, E1-E3 of the Assistants profile, and their routing.

Each rule reads the event being checked from the checker and yields findings; ``ROUTES`` says
which rules see which event. (F1-F3 are framing: ``AssistantsChecker.event`` applies them.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from recorder.findings import Severity
from recorder.profiles._assistants_accumulation import (
    MessageParts,
    check_message_final,
    check_requires_action,
    check_step_final,
    function_calls,
    rule_a2_a4_step_delta,
    rule_a2_message_delta,
)
from recorder.profiles.assistants import (
    FINAL,
    MESSAGE,
    NEXT_STATUS,
    OPENINGS,
    RUN,
    RUN_TIMES,
    STEP,
    SUBMIT,
    TERMINAL,
    Carry,
    StepState,
)

if TYPE_CHECKING:
    from recorder.findings import Finding
    from recorder.profiles.assistants import AssistantsChecker

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


# ---------------------------------------------------------------------------------- thread


def rule_thread(c: AssistantsChecker) -> Iterator[Finding]:
    """F4 for thread.created; S2/S3: only create-thread-and-run streams create a thread."""
    if isinstance(c.payload, dict) and c.payload.get("object") != "thread":
        yield c.found(
            "F4", f"thread.created carries object {c.payload.get('object')!r}", "$.object"
        )
    if c.shape in OPENINGS and c.shape != "create-thread-and-run":
        rule = OPENINGS[c.shape][0]
        yield c.found(rule, f"a {c.shape} stream should not create a thread")
    thread_id = c.get("id")
    if isinstance(thread_id, str):
        c.thread_id = thread_id


def rule_e1(c: AssistantsChecker) -> Iterator[Finding]:
    """E1: an error event may arrive at any point; report what it says."""
    c.error_index = c.index
    body = c.payload.get("error", c.payload) if isinstance(c.payload, dict) else c.payload
    detail = body.get("message") if isinstance(body, dict) else None
    yield c.found("E1", f"the server sent an error event: {detail or c.ev.data[:80]!r}")


# ---------------------------------------------------------------------------------- runs


def rule_r2(c: AssistantsChecker) -> Iterator[Finding]:
    """R2: statuses follow the run status graph; a run is created once; nothing after the end."""
    status = "queued" if c.suffix == "created" else c.suffix
    key = c.get("id")
    if not isinstance(key, str):
        key = c.run.get("id") if c.run else None
    broken = False
    if isinstance(key, str):
        if (
            c.tracker.created_index(RUN, key) is None
            and c.suffix != "created"
            and c.shape in (SUBMIT, None)
        ):
            c.tracker.adopt(RUN, key)  # a continuation (or unknown endpoint) picks a run up
        for violation in c.tracker.observe(c.name, key, c.index):
            broken = True
            yield c.found(violation.rule, violation.message, "$.id")
    previous = c.run_status
    if not broken and previous is not None:
        if previous in TERMINAL:
            yield c.found("R2", f"{c.name} after the run ended with status {previous!r}")
        elif c.suffix == "created":
            yield c.found("R2", "thread.run.created for a run that already exists")
        elif status not in NEXT_STATUS.get(previous, ()):
            yield c.found(
                "R2",
                f"run status goes from {previous!r} to {status!r}, which the "
                "status graph does not allow",
                "$.status",
            )
    c.run_status = status


def rule_r1(c: AssistantsChecker) -> Iterator[Finding]:
    """R1: one stream, one run; S1-S3: the run belongs to the thread (and run) of the request."""
    payload = c.payload
    if not isinstance(payload, dict):
        return
    if c.run is None:
        c.run = {key: payload.get(key) for key in ("id", "thread_id", "assistant_id", "created_at")}
        thread = payload.get("thread_id")
        if c.thread_id is not None and thread != c.thread_id and c.shape in OPENINGS:
            rule = OPENINGS[c.shape][0]
            yield c.found(
                rule, f"the run is on thread {thread!r}, not {c.thread_id!r}", "$.thread_id"
            )
    else:
        for key in ("id", "thread_id", "assistant_id"):
            value, known = payload.get(key), c.run.get(key)
            if value is not None and known is not None and value != known:
                yield c.found(
                    "R1",
                    f"{key} changes from {known!r} to {value!r} within one run stream",
                    f"$.{key}",
                )
    run_id = c.facts.get("run_id")
    if run_id is not None and payload.get("id") not in (None, run_id):
        c.facts = {k: v for k, v in c.facts.items() if k != "run_id"}  # report once
        yield c.found(
            "S3",
            f"the stream continues run {payload.get('id')!r}, but the request was for {run_id!r}",
            "$.id",
        )


def rule_r3_final(c: AssistantsChecker) -> Iterator[Finding]:
    """R3: exactly one final run event; P4/M4: what must have ended by then; A5."""
    if c.suffix not in FINAL:
        return
    if c.final is not None:
        yield c.found(
            "R3", f"a second final run event (thread.run.{c.final[1]} was event {c.final[0]})"
        )
        return
    c.final = (c.index, c.suffix)
    left_open: str | None = None
    for step_id in c.tracker.open_keys(STEP):
        step = c.steps.get(step_id)
        if c.suffix == "requires_action" and (step is None or step.type == "tool_calls"):
            left_open = step_id
            continue
        yield c.found("P4", f"step {step_id} is still open at the final run event")
    for message_id in c.tracker.open_keys(MESSAGE):
        yield c.found(
            "M4",
            f"message {message_id} is still open when the run reaches "
            f"{c.suffix!r}: it should have completed or become incomplete first",
        )
    if c.suffix == "requires_action":
        streamed = function_calls(c.steps[left_open].calls) if left_open in c.steps else []
        if left_open in c.steps:
            yield from check_requires_action(c, streamed)
        run = c.run or {}
        c.carry_out = Carry(
            run.get("id"),
            run.get("thread_id"),
            run.get("assistant_id"),
            run.get("created_at"),
            dict(c.times),
            left_open,
            streamed,
        )


def rule_r5(c: AssistantsChecker) -> Iterator[Finding]:
    """R5: the run's fields agree with its status."""
    p = c.payload
    if not isinstance(p, dict):
        return
    status = p.get("status")
    if (p.get("required_action") is not None) != (status == "requires_action"):
        yield c.found(
            "R5",
            f"required_action is {'set' if p.get('required_action') else 'null'} "
            f"with status {status!r}",
            "$.required_action",
        )
    needs = {
        "failed": ("failed_at", "last_error"),
        "completed": ("completed_at",),
        "cancelled": ("cancelled_at",),
        "incomplete": ("incomplete_details",),
    }
    for key in needs.get(status if isinstance(status, str) else "", ()):
        if p.get(key) is None:
            yield c.found("R5", f"a {status} run needs {key}", f"$.{key}")
    if status in ("queued", "in_progress") and p.get("usage") is not None:
        yield c.found("R5", f"usage should be null while the run is {status}", "$.usage")


def rule_r6(c: AssistantsChecker) -> Iterator[Finding]:
    """R6: created_at never changes; timestamps never go backwards."""
    p = c.payload
    if not isinstance(p, dict) or c.run is None:
        return
    created = c.run.get("created_at")
    if created is not None and p.get("created_at") not in (None, created):
        yield c.found(
            "R6", f"created_at changes from {created} to {p.get('created_at')}", "$.created_at"
        )
    times = c.times
    for key in RUN_TIMES:
        value = p.get(key)
        if not isinstance(value, int | float):
            continue
        before = times.get(key)
        if before is not None and value < before:
            yield c.found("R6", f"{key} goes back from {before} to {value}", f"$.{key}")
        times[key] = value


def rule_e3(c: AssistantsChecker) -> Iterator[Finding]:
    """E3: a failed run reports its failure in band, in last_error (code and message)."""
    if c.get("status") != "failed":
        return
    error = c.get("last_error")
    if not (isinstance(error, dict) and error.get("code") and error.get("message")):
        yield c.found(
            "E3", "a failed run should carry last_error with code and message", "$.last_error"
        )


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
    run = c.run or {}
    for key, known in (
        ("run_id", run.get("id")),
        ("thread_id", run.get("thread_id")),
        ("assistant_id", run.get("assistant_id")),
    ):
        if known is not None and p.get(key) not in (None, known):
            yield c.found(
                "P2", f"step {key} is {p.get(key)!r}, but the run's is {known!r}", f"$.{key}"
            )
    details = p.get("step_details")
    if isinstance(details, dict) and details.get("type") != p.get("type"):
        yield c.found(
            "P2",
            f"step type {p.get('type')!r} differs from step_details.type {details.get('type')!r}",
            "$.step_details.type",
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
    run = c.run or {}
    for key, known in (
        ("run_id", run.get("id")),
        ("thread_id", run.get("thread_id")),
        ("assistant_id", run.get("assistant_id")),
    ):
        if known is not None and p.get(key) not in (None, known):
            yield c.found(
                "M3", f"message {key} is {p.get(key)!r}, but the run's is {known!r}", f"$.{key}"
            )
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
    **{
        (RUN, suffix): _RUN_RULES
        for suffix in (
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
    },
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
