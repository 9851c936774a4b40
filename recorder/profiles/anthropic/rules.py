"""The Anthropic Messages rules that the profile's data cannot say (see profile.toml).

Each runs on a rare kind (message_start, content_block_start, message_delta, message_stop),
never on content_block_delta, the bulk of a stream: the engine's data checks those (B5, the
tool input JSON, is a ``[[folds]]`` entry).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from recorder.validate.context import EventView, StreamView, Violation, rule

__all__ = [
    "blocks_before_message_delta",
    "message_delta_after_the_blocks",
    "message_start_first",
    "message_start_is_empty",
    "message_start_opens",
    "message_stop_after_message_delta",
    "usage_after_message_delta",
    "usage_at_message_start",
]

#: Kinds that need a message_start before them (content_block_delta is left to B1: the block it
#: refers to was never started).
_AFTER_START = ("content_block_start", "content_block_stop", "message_delta", "message_stop")
_MEMORY = __name__
_TOOL_BLOCKS = ("tool_use", "server_tool_use", "mcp_tool_use")


@rule("S1", kinds=_AFTER_START)
def message_start_first(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """The first event of the message flow that comes before any message_start."""
    if stream.count("message_start") == 0 and sum(map(stream.count, _AFTER_START)) == 1:
        yield Violation(f"{event.kind} before any message_start: the stream opens with it")


@rule("S1", kinds=["message_start"])
def message_start_opens(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """A first message_start that other events (deltas, unknown kinds) came before."""
    before = event.index - stream.count("ping")
    if (
        stream.count("message_start") == 1
        and before > 0
        and not any(map(stream.count, _AFTER_START))
    ):
        yield Violation(f"message_start comes after {before} other event(s): it opens the stream")


@rule("S3", kinds=["message_start"])
def message_start_is_empty(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """message_start's Message has no content and no stop_reason yet.

    Real servers break this one way: a programmatic tool call that resumes sends the whole
    message in message_start (its tool_use blocks and stop_reason "tool_use") and then only
    message_stop. The library folds that as the final message, so it is a warning.
    """
    content = event.get("message.content")
    stop_reason = event.get("message.stop_reason")
    if content == [] and stop_reason is None:
        return
    if isinstance(content, list) and content and isinstance(stop_reason, str):
        stream.memory(_MEMORY, dict)["complete_at"] = event.index
        yield Violation(
            f"message_start carries a complete message ({len(content)} block(s), stop_reason "
            f"{stop_reason!r}) instead of empty content: the API does this when a programmatic "
            "tool call resumes",
            "$.message.content",
            severity="warning",
        )
        return
    if content != []:
        yield Violation("message_start's content is not empty", "$.message.content")
    if stop_reason is not None:
        yield Violation(
            f"message_start's stop_reason is {stop_reason!r}, not null", "$.message.stop_reason"
        )


def _open_blocks(stream: StreamView) -> list[tuple[Any, str | None]]:
    return [
        (key[0], state.type)
        for key, state in stream.entities("block").items()
        if state.created_at is not None and state.ended_at is None
    ]


@rule("M1", kinds=["message_delta"])
def message_delta_after_the_blocks(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """message_delta while a block is open: a contract break, or (at max_tokens) a cut."""
    cut = event.get("delta.stop_reason") == "max_tokens"
    for index, kind_of in _open_blocks(stream):
        if not cut:
            yield Violation(
                f"message_delta while block {index} ({kind_of}) is still open: it comes after "
                "the last content_block_stop"
            )
            continue
        what = (
            f"the message stopped at max_tokens inside block {index} ({kind_of}), which never stops"
        )
        if kind_of in _TOOL_BLOCKS:
            joined = stream.joined("B5", (index,)) or ""
            shown = joined if len(joined) <= 60 else "..." + joined[-57:]
            what += f": its input JSON is incomplete ({len(joined)} characters, ending {shown!r})"
        yield Violation(what, "$.delta.stop_reason", rule="C1")


@rule("M1", kinds=["content_block_start"])
def blocks_before_message_delta(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """A block that starts after message_delta."""
    if stream.count("message_delta"):
        first = stream.first_index("message_delta")
        yield Violation(
            f"content_block_start after message_delta (event {first}): every block comes before it"
        )


@rule("M1", kinds=["message_stop"])
def message_stop_after_message_delta(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """message_stop with no message_delta before it (no stop_reason, no final usage)."""
    complete = stream.memory(_MEMORY, dict).get("complete_at")
    if complete is not None and complete == stream.first_index("message_start"):
        return  # the whole message came in message_start (S3)
    if not stream.count("message_delta") and stream.count("message_start"):
        yield Violation("message_stop without a message_delta before it")


def _counts(usage: Any) -> dict[str, int]:
    """The integer counts of a usage object, one level of nesting as dotted names.

    With ``iterations`` (compaction), the top-level counts are the last iteration's, so the
    message's counts are the sums over its iterations.
    """
    if not isinstance(usage, dict):
        return {}
    iterations = usage.get("iterations")
    if isinstance(iterations, list) and iterations:
        totals: dict[str, int] = {}
        for item in iterations:
            for name, value in _counts(item).items():
                totals[name] = totals.get(name, 0) + value
        return totals
    counts: dict[str, int] = {}
    for name, value in usage.items():
        if type(value) is int:
            counts[name] = value
        elif isinstance(value, dict):
            for inner, count in value.items():
                if type(count) is int:
                    counts[f"{name}.{inner}"] = count
    return counts


@rule("U1", kinds=["message_start"])
def usage_at_message_start(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """Remember the first usage (message_start's)."""
    memory = stream.memory(_MEMORY, dict)
    memory.setdefault("usage", (event.index, _counts(event.get("message.usage"))))
    return iter(())


@rule("U1", kinds=["message_delta"])
def usage_after_message_delta(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """A count of message_delta's usage below the same count earlier in the stream."""
    memory = stream.memory(_MEMORY, dict)
    counts = _counts(event.get("usage"))
    before = memory.get("usage")
    if before is not None:
        at, earlier = before
        for name, value in counts.items():
            previous = earlier.get(name)
            if previous is not None and value < previous:
                yield Violation(
                    f"usage.{name} falls from {previous} (event {at}) to {value}: "
                    "usage counts are cumulative",
                    f"$.usage.{name}",
                )
        counts = {**earlier, **counts}
    memory["usage"] = (event.index, counts)
