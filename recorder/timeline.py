"""A readable timeline of a cassette: one line per event, with time, gap and a summary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from recorder.cassette import Cassette
from recorder.sse import ServerSentEvent
from recorder.stream import parse_interaction

__all__ = ["render_timeline", "summarize"]

_SUMMARY_WIDTH = 60


def _short(text: str, width: int = _SUMMARY_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _delta_text(payload: dict[str, Any]) -> str | None:
    delta = payload.get("delta")
    if not isinstance(delta, dict):
        return None
    pieces: list[str] = []
    for part in delta.get("content") or []:
        if isinstance(part, dict):
            text = part.get("text")
            if isinstance(text, dict) and isinstance(text.get("value"), str):
                pieces.append(text["value"])
    details = delta.get("step_details")
    if isinstance(details, dict):
        for call in details.get("tool_calls") or []:
            if isinstance(call, dict):
                function = call.get("function")
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    pieces.append(function["arguments"])
    return "".join(pieces) if pieces else None


def summarize(event: ServerSentEvent) -> str:
    """A short human summary of an event's data: ids and status, or the delta text."""
    try:
        payload = json.loads(event.data)
    except ValueError:
        return _short(repr(event.data) if event.data != "[DONE]" else "[DONE]")
    if not isinstance(payload, dict):
        return _short(event.data)
    text = _delta_text(payload)
    if text is not None:
        return _short(json.dumps(text, ensure_ascii=False))
    bits = [
        str(payload[key])
        for key in ("id", "status", "type", "message", "code")
        if isinstance(payload.get(key), str | int)
    ]
    if not bits and isinstance(payload.get("error"), dict):
        bits = [str(payload["error"].get("message", ""))]
    return _short(" ".join(bits))


def render_timeline(cassette: Cassette) -> Iterator[str]:
    """Lines of the timeline, one header per interaction."""
    for number, interaction in enumerate(cassette.interactions):
        request = interaction.request
        status = interaction.response.status if interaction.response else "-"
        parsed = parse_interaction(interaction)
        yield (
            f"== interaction {number}: {request.method} {request.url} -> {status}, "
            f"{len(interaction.chunks)} chunks, {parsed.size} bytes, "
            f"{len(parsed.events)} events, ended: {interaction.outcome}"
        )
        yield f"{'#':>5}  {'t ms':>9}  {'gap ms':>8}  {'event':<28}  summary"
        previous = 0.0
        for index, event in enumerate(parsed.events):
            at = parsed.time_of(event)
            yield (
                f"{index:>5}  {at * 1000:>9.1f}  {(at - previous) * 1000:>+8.1f}  "
                f"{_short(event.event, 28):<28}  {summarize(event)}"
            )
            previous = at
        if parsed.unfinished is not None:
            yield f"       (body ends inside an unfinished event at byte {parsed.unfinished[0]})"
