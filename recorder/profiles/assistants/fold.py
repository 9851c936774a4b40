"""The final fold of an Assistants run stream: the run with its messages and steps.

It follows the openai library's ``AssistantEventHandler`` (v3.57,
``openai/lib/streaming/_assistants.py``), what ``get_final_run()``, ``get_final_messages()``
and ``get_final_run_steps()`` return:

- the run is the payload of the latest ``thread.run.*`` event (not ``.step.``);
- a message is its ``thread.message.created`` payload; each ``thread.message.delta`` merges
  into the *current* message (the last one created), content part by content part: a new
  ``index`` inserts the delta's part as it came (``index`` included), an existing one is merged
  by ``accumulate_delta`` (strings concatenate, numbers add, objects merge, lists of objects
  merge by ``index``, ``index`` and ``type`` are replaced); a ``completed``/``incomplete``
  event replaces it (the streamed one stays readable as ``part(("streamed", id))`` until the
  next message ends, for the rules that compare the two);
- a step is its ``thread.run.step.created`` payload; each ``thread.run.step.delta`` merges its
  ``delta`` into the step by ``accumulate_delta``; terminal step events change nothing.

The result is ``{"run": ..., "messages": [...], "steps": [...]}`` (``thread`` too when the
stream created one). Where the library raises (a delta of a step never created, a list entry
without ``index``) the fold skips the piece and never raises. Strings are kept as pieces and
joined in :meth:`AssistantsFold.result`, so folding is linear in the stream's size.
"""

from __future__ import annotations

from typing import Any

from recorder.profiles.assistants.rules import RUN_KINDS

__all__ = ["AssistantsFold"]


class _Pieces(list[str]):
    """A string being accumulated: its fragments."""

    __slots__ = ()


def _plain(value: Any) -> Any:
    if type(value) is _Pieces:
        return "".join(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _indexed(value: Any) -> bool:
    return isinstance(value, list) and any(
        isinstance(item, dict) and "index" in item for item in value
    )


def _merge(acc: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """openai's ``accumulate_delta``, with strings kept as pieces."""
    for key, value in delta.items():
        old = acc.get(key)
        if old is None:
            if not _indexed(value):
                acc[key] = value
                continue
            old = acc[key] = []
        if key in ("index", "type"):
            acc[key] = value
        elif isinstance(value, str) and type(old) is _Pieces:
            old.append(value)
        elif isinstance(value, str) and isinstance(old, str):
            acc[key] = _Pieces((old, value))
        elif isinstance(old, int | float) and isinstance(value, int | float):
            acc[key] = old + value
        elif isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value)
        elif type(old) is list and isinstance(value, list):
            if all(isinstance(x, str | int | float) for x in old) and (old or not _indexed(value)):
                old.extend(value)
                continue
            for entry in value:
                index = entry.get("index") if isinstance(entry, dict) else None
                if type(index) is not int:
                    continue  # the library raises here
                if index < len(old) and isinstance(old[index], dict):
                    _merge(old[index], entry)
                elif index >= len(old) or index < -len(old):
                    old.insert(index, entry)
    return acc


_RUN_EVENTS = frozenset(RUN_KINDS)


class AssistantsFold:
    """``feed(kind, payload)`` each event, read ``result()``."""

    __slots__ = ("current", "messages", "run", "steps", "streamed", "thread")

    def __init__(self) -> None:
        self.thread: Any = None
        self.run: Any = None
        self.current: dict[str, Any] | None = None  # the message deltas merge into
        self.messages: dict[Any, dict[str, Any]] = {}
        self.steps: dict[Any, dict[str, Any]] = {}
        self.streamed: tuple[Any, dict[str, Any]] | None = None  # the last message replaced

    def feed(self, kind: str, payload: Any) -> None:
        """Fold one event in (anything malformed is passed over)."""
        if not isinstance(payload, dict):
            return
        if kind == "thread.message.delta":
            if self.take(kind, payload):
                return
            current = self.current
            delta = payload.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            if current is None or not isinstance(content, list):
                return
            parts = current.get("content")
            if not isinstance(parts, list):
                return
            for item in content:
                index = item.get("index") if isinstance(item, dict) else None
                if type(index) is not int:
                    continue
                if -len(parts) <= index < len(parts) and isinstance(parts[index], dict):
                    _merge(parts[index], item)
                else:
                    parts.insert(index, _merge({}, item))
        elif kind == "thread.message.created":
            message = dict(payload)
            content = message.get("content")
            message["content"] = list(content) if isinstance(content, list) else content
            key = message.get("id")
            self.current = message
            if isinstance(key, str):
                self.messages[key] = message
        elif kind in ("thread.message.completed", "thread.message.incomplete"):
            key = payload.get("id")
            if isinstance(key, str):
                before = self.messages.get(key)
                self.streamed = (key, before) if before is not None else None
                self.messages[key] = payload
            self.current = payload
        elif kind == "thread.run.step.delta":
            key = payload.get("id")
            step = self.steps.get(key) if isinstance(key, str) else None
            delta = payload.get("delta")
            if step is not None and isinstance(delta, dict):
                _merge(step, delta)
        elif kind == "thread.run.step.created":
            key = payload.get("id")
            if isinstance(key, str):
                self.steps[key] = dict(payload)
        elif kind in _RUN_EVENTS:
            self.run = payload
        elif kind == "thread.created":
            self.thread = payload

    def take(self, kind: str, payload: Any) -> bool:
        """Fold in the common case, one text piece for a text part of the current message
        that deltas have begun, and say True; else change nothing and say False. (The engine
        checks hot kinds this way; the part's type and index are what A2 holds deltas to.)"""
        try:
            (item,) = payload["delta"]["content"]
            text = item["text"]
            index = item["index"]
            part = self.current["content"][index]  # type: ignore[index]
            pieces = part["text"]["value"]
            if (
                type(pieces) is _Pieces
                and index.__class__ is int
                and index >= 0
                and len(text) == 1
                and len(item) == 3
                and item["type"] == "text" == part["type"]
                and text["value"].__class__ is str
            ):
                pieces.append(text["value"])
                return True
        except (KeyError, TypeError, ValueError, IndexError):
            pass
        return False

    def part(self, keys: tuple[Any, ...]) -> Any:
        """``("messages", id)``, ``("steps", id)`` or ``("streamed", id)`` (the message as
        streamed, before its completed event replaced it): as plain JSON, else None."""
        if len(keys) == 2 and keys[0] == "streamed":
            streamed = self.streamed
            return _plain(streamed[1]) if streamed and streamed[0] == keys[1] else None
        if len(keys) == 2 and keys[0] in ("messages", "steps"):
            table = self.messages if keys[0] == "messages" else self.steps
            found = table.get(keys[1]) if isinstance(keys[1], str) else None
            return None if found is None else _plain(found)
        return None

    def result(self) -> dict[str, Any] | None:
        """The run with its messages and steps (None before any of them)."""
        if self.run is None and not self.messages and not self.steps:
            return None
        out: dict[str, Any] = {}
        if self.thread is not None:
            out["thread"] = self.thread
        out["run"] = _plain(self.run)
        out["messages"] = [_plain(message) for message in self.messages.values()]
        out["steps"] = [_plain(step) for step in self.steps.values()]
        return out
