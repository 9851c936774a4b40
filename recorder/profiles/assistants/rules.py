"""The Assistants rules data cannot say (profile.toml holds the rest).

Per stream, each rule keeps what it needs in ``stream.memory(MEMORY, ...)``; accumulated
text and tool calls come from the fold (``stream.folded_part``), which is fed before the rules
of each event; a submit_tool_outputs stream reads what the previous stream left in
``stream.previous`` (its folded run and the entities still open).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from recorder.validate.context import EventView, StreamView, Violation, rule

MEMORY = "assistants"
RUN_STATUSES = (
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
RUN_KINDS = tuple(f"thread.run.{status}" for status in RUN_STATUSES)
FINAL = frozenset({"requires_action", "completed", "incomplete", "failed", "cancelled", "expired"})
TERMINAL = FINAL - {"requires_action"}
#: The run status graph (R2): status -> the statuses that may follow it.
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
#: How each endpoint's stream opens (S1-S3): rule id and expected first events.
OPENINGS = {
    "create-thread-and-run": (
        "S1",
        ("thread.created", "thread.run.created", "thread.run.queued", "thread.run.in_progress"),
    ),
    "create-run": ("S2", ("thread.run.created",)),
    "submit": ("S3", ("thread.run.step.completed", "thread.run.queued", "thread.run.in_progress")),
}
STEP_STATUS = tuple(
    f"thread.run.step.{s}"
    for s in ("created", "in_progress", "completed", "failed", "cancelled", "expired")
)
STEP_END = STEP_STATUS[2:]
MESSAGE_END = ("thread.message.completed", "thread.message.incomplete")
NOT_DELTAS = (
    "thread.created",
    "error",
    *RUN_KINDS,
    *STEP_STATUS,
    "thread.message.created",
    "thread.message.in_progress",
    *MESSAGE_END,
)
_NONE: tuple[Violation, ...] = ()


class _Memory:
    __slots__ = ("first_run", "links", "opening", "parts", "run_status", "seen_calls", "thread")

    def __init__(self) -> None:
        self.opening = False  # S1-S3 reported (or the opening passed)
        self.thread: Any = None  # thread.created's id
        self.first_run = True  # no run event yet in this stream
        self.run_status: str | None = None
        self.parts: dict[Any, list[Any]] = {}  # message id -> content part types (A2)
        self.seen_calls: dict[Any, set[int]] = {}  # step id -> tool call indices (A4)
        self.links: dict[Any, Any] = {}  # message id -> the step that encloses it (P5)


def _memory(stream: StreamView) -> _Memory:
    memory: _Memory = stream.memory(MEMORY, _Memory)
    return memory


def _previous_run(stream: StreamView) -> dict[str, Any] | None:
    """The run the previous stream left at requires_action (a continuation picks it up)."""
    previous = stream.previous
    if previous is None or stream.shape != "submit" or not isinstance(previous.final, dict):
        return None
    run = previous.final.get("run")
    return run if isinstance(run, dict) and run.get("status") == "requires_action" else None


def _run(stream: StreamView) -> Mapping[str, Any]:
    identity = stream.identity()
    return identity if identity.get("id") is not None else (_previous_run(stream) or {})


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


# ---------------------------------------------------------------------------------- framing


@rule("F1", kinds=["message"])
def unnamed(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """F1: every event has a name (no ``event:`` line reads as ``message``)."""
    yield Violation("an event without an event name (no 'event:' line)")


@rule("S1", kinds=NOT_DELTAS)
def opening(event: EventView, stream: StreamView) -> tuple[Violation, ...]:
    """S1-S3: each endpoint's stream opens with its own sequence of events."""
    if stream.index > 3 or stream.shape not in OPENINGS:
        return _NONE
    memory = _memory(stream)
    if memory.opening:
        return _NONE
    rule_id, expected = OPENINGS[stream.shape]
    index = stream.index
    if index >= len(expected):
        memory.opening = True
        return _NONE
    if event.kind == expected[index]:
        return _NONE
    memory.opening = True
    return (
        Violation(
            f"a {stream.shape} stream should have {expected[index]} as event {index}, "
            f"not {event.kind}",
            rule=rule_id,
        ),
    )


@rule("S2", kinds=["thread.created"])
def thread_created(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """S2/S3: only create-thread-and-run streams create a thread."""
    _memory(stream).thread = event.get("id")
    if stream.shape in OPENINGS and stream.shape != "create-thread-and-run":
        yield Violation(
            f"a {stream.shape} stream should not create a thread", rule=OPENINGS[stream.shape][0]
        )


@rule("R3", kinds=["done"])
def final_run_event(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """R3: the stream reaches done with a final run event (unless an error event cut it)."""
    if stream.terminal is None and stream.first_index("error") is None:
        yield Violation(
            "the stream reaches done without a final run event "
            "(requires_action, completed, incomplete, failed, cancelled, expired)"
        )


# ---------------------------------------------------------------------------------- runs


@rule("R2", kinds=RUN_KINDS)
def run(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """R2 status graph; S1-S3 the run's thread and id; R1/R6 against the run continued; R6
    timestamps; R3, P4, M4 and A5 at the final run event."""
    memory = _memory(stream)
    status = event.kind[len("thread.run.") :]
    previous_run = _previous_run(stream)
    payload = event.payload
    if memory.first_run:
        memory.first_run = False
        if previous_run is not None:
            memory.run_status = "requires_action"
            for key in ("id", "thread_id", "assistant_id"):
                value, known = payload.get(key), previous_run.get(key)
                if value is not None and known is not None and value != known:
                    yield Violation(
                        f"{key} changes from {known!r} to {value!r} within one run",
                        f"$.{key}",
                        "R1",
                    )
        thread = payload.get("thread_id")
        expected = stream.facts.get("thread_id") or memory.thread
        if expected is not None and thread != expected and stream.shape in OPENINGS:
            yield Violation(
                f"the run is on thread {thread!r}, not {expected!r}",
                "$.thread_id",
                OPENINGS[stream.shape][0],
            )
        run_id = stream.facts.get("run_id")
        if run_id is not None and payload.get("id") not in (None, run_id):
            yield Violation(
                f"the stream continues run {payload.get('id')!r}, but the request was for "
                f"{run_id!r}",
                "$.id",
                "S3",
            )
    before = memory.run_status
    memory.run_status = "queued" if status == "created" else status
    if (
        before is not None
        and before not in TERMINAL
        and status != "created"
        and memory.run_status not in NEXT_STATUS.get(before, ())
    ):
        yield Violation(
            f"run status goes from {before!r} to {memory.run_status!r}, which the status "
            "graph does not allow",
            "$.status",
        )
    yield from _times(payload, stream, previous_run)
    if status in FINAL:
        yield from _final(event, stream, status)


def _times(
    payload: dict[str, Any], stream: StreamView, previous_run: dict[str, Any] | None
) -> Iterator[Violation]:
    """R6: created_at never changes (across a continuation too); timestamps never go back."""
    times: dict[str, Any] = stream.memory(MEMORY + ".times", dict)
    if previous_run is not None and not times:
        times.update((key, previous_run.get(key)) for key in RUN_TIMES)
        created = previous_run.get("created_at")
        if created is not None and payload.get("created_at") not in (None, created):
            yield Violation(
                f"created_at changes from {created} to {payload.get('created_at')}",
                "$.created_at",
                "R6",
            )
    for key in RUN_TIMES:
        value = payload.get(key)
        if not isinstance(value, int | float):
            continue
        before = times.get(key)
        if isinstance(before, int | float) and value < before:
            yield Violation(f"{key} goes back from {before} to {value}", f"$.{key}", "R6")
        times[key] = value


def _final(event: EventView, stream: StreamView, status: str) -> Iterator[Violation]:
    """R3: one final run event; P4/M4: what must have ended by then; A5 at requires_action."""
    terminal = stream.terminal
    if terminal is not None and terminal[0] != stream.index:
        yield Violation(
            f"a second final run event ({terminal[1]} was event {terminal[0]})", rule="R3"
        )
        return
    left_open: Any = None
    for (step_id,) in stream.open_keys("step"):
        state = stream.entity("step", (step_id,))
        kind = state.type if state is not None else None
        if status == "requires_action" and kind in ("tool_calls", None):
            left_open = step_id
            continue
        yield Violation(f"step {step_id} is still open at the final run event", rule="P4")
    for (message_id,) in stream.open_keys("message"):
        yield Violation(
            f"message {message_id} is still open when the run reaches {status!r}: it should "
            "have completed or become incomplete first",
            rule="M4",
        )
    if status == "requires_action" and left_open is not None:
        step = stream.folded_part("steps", left_open)
        if step is not None:
            yield from _requires_action(event.payload, _function_calls(step))


def _streamed_calls(step: Any) -> dict[int, dict[str, Any]]:
    details = step.get("step_details") if isinstance(step, dict) else None
    calls = details.get("tool_calls") if isinstance(details, dict) else None
    return {
        call["index"]: call
        for call in (calls if isinstance(calls, list) else ())
        if isinstance(call, dict) and type(call.get("index")) is int
    }


def _function_calls(step: Any) -> list[tuple[Any, Any, Any]]:
    """(id, name, arguments) of the function calls streamed in one step, by index."""
    return [
        (call.get("id"), call["function"].get("name"), call["function"].get("arguments"))
        for _, call in sorted(_streamed_calls(step).items())
        if call.get("type") == "function" and isinstance(call.get("function"), dict)
    ]


def _requires_action(
    payload: dict[str, Any], streamed: list[tuple[Any, Any, Any]]
) -> Iterator[Violation]:
    """A5: the run's required tool calls equal those streamed in its open tool_calls step."""
    action = payload.get("required_action")
    outputs = action.get("submit_tool_outputs") if isinstance(action, dict) else None
    calls = outputs.get("tool_calls") if isinstance(outputs, dict) else None
    if not isinstance(calls, list):
        return
    required = [
        (call.get("id"), call["function"].get("name"), call["function"].get("arguments"))
        for call in calls
        if isinstance(call, dict) and isinstance(call.get("function"), dict)
    ]
    if streamed != required:
        yield Violation(
            f"required_action asks for {_calls(required)} but the stream's tool_calls step "
            f"built {_calls(streamed)}",
            "$.required_action.submit_tool_outputs.tool_calls",
            "A5",
        )


def _calls(calls: list[tuple[Any, Any, Any]]) -> str:
    if not calls:
        return "no function calls"
    return ", ".join(f"{name}({_short(args, 30)}) [{call_id}]" for call_id, name, args in calls)


# ---------------------------------------------------------------------------------- steps


def _same_run(
    payload: dict[str, Any], stream: StreamView, rule_id: str, what: str
) -> Iterator[Violation]:
    """``rule_id``: the run_id/thread_id/assistant_id of a step or message are the run's."""
    run = _run(stream)
    for key, known in (
        ("run_id", run.get("id")),
        ("thread_id", run.get("thread_id")),
        ("assistant_id", run.get("assistant_id")),
    ):
        if known is not None and payload.get(key) not in (None, known):
            yield Violation(
                f"{what} {key} is {payload.get(key)!r}, but the run's is {known!r}",
                f"$.{key}",
                rule_id,
            )


@rule("P2", kinds=STEP_STATUS)
def step(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """P2 ids and type; P3 usage once completed; P5 the enclosed message; S3/A5 the step a
    continuation completes; A4 the streamed tool calls against the completed ones."""
    payload = event.payload
    step_id = payload.get("id")
    memory = _memory(stream)
    yield from _same_run(payload, stream, "P2", "step")
    if not isinstance(step_id, str):
        return
    details = payload.get("step_details")
    if isinstance(details, dict) and details.get("type") != payload.get("type"):
        yield Violation(
            f"step type {payload.get('type')!r} differs from step_details.type "
            f"{details.get('type')!r}",
            "$.step_details.type",
        )
    kind = event.kind
    if kind == "thread.run.step.created":
        creation = details.get("message_creation") if isinstance(details, dict) else None
        message_id = creation.get("message_id") if isinstance(creation, dict) else None
        if isinstance(message_id, str):
            memory.links[message_id] = step_id  # (a str: checked above)
            if stream.entity("message", (message_id,)) is not None:
                yield Violation(
                    f"message {message_id} was created before the step {step_id} that encloses it",
                    rule="P5",
                )
        return
    if kind not in STEP_END:
        return
    for message_id, outer in memory.links.items():
        if outer == step_id and (message_id,) in stream.open_keys("message"):
            yield Violation(
                f"step {step_id} ended before the message {message_id} it encloses", rule="P5"
            )
    if kind != "thread.run.step.completed":
        return
    if payload.get("usage") is None:
        yield Violation(
            "a completed step should report its usage", "$.usage", "P3", "warning", "EX"
        )
    if stream.shape == "submit" and memory.first_run and isinstance(step_id, str):
        yield from _continuation(payload, stream, step_id)
    built = stream.folded_part("steps", step_id)
    if built is not None:
        yield from _step_final(payload, built)


def _continuation(payload: dict[str, Any], stream: StreamView, step_id: str) -> Iterator[Violation]:
    """S3: a continuation opens by completing the step left open; A5: with the call ids
    requires_action asked for and the outputs the request submitted."""
    previous = stream.previous
    left = previous.open.get("step", {}) if previous is not None else {}
    expected = next(iter(left), (None,))[0]
    if expected is not None and expected != step_id:
        yield Violation(
            f"the continuation completes step {step_id}, but the previous stream left "
            f"{expected} open",
            "$.id",
            "S3",
        )
    details = payload.get("step_details")
    calls = details.get("tool_calls") if isinstance(details, dict) else None
    if not isinstance(calls, list):
        return
    done = {
        call["id"]: call
        for call in calls
        if isinstance(call, dict) and isinstance(call.get("id"), str)
    }
    ids = sorted(str(call.get("id")) for call in calls if isinstance(call, dict))
    final = previous.final if previous is not None else None
    steps = final.get("steps") if isinstance(final, dict) else None
    open_step = next(
        (s for s in steps or () if isinstance(s, dict) and s.get("id") == expected), None
    )
    wanted = [call_id for call_id, _, _ in _function_calls(open_step)] if open_step else []
    if wanted and sorted(map(str, wanted)) != ids:
        yield Violation(
            f"the tool step completes calls {ids}, but requires_action asked for {wanted}",
            "$.step_details.tool_calls",
            "A5",
        )
    request = stream.request
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
            yield Violation(
                f"tool call {call_id} completes with output {function.get('output')!r}, but "
                f"{output.get('output')!r} was submitted",
                "$.step_details.tool_calls",
                "A5",
            )


def _step_final(payload: dict[str, Any], built: Any) -> Iterator[Violation]:
    """A4 at a step's completion: the streamed tool calls equal the final ones."""
    details = payload.get("step_details")
    finals = details.get("tool_calls") if isinstance(details, dict) else None
    if not isinstance(finals, list):
        return
    for index, call in sorted(_streamed_calls(built).items()):
        if not 0 <= index < len(finals) or not isinstance(finals[index], dict):
            yield Violation(
                f"tool call {index} was streamed but is missing from the completed step",
                "$.step_details.tool_calls",
                "A4",
            )
            continue
        final = finals[index]
        path = f"$.step_details.tool_calls[{index}]"
        if "id" in call and call.get("id") != final.get("id"):
            yield Violation(
                f"tool call {index} was streamed as {call.get('id')!r} but completed as "
                f"{final.get('id')!r}",
                f"{path}.id",
                "A4",
            )
        for section, key in (("function", "arguments"), ("code_interpreter", "input")):
            streamed, finished = call.get(section), final.get(section)
            if not (isinstance(streamed, dict) and isinstance(finished, dict)):
                continue
            if (
                key in streamed
                and isinstance(finished.get(key), str)
                and streamed[key] != finished[key]
            ):
                yield Violation(
                    f"the {section}.{key} deltas of tool call {index} add up to "
                    f"{_short(streamed[key])} but the completed step says {_short(finished[key])}",
                    f"{path}.{section}.{key}",
                    "A4",
                )


@rule("A4", kinds=["thread.run.step.delta"])
def step_delta(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """A4: tool-call deltas have an integer index; the first of an index has id and type."""
    delta = event.payload.get("delta")
    details = delta.get("step_details") if isinstance(delta, dict) else None
    calls = details.get("tool_calls") if isinstance(details, dict) else None
    step_id = event.payload.get("id")
    if not isinstance(step_id, str) or not isinstance(calls, list):
        return
    if stream.entity("step", (step_id,)) is None:
        return
    seen = _memory(stream).seen_calls.setdefault(step_id, set())
    for position, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        index = call.get("index")
        if type(index) is not int:
            yield Violation(
                f"a tool-call delta without an integer index ({index!r})",
                f"$.delta.step_details.tool_calls[{position}].index",
            )
            continue
        if index in seen:
            continue
        seen.add(index)
        missing = [key for key in ("id", "type") if key not in call]
        if missing:
            yield Violation(
                f"the first delta of tool call {index!r} lacks {' and '.join(missing)}",
                f"$.delta.step_details.tool_calls[{position}]",
            )


# ---------------------------------------------------------------------------------- messages


@rule("M2", kinds=["thread.message.created"])
def message_created(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """M2: messages do not interleave; M3: its ids are the run's; P5: its step still open."""
    payload = event.payload
    message_id = payload.get("id")
    if not isinstance(message_id, str):
        return
    for (other,) in stream.open_keys("message"):
        if other != message_id:
            state = stream.entity("message", (other,))
            yield Violation(
                f"message {message_id} starts while message {other} (created at event "
                f"{state.created_at if state else '?'}) has not ended: messages must not "
                "interleave"
            )
            break
    yield from _same_run(payload, stream, "M3", "message")
    memory = _memory(stream)
    memory.parts[message_id] = []
    step_id = memory.links.get(message_id)
    if step_id is not None:
        state = stream.entity("step", (step_id,))
        if state is not None and state.ended_at is not None:
            yield Violation(
                f"message {message_id} was created after the step {step_id} that encloses it ended",
                rule="P5",
            )


@rule("A2", kinds=["thread.message.delta"])
def message_delta(event: EventView, stream: StreamView) -> tuple[Violation, ...] | list[Violation]:
    """A2: a part's first delta sets its type, which never changes; indices are contiguous."""
    try:
        parts = stream.memory(MEMORY, _Memory).parts[event.payload["id"]]
        content = event.payload["delta"]["content"]
        if len(content) == 1:  # the common case: one piece of a known part
            item = content[0]
            index = item["index"]
            if type(index) is int and 0 <= index < len(parts) and item["type"] == parts[index]:
                return _NONE
    except (KeyError, TypeError, IndexError):
        return _NONE  # no open message (M1 says why) or a delta without content
    if not isinstance(content, list):
        return _NONE
    found: list[Violation] = []
    for position, item in enumerate(content):
        if not isinstance(item, dict):
            continue
        index, kind = item.get("index"), item.get("type")
        if type(index) is not int or index < 0 or index > len(parts):
            found.append(
                Violation(
                    f"content index {index!r} is not the next one (expected 0..{len(parts)})",
                    f"$.delta.content[{position}].index",
                )
            )
        elif index == len(parts):
            parts.append(kind)
            if kind is None:
                found.append(
                    Violation(
                        f"the first delta of content part {index} does not say its type",
                        f"$.delta.content[{position}]",
                    )
                )
        elif kind is not None and kind != parts[index]:
            found.append(
                Violation(
                    f"content part {index} changes type from {parts[index]!r} to {kind!r}",
                    f"$.delta.content[{position}].type",
                )
            )
    return found


@rule("A1", kinds=MESSAGE_END)
def message_final(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """A1-A3 at a message's end: its deltas add up to the final content."""
    payload = event.payload
    content = payload.get("content")
    if not isinstance(payload.get("id"), str):
        return
    parts = _memory(stream).parts.pop(payload.get("id"), None)
    built = stream.folded_part("streamed", payload.get("id"))
    if not parts or not isinstance(content, list) or not isinstance(built, dict):
        return
    streamed = built.get("content")
    if not isinstance(streamed, list) or not streamed:
        return
    if len(streamed) != len(content):
        yield Violation(
            f"deltas built {len(streamed)} content part(s); the final message has {len(content)}",
            "$.content",
            "A2",
        )
    for index, part in enumerate(streamed):
        if index >= len(content) or not isinstance(content[index], dict):
            break
        final = content[index]
        if not isinstance(part, dict):
            continue
        if part.get("type") != final.get("type"):
            yield Violation(
                f"content part {index} was streamed as {part.get('type')!r} but is "
                f"{final.get('type')!r} in the final message",
                f"$.content[{index}].type",
                "A2",
            )
            continue
        text, final_text = part.get("text"), final.get("text")
        if not (isinstance(text, dict) and isinstance(final_text, dict)):
            continue
        value = text.get("value", "")
        if isinstance(final_text.get("value"), str) and value != final_text["value"]:
            yield Violation(
                f"the text deltas of content part {index} add up to {_short(value)} but the "
                f"final message says {_short(final_text['value'])}",
                f"$.content[{index}].text.value",
            )
        yield from _annotations(index, text.get("annotations"), final_text)


def _annotations(index: int, streamed: Any, final_text: Mapping[str, Any]) -> Iterator[Violation]:
    """A3, leniently: every streamed annotation appears in the final ones (type, text, span)."""
    if not isinstance(streamed, list) or not streamed:
        return
    finals = final_text.get("annotations")
    keys = (
        {_key(item) for item in finals if isinstance(item, dict)}
        if isinstance(finals, list)
        else set()
    )
    for item in streamed:
        if isinstance(item, dict) and _key(item) not in keys:
            yield Violation(
                f"streamed annotation {item.get('text')!r} ({item.get('type')}) of content part "
                f"{index} is not in the final message's annotations",
                f"$.content[{index}].text.annotations",
                "A3",
            )


def _key(item: Mapping[str, Any]) -> tuple[Any, ...]:
    return (item.get("type"), item.get("text"), item.get("start_index"), item.get("end_index"))
