"""The Responses rules data cannot say: comparisons between an item's events.

The profile's data (``profile.toml``) checks names, order, lifecycles, statuses and each delta
against its ``.done`` value; these functions run only on the few events that close something
(a part, an item, the response), never on deltas, and compare what was streamed with what the
closing event says. What they remember per stream lives in ``stream.memory(__name__)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from recorder.validate.context import EventView, StreamView, Violation, rule

__all__ = [
    "annotation_streamed",
    "content_part_done",
    "item_added",
    "item_done",
    "item_id_kept",
    "summary_part_done",
    "terminal_output",
    "value_done",
]

_TERMINAL = ("response.completed", "response.failed", "response.incomplete")

#: Item events (other than deltas, for speed) that name their item by ``item_id``.
_ITEM_ID_EVENTS = (
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.done",
    "response.output_text.annotation.added",
    "response.refusal.done",
    "response.reasoning_text.done",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.done",
    "response.function_call_arguments.done",
    "response.custom_tool_call_input.done",
    "response.mcp_call_arguments.done",
    "response.code_interpreter_call_code.done",
    "response.code_interpreter_call.in_progress",
    "response.code_interpreter_call.interpreting",
    "response.code_interpreter_call.completed",
    "response.web_search_call.in_progress",
    "response.web_search_call.searching",
    "response.web_search_call.completed",
    "response.file_search_call.in_progress",
    "response.file_search_call.searching",
    "response.file_search_call.completed",
    "response.image_generation_call.in_progress",
    "response.image_generation_call.generating",
    "response.image_generation_call.completed",
    "response.mcp_call.in_progress",
    "response.mcp_call.completed",
    "response.mcp_call.failed",
    "response.mcp_list_tools.in_progress",
    "response.mcp_list_tools.completed",
    "response.mcp_list_tools.failed",
)

#: Where an item's streamed values end up: item type -> (field, delta type) for whole-item
#: values; message and reasoning parts are looked up per part.
_ITEM_VALUES = {
    "function_call": ("arguments", "response.function_call_arguments.delta"),
    "custom_tool_call": ("input", "response.custom_tool_call_input.delta"),
    "mcp_call": ("arguments", "response.mcp_call_arguments.delta"),
    "code_interpreter_call": ("code", "response.code_interpreter_call_code.delta"),
}
_PART_VALUES = {
    "output_text": ("text", "response.output_text.delta"),
    "refusal": ("refusal", "response.refusal.delta"),
    "reasoning_text": ("text", "response.reasoning_text.delta"),
}
_SUMMARY_DELTA = "response.reasoning_summary_text.delta"


#: ``.done`` kind -> (its delta type, the field with the whole value, the key's second field).
_DONE_VALUES = {
    "response.output_text.done": ("response.output_text.delta", "text", "content_index"),
    "response.refusal.done": ("response.refusal.delta", "refusal", "content_index"),
    "response.reasoning_text.done": ("response.reasoning_text.delta", "text", "content_index"),
    "response.reasoning_summary_text.done": (_SUMMARY_DELTA, "text", "summary_index"),
    "response.function_call_arguments.done": (
        "response.function_call_arguments.delta",
        "arguments",
        None,
    ),
    "response.custom_tool_call_input.done": (
        "response.custom_tool_call_input.delta",
        "input",
        None,
    ),
    "response.mcp_call_arguments.done": ("response.mcp_call_arguments.delta", "arguments", None),
    "response.code_interpreter_call_code.done": (
        "response.code_interpreter_call_code.delta",
        "code",
        None,
    ),
}


@dataclass(slots=True)
class _Memory:
    added_ids: dict[int, Any] = field(default_factory=dict)  # output_index -> item id
    done: dict[int, Any] = field(default_factory=dict)  # output_index -> item done
    annotations: dict[tuple[int, int], list[Any]] = field(default_factory=dict)
    #: (delta type, output_index[, content or summary index]) -> the .done value
    values: dict[tuple[Any, ...], str] = field(default_factory=dict)


def _memory(stream: StreamView) -> _Memory:
    memory: _Memory = stream.memory(__name__, _Memory)
    return memory


def _show(text: str, limit: int = 50) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def _streamed(stream: StreamView, key: tuple[Any, ...], item_id: Any) -> str | None:
    """What was streamed under ``key``: the ``.done`` value (RS10 holds it equal to the
    deltas), else the deltas themselves when no ``.done`` came (RS10's fold still holds them)."""
    value = _memory(stream).values.get(key)
    if value is not None:
        return value
    fold_key = (*key[1:], item_id) if key[0] == _SUMMARY_DELTA else key[1:]
    return stream.joined("RS10", fold_key)


def _compare(
    stream: StreamView,
    key: tuple[Any, ...],
    final: Any,
    where: str,
    path: str,
    item_id: Any = None,
) -> Iterator[Violation]:
    """RS11: what was streamed under ``key`` against the value ``where`` says."""
    if not isinstance(final, str):
        return
    streamed = _streamed(stream, key, item_id)
    if streamed is None or streamed == final:
        return
    if stream.resumed and final.endswith(streamed):
        return  # the deltas before the resume point were not in this stream
    yield Violation(
        f"the streamed {key[0].removeprefix('response.').removesuffix('.delta')} is "
        f"{_show(streamed)}, but {where} says {_show(final)}",
        path,
        rule="RS11",
    )


@rule("RS11", kinds=list(_DONE_VALUES))
def value_done(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """Remember each ``.done`` value, for RS11 at its part's, item's and response's end."""
    delta, name, second = _DONE_VALUES[event.kind]
    value = event.get(name)
    index = event.get("output_index")
    if isinstance(value, str) and type(index) is int:
        key = (delta, index) if second is None else (delta, index, event.get(second))
        _memory(stream).values[key] = value
    return iter(())


def _item_values(
    stream: StreamView, item: Any, index: int, where: str, path: str
) -> Iterator[Violation]:
    """RS11 for one whole item (output_item.done, or one item of the terminal response)."""
    if not isinstance(item, dict):
        return
    kind = item.get("type")
    whole = _ITEM_VALUES.get(kind) if isinstance(kind, str) else None
    if whole is not None:
        name, delta = whole
        yield from _compare(stream, (delta, index), item.get(name), where, f"{path}.{name}")
        return
    content = item.get("content")
    if isinstance(content, list):
        for number, part in enumerate(content):
            if not isinstance(part, dict):
                continue
            value = _PART_VALUES.get(part.get("type"))  # type: ignore[arg-type]
            if value is not None:
                name, delta = value
                yield from _compare(
                    stream,
                    (delta, index, number),
                    part.get(name),
                    f"{where} (content {number})",
                    f"{path}.content[{number}].{name}",
                )
    summary = item.get("summary")
    if kind == "reasoning" and isinstance(summary, list):
        for number, part in enumerate(summary):
            if isinstance(part, dict):
                yield from _compare(
                    stream,
                    (_SUMMARY_DELTA, index, number),
                    part.get("text"),
                    f"{where} (summary {number})",
                    f"{path}.summary[{number}].text",
                    item.get("id"),
                )


@rule("RS18", kinds=["response.output_item.added"])
def item_added(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """Remember each item's id, for RS18 on its later events."""
    index, item_id = event.get("output_index"), event.get("item.id")
    if type(index) is int and item_id is not None:
        _memory(stream).added_ids.setdefault(index, item_id)
    return iter(())


@rule("RS18", kinds=_ITEM_ID_EVENTS)
def item_id_kept(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """RS18: an item event names the item added at its output_index by the same id."""
    index, item_id = event.get("output_index"), event.get("item_id")
    added = _memory(stream).added_ids.get(index) if type(index) is int else None
    if added is not None and item_id is not None and item_id != added:
        yield Violation(
            f"item_id {item_id!r}, but the item added at output_index {index} is {added!r}",
            "$.item_id",
        )


@rule("RS9", kinds=["response.output_item.done"])
def item_done(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """RS9 (parts done first), RS18 (same id), RS11 (deltas vs the item) at output_item.done."""
    index, item = event.get("output_index"), event.get("item")
    if type(index) is not int:
        return
    memory = _memory(stream)
    if isinstance(item, dict):
        memory.done.setdefault(index, item)
        added = memory.added_ids.get(index)
        if added is not None and item.get("id") is not None and item.get("id") != added:
            yield Violation(
                f"the item done at output_index {index} has id {item.get('id')!r}, "
                f"but it was added as {added!r}",
                "$.item.id",
                rule="RS18",
            )
    for name, what in (("part", "content_index"), ("summary part", "summary_index")):
        for key, state in stream.entities(name).items():
            if key[0] == index and state.created_at is not None and state.ended_at is None:
                yield Violation(
                    f"output_item.done while its {name} at {what} {key[1]} "
                    f"(added at event {state.created_at}) is not done",
                )
    yield from _item_values(stream, item, index, "output_item.done", "$.item")


@rule("RS11", kinds=["response.content_part.done"])
def content_part_done(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """RS11 (deltas vs the part) and RS12 (streamed annotations are in the part)."""
    index, number, part = event.get("output_index"), event.get("content_index"), event.get("part")
    if type(index) is not int or type(number) is not int or not isinstance(part, dict):
        return
    value = _PART_VALUES.get(part.get("type"))  # type: ignore[arg-type]
    if value is not None:
        name, delta = value
        yield from _compare(
            stream, (delta, index, number), part.get(name), "content_part.done", f"$.part.{name}"
        )
    streamed = _memory(stream).annotations.get((index, number), ())
    final = part.get("annotations")
    final = final if isinstance(final, list) else []
    for annotation in streamed:
        if not any(_covers(candidate, annotation) for candidate in final):
            yield Violation(
                f"the streamed annotation {_show(str(annotation), 80)} is not in the final part",
                "$.part.annotations",
                rule="RS12",
            )


def _covers(final: Any, streamed: Any) -> bool:
    """The final annotation says at least what the streamed one said."""
    if final == streamed:
        return True
    if isinstance(final, dict) and isinstance(streamed, dict):
        return all(final.get(key) == value for key, value in streamed.items())
    return False


@rule("RS11", kinds=["response.reasoning_summary_part.done"])
def summary_part_done(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """RS11: the summary deltas add up to the summary part's text."""
    index, number = event.get("output_index"), event.get("summary_index")
    if type(index) is int and type(number) is int:
        yield from _compare(
            stream,
            (_SUMMARY_DELTA, index, number),
            event.get("part.text"),
            "reasoning_summary_part.done",
            "$.part.text",
            event.get("item_id"),
        )


@rule("RS12", kinds=["response.output_text.annotation.added"])
def annotation_streamed(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """Remember each streamed annotation, for RS12 at its part's end."""
    index, number = event.get("output_index"), event.get("content_index")
    annotation = event.get("annotation")
    if type(index) is int and type(number) is int and annotation is not None:
        _memory(stream).annotations.setdefault((index, number), []).append(annotation)
    return iter(())


@rule("RS15", kinds=_TERMINAL)
def terminal_output(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """RS15: the terminal response lists the items done, in order; RS11 for each of them.

    ``encrypted_content`` and ``fingerprint`` (opaque state) are sealed anew for the final
    response by real servers, so they are not compared. An item added but never done that the
    response lists is a warning: a real OpenAI MCP stream does that (pydantic-ai's
    mcp-list-tools-stream-backfills-missing-results), and clients take the response's copy.
    """
    output = event.get("response.output")
    if not isinstance(output, list):
        return  # no output: clients rebuild it from the items done (openai library)
    done = _memory(stream).done
    if not stream.resumed:  # an empty list claims no item was done (no real server sends it)
        yield from _listed_items(stream, output, done)
    for number, item in enumerate(output):
        yield from _item_values(stream, item, number, event.kind, f"$.response.output[{number}]")


def _listed_items(
    stream: StreamView, output: list[Any], done: dict[int, Any]
) -> Iterator[Violation]:
    added = _memory(stream).added_ids
    for number, listed in enumerate(output):
        path = f"$.response.output[{number}]"
        item = done.get(number)
        if item is None:
            if number in added:
                yield Violation(
                    f"output item {number} was added but never done (no output_item.done); "
                    "the response lists it",
                    path,
                    severity="warning",
                )
            else:
                yield Violation(f"output item {number} was never streamed", path)
            continue
        if _sealed(listed) != _sealed(item):
            yield Violation(
                f"output item {number} differs from its output_item.done"
                f"{_difference(listed, item)}",
                path,
            )
            return
    missing = sorted(index for index in done if index >= len(output))
    if missing:
        yield Violation(
            f"the response lists {len(output)} output item(s), but item(s) at output_index "
            f"{', '.join(map(str, missing))} were done too",
            "$.response.output",
        )


#: Opaque state the server seals anew for the final response (Fernet tokens, gAAAAA...).
_SEALED = frozenset({"encrypted_content", "fingerprint"})


def _sealed(item: Any) -> Any:
    if isinstance(item, dict) and not _SEALED.isdisjoint(item):
        return {key: value for key, value in item.items() if key not in _SEALED}
    return item


def _difference(listed: Any, item: Any) -> str:
    if not isinstance(listed, dict) or not isinstance(item, dict):
        return ""
    for key in sorted(listed.keys() | item.keys()):
        if listed.get(key) != item.get(key):
            return f" at {key!r}"
    return ""
