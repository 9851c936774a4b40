"""The final fold of an OpenAI Responses stream: its events to the Response object.

It follows the openai library (v3.57), whose
``client.responses.stream(...).get_final_response()`` users compare against
(``openai/lib/streaming/responses/_responses.py``, ``ResponseStreamState``):

- the final object is the ``response`` of ``response.completed``; when that response has no
  ``output`` the library rebuilds it from the ``response.output_item.done`` items in
  ``output_index`` order ("deltas can omit final status, annotations, or refusals"), and so do
  we;
- ``parse_response`` then rebuilds each message with ``content`` always present (``[]`` when
  missing) and adds its own ``parsed`` / ``parsed_arguments`` fields, which we do not produce;
- the library refuses a stream without ``response.completed`` ("Didn't receive a
  `response.completed` event"). The fold still answers, with what the stream amounts to so far:
  the ``response.failed`` / ``response.incomplete`` response (its output rebuilt from the items
  as the library does for those events), else the latest ``response.created`` /
  ``response.in_progress`` snapshot with the items added so far, their ``output_text`` and
  function-call ``arguments`` deltas appended, each replaced by its ``output_item.done``.

Events are told apart by the JSON ``type`` (the library ignores the SSE event name), falling
back to ``kind``. Text deltas are kept as lists of pieces, joined in :meth:`ResponsesFold.result`;
they are dropped once their item is done. The fold never raises.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ResponsesFold"]

_TERMINAL_FAILED = ("response.failed", "response.incomplete")
_LIFECYCLE = ("response.created", "response.queued", "response.in_progress")


class _Item:
    """An output item being streamed: the added item plus its deltas."""

    __slots__ = ("arguments", "item", "texts")

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item
        self.texts: dict[int, list[str]] = {}
        self.arguments: list[str] = []

    def snapshot(self) -> dict[str, Any]:
        item = dict(self.item)
        if self.arguments and isinstance(item.get("arguments"), str):
            item["arguments"] = item["arguments"] + "".join(self.arguments)
        content = item.get("content")
        if self.texts and isinstance(content, list):
            content = [dict(part) if isinstance(part, dict) else part for part in content]
            for index, pieces in self.texts.items():
                part = content[index] if 0 <= index < len(content) else None
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    part["text"] = part["text"] + "".join(pieces)
            item["content"] = content
        return item


def _message_content(output: list[Any]) -> list[Any]:
    """``parse_response``: every message item has a ``content`` list."""
    items: list[Any] = []
    for item in output:
        if isinstance(item, dict) and item.get("type") == "message":
            item = {**item, "content": list(item.get("content") or [])}
        items.append(item)
    return items


class ResponsesFold:
    """Fold Responses stream events into the Response object they amount to.

    ``feed(kind, payload)`` takes each event (``payload`` is the parsed JSON data, None when
    the data is not JSON); ``result()`` is the Response as plain JSON, None before any
    lifecycle event. See the module docstring for the library behaviour it follows.
    """

    __slots__ = ("_added", "_completed", "_done", "_final", "_snapshot")

    def __init__(self) -> None:
        self._snapshot: dict[str, Any] | None = None  # latest created/in_progress response
        self._final: dict[str, Any] | None = None  # completed/failed/incomplete response
        self._completed = False
        self._added: dict[int, _Item] = {}
        self._done: dict[int, dict[str, Any]] = {}

    def feed(self, kind: str, payload: Any) -> None:
        """Fold one event."""
        if self._completed or not isinstance(payload, dict):
            return
        event_type = payload.get("type")
        if not isinstance(event_type, str):
            event_type = kind
        if event_type in _LIFECYCLE:
            if isinstance(payload.get("response"), dict):
                self._snapshot = payload["response"]
        elif event_type == "response.completed" or event_type in _TERMINAL_FAILED:
            if isinstance(payload.get("response"), dict):
                self._final = payload["response"]
                self._completed = event_type == "response.completed"
                if self._completed:  # nothing else is needed any more
                    self._added = {}
                    if self._final.get("output") is not None:
                        self._done = {}
        elif event_type == "response.output_item.added":
            index, item = payload.get("output_index"), payload.get("item")
            if isinstance(index, int) and isinstance(item, dict) and index not in self._added:
                self._added[index] = _Item(item)
        elif event_type == "response.output_item.done":
            index, item = payload.get("output_index"), payload.get("item")
            if isinstance(index, int) and isinstance(item, dict):
                self._done[index] = item
                added = self._added.get(index)
                if added is not None:  # the done item supersedes the deltas
                    added.texts, added.arguments = {}, []
        elif event_type == "response.output_text.delta":
            self._delta_text(payload)
        elif event_type == "response.function_call_arguments.delta":
            index, delta = payload.get("output_index"), payload.get("delta")
            if isinstance(index, int) and isinstance(delta, str) and index not in self._done:
                added = self._added.get(index)
                if added is not None:
                    added.arguments.append(delta)

    def _delta_text(self, payload: dict[str, Any]) -> None:
        index, part, delta = (
            payload.get("output_index"),
            payload.get("content_index"),
            payload.get("delta"),
        )
        if not isinstance(index, int) or not isinstance(part, int) or not isinstance(delta, str):
            return
        added = self._added.get(index)
        if added is not None and index not in self._done:
            added.texts.setdefault(part, []).append(delta)

    def _items(self) -> list[dict[str, Any]]:
        indices = sorted(self._added.keys() | self._done.keys())
        return [self._done[i] if i in self._done else self._added[i].snapshot() for i in indices]

    def result(self) -> dict[str, Any] | None:
        """The Response so far as plain JSON, None when no response was seen."""
        if self._final is not None:
            response = dict(self._final)
            if response.get("output") is None:
                if self._completed:
                    response["output"] = [self._done[i] for i in sorted(self._done)]
                else:
                    response["output"] = self._items()
            output = response["output"]
            if isinstance(output, list):
                response["output"] = _message_content(output)
            return response
        if self._snapshot is None:
            return None
        response = dict(self._snapshot)
        if not isinstance(response.get("output"), list) or not response["output"]:
            response["output"] = self._items()
        return response
