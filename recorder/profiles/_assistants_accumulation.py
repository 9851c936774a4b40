"""Accumulation rules A1-A5 of the Assistants profile (CONTRACT.md, "Accumulation").

Per open message: its content parts, built from deltas (strings kept as ``Pieces``); per open
step: its tool calls. State lives only while the object is open, so memory follows the open
messages' text, not the number of events.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from recorder.validate.accumulate import DeltaAccumulator, Pieces, materialize, merge_delta

if TYPE_CHECKING:
    from recorder.profiles._assistants_checker import AssistantsChecker
    from recorder.validate.findings import Finding

__all__ = [
    "MessageParts",
    "check_message_final",
    "check_requires_action",
    "check_step_final",
    "rule_a2_a4_step_delta",
    "rule_a2_message_delta",
]


class MessageParts:
    """The content parts of one open message, indexed by their delta ``index``."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[dict[str, Any]] = []


def rule_a2_message_delta(c: AssistantsChecker) -> Iterator[Finding]:
    """A2: a part's first delta sets its type, which never changes; indices are contiguous."""
    payload = c.payload
    try:
        state = c.messages[payload["id"]]
        content = payload["delta"]["content"]
    except (KeyError, TypeError):
        return  # no open message (M1 says why) or a delta without content
    if not isinstance(content, list):
        return
    # (The common valid text delta never gets here: AssistantsChecker._text_delta folds it.)
    yield from _content_deltas(c, state.parts, content)


def _content_deltas(
    c: AssistantsChecker, parts: list[dict[str, Any]], content: list[Any]
) -> Iterator[Finding]:
    for position, item in enumerate(content):
        if not isinstance(item, dict):
            continue
        index = item.get("index")
        kind = item.get("type")
        if not isinstance(index, int) or index < 0 or index > len(parts):
            yield c.found(
                "A2",
                f"content index {index!r} is not the next one (expected 0..{len(parts)})",
                f"$.delta.content[{position}].index",
            )
            continue
        if index == len(parts):
            if kind is None:
                yield c.found(
                    "A2",
                    f"the first delta of content part {index} does not say its type",
                    f"$.delta.content[{position}]",
                )
            text = item.get("text")
            parts.append(
                {"type": kind, "text": {"value": Pieces((text["value"],)), "annotations": []}}
                if kind == "text"
                and isinstance(text, dict)
                and isinstance(text.get("value"), str)
                and not text.get("annotations")
                else merge_delta({}, item)
            )
            continue
        part = parts[index]
        if kind is not None and kind != part.get("type"):
            yield c.found(
                "A2",
                f"content part {index} changes type from {part.get('type')!r} to {kind!r}",
                f"$.delta.content[{position}].type",
            )
        merge_delta(part, item)


def check_message_final(c: AssistantsChecker, message_id: str) -> Iterator[Finding]:
    """A1-A3 at a message's completed/incomplete event: deltas add up to the final content."""
    state = c.messages.pop(message_id, None)
    payload = c.payload
    if state is None or not isinstance(payload, dict):
        return
    content = payload.get("content")
    if not isinstance(content, list):
        return
    if state.parts and len(state.parts) != len(content):
        yield c.found(
            "A2",
            f"deltas built {len(state.parts)} content part(s); the final message has "
            f"{len(content)}",
            "$.content",
        )
    for index, built in enumerate(state.parts):
        if index >= len(content) or not isinstance(content[index], dict):
            break
        final = content[index]
        if built.get("type") != final.get("type"):
            yield c.found(
                "A2",
                f"content part {index} was streamed as {built.get('type')!r} but is "
                f"{final.get('type')!r} in the final message",
                f"$.content[{index}].type",
            )
            continue
        built_text = built.get("text")
        final_text = final.get("text")
        if not (isinstance(built_text, dict) and isinstance(final_text, dict)):
            continue
        streamed = materialize(built_text.get("value", ""))
        if isinstance(final_text.get("value"), str) and streamed != final_text["value"]:
            yield c.found(
                "A1",
                f"the text deltas of content part {index} add up to {_short(streamed)} but the "
                f"final message says {_short(final_text['value'])}",
                f"$.content[{index}].text.value",
            )
        yield from _annotations(c, index, built_text.get("annotations"), final_text)


def _annotations(
    c: AssistantsChecker, index: int, streamed: Any, final_text: Mapping[str, Any]
) -> Iterator[Finding]:
    """A3, leniently: every streamed annotation appears in the final ones (type, text, span)."""
    if not isinstance(streamed, list) or not streamed:
        return
    final = final_text.get("annotations")
    finals = final if isinstance(final, list) else []
    keys = {_annotation_key(item) for item in finals if isinstance(item, dict)}
    for item in materialize(streamed):
        if isinstance(item, dict) and _annotation_key(item) not in keys:
            yield c.found(
                "A3",
                f"streamed annotation {item.get('text')!r} ({item.get('type')}) of content part "
                f"{index} is not in the final message's annotations",
                f"$.content[{index}].text.annotations",
            )


def _annotation_key(item: Mapping[str, Any]) -> tuple[Any, ...]:
    return (item.get("type"), item.get("text"), item.get("start_index"), item.get("end_index"))


def rule_a2_a4_step_delta(c: AssistantsChecker) -> Iterator[Finding]:
    """A4: tool-call deltas keyed by (step, index); the first one carries ``id`` and ``type``."""
    payload = c.payload
    if not isinstance(payload, dict):
        return
    key = payload.get("id")
    step = c.steps.get(key) if isinstance(key, str) else None
    delta = payload.get("delta")
    if step is None or not isinstance(delta, dict):
        return
    details = delta.get("step_details")
    calls = details.get("tool_calls") if isinstance(details, dict) else None
    if isinstance(calls, list):
        built = step.calls.state.get("tool_calls")
        seen = {
            call.get("index")
            for call in (built if isinstance(built, list) else ())
            if isinstance(call, dict) and isinstance(call.get("index"), int)
        }
        for position, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            index = call.get("index")
            if not isinstance(index, int) or isinstance(index, bool):
                yield c.found(
                    "A4",
                    f"a tool-call delta without an integer index ({index!r})",
                    f"$.delta.step_details.tool_calls[{position}].index",
                )
                continue
            if index in seen:
                continue
            missing = [key for key in ("id", "type") if key not in call]
            if missing:
                yield c.found(
                    "A4",
                    f"the first delta of tool call {call.get('index')!r} lacks "
                    f"{' and '.join(missing)}",
                    f"$.delta.step_details.tool_calls[{position}]",
                )
    if isinstance(details, dict):
        step.calls.merge(details)


def _streamed_calls(calls: DeltaAccumulator) -> dict[int, dict[str, Any]]:
    built = calls.snapshot().get("tool_calls")
    if not isinstance(built, list):
        return {}
    return {
        call["index"]: call
        for call in built
        if isinstance(call, dict) and isinstance(call.get("index"), int)
    }


def check_step_final(c: AssistantsChecker, step_id: str) -> Iterator[Finding]:
    """A4 at a step's completion: accumulated tool calls equal the final ones."""
    step = c.steps.get(step_id)
    payload = c.payload
    if step is None or not isinstance(payload, dict) or not step.calls.state:
        return
    details = payload.get("step_details")
    finals = details.get("tool_calls") if isinstance(details, dict) else None
    if not isinstance(finals, list):
        return
    for index, built in sorted(_streamed_calls(step.calls).items()):
        if index >= len(finals) or not isinstance(finals[index], dict):
            yield c.found(
                "A4",
                f"tool call {index} was streamed but is missing from the completed step",
                "$.step_details.tool_calls",
            )
            continue
        final = finals[index]
        path = f"$.step_details.tool_calls[{index}]"
        if "id" in built and built.get("id") != final.get("id"):
            yield c.found(
                "A4",
                f"tool call {index} was streamed as {built.get('id')!r} but completed as "
                f"{final.get('id')!r}",
                f"{path}.id",
            )
        for section, key in (("function", "arguments"), ("code_interpreter", "input")):
            streamed = built.get(section)
            finished = final.get(section)
            if not (isinstance(streamed, dict) and isinstance(finished, dict)):
                continue
            if (
                key in streamed
                and isinstance(finished.get(key), str)
                and streamed[key] != finished[key]
            ):
                yield c.found(
                    "A4",
                    f"the {section}.{key} deltas of tool call {index} add up to "
                    f"{_short(streamed[key])} but the completed step says "
                    f"{_short(finished[key])}",
                    f"{path}.{section}.{key}",
                )


def function_calls(calls: DeltaAccumulator) -> list[tuple[Any, Any, Any]]:
    """(id, name, arguments) of the function calls accumulated in one step, by index."""
    return [
        (
            call.get("id"),
            call.get("function", {}).get("name"),
            call.get("function", {}).get("arguments"),
        )
        for _, call in sorted(_streamed_calls(calls).items())
        if call.get("type") == "function" and isinstance(call.get("function"), dict)
    ]


def check_requires_action(
    c: AssistantsChecker, streamed: list[tuple[Any, Any, Any]]
) -> Iterator[Finding]:
    """A5: the run's required tool calls equal those streamed in its open tool_calls step."""
    payload = c.payload
    if not isinstance(payload, dict):
        return
    action = payload.get("required_action")
    outputs = action.get("submit_tool_outputs") if isinstance(action, dict) else None
    calls = outputs.get("tool_calls") if isinstance(outputs, dict) else None
    if not isinstance(calls, list):
        return
    required = [
        (
            call.get("id"),
            call.get("function", {}).get("name"),
            call.get("function", {}).get("arguments"),
        )
        for call in calls
        if isinstance(call, dict) and isinstance(call.get("function"), dict)
    ]
    if streamed != required:
        yield c.found(
            "A5",
            f"required_action asks for {_calls(required)} but the stream's tool_calls step "
            f"built {_calls(streamed)}",
            "$.required_action.submit_tool_outputs.tool_calls",
        )


def _calls(calls: list[tuple[Any, Any, Any]]) -> str:
    if not calls:
        return "no function calls"
    return ", ".join(
        f"{name}({_short(arguments, 30)}) [{call_id}]" for call_id, name, arguments in calls
    )


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"
