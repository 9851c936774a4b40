"""Run-level rules of the Assistants profile: R1-R6, E1, E3, and the thread event (S1-S3).

Each reads the event being checked from the checker and yields findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from recorder.profiles._assistants_accumulation import check_requires_action, function_calls
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
)

if TYPE_CHECKING:
    from recorder.profiles._assistants_checker import AssistantsChecker
    from recorder.validate.findings import Finding

__all__ = [
    "rule_e1",
    "rule_e3",
    "rule_r1",
    "rule_r2",
    "rule_r3_final",
    "rule_r5",
    "rule_r6",
    "rule_thread",
]


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
