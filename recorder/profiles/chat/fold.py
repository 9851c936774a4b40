"""The final fold of a Chat Completions stream: ``chat.completion.chunk`` events to the
``chat.completion`` object they amount to.

It follows the openai library (v3.57) rather than a prose description, because its
``client.chat.completions.stream(...).get_final_completion()`` is what users compare against
(``openai/lib/streaming/chat/_completions.py``, ``ChatCompletionStreamState``):

- the first chunk becomes the snapshot: its fields (``obfuscation`` dropped), ``object`` set to
  ``"chat.completion"``, ``system_fingerprint`` defaulting to null, each choice without its
  ``delta`` but with ``message`` = the delta;
- each later choice delta is merged into the message by ``accumulate_delta``
  (``openai/lib/streaming/_deltas.py``): strings concatenate, numbers add, objects merge, lists
  of objects with an ``index`` merge by that index (tool calls: id, type, function name and
  arguments), other lists extend; ``index`` and ``type`` are replaced. Every key of the delta
  takes part, so compatible servers' extras (``reasoning_content``, ``content`` as a list of
  parts) fold the same way. A message merged at least once was dumped by the library with all
  its declared fields, so those keys (and a tool call's ``id``/``type``/``function``) are present,
  null when never sent;
- a choice whose ``index`` is not a position of the snapshot's list is appended (the library
  indexes ``choices`` by position); ``finish_reason`` is kept when truthy; logprobs ``content``
  and ``refusal`` lists are extended;
- ``usage`` and ``system_fingerprint`` are replaced by every chunk after the first (null when a
  chunk lacks them: the spec's usage chunk comes last, with ``choices: []``); ``moderation``
  when present;
- chunks whose ``object`` is not ``chat.completion.chunk`` (Azure's prompt-filter chunk) are
  skipped, as are chunks with an ``error`` key (the library raises ``APIError`` on them); the
  first non-JSON data (``[DONE]``) ends the stream, as the library stops reading there;
- the final message always has ``tool_calls`` (null when empty); ``custom`` tool calls are
  dropped, as ``parse_chat_completion`` does.

The library's own fields (``parsed``, ``parsed_arguments``) are not produced. Where the library
raises (``finish_reason`` ``length``/``content_filter``, a list entry without ``index``...) the
fold still returns its best object; it never raises. Strings are kept as lists of pieces and
joined in :meth:`ChatFold.result`, so folding is linear in the stream's size.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ChatFold"]

#: Fields of the library's ``ParsedChatCompletionMessageSnapshot`` other than ``parsed``: a
#: message it re-dumps (``model_dump`` without ``exclude_unset``) has all of them.
_MESSAGE_FIELDS = (
    "content",
    "refusal",
    "role",
    "annotations",
    "audio",
    "function_call",
    "tool_calls",
)
#: Fields of ``ParsedFunctionToolCall`` and of its ``function`` (without ``parsed_arguments``).
_TOOL_CALL_FIELDS = ("id", "function", "type")
_FUNCTION_FIELDS = ("arguments", "name")


class _Pieces:
    """A string being built from deltas: the pieces, joined once at the end."""

    __slots__ = ("parts",)

    def __init__(self, first: str) -> None:
        self.parts = [first]


def _wrap(value: Any) -> Any:
    """A delta value as accumulator state: strings (in objects) become ``_Pieces``."""
    if isinstance(value, str):
        return _Pieces(value)
    if isinstance(value, dict):
        return {key: _wrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wrap(item) if isinstance(item, dict) else item for item in value]
    return value


def _unwrap(value: Any) -> Any:
    """Accumulator state as plain JSON."""
    if isinstance(value, _Pieces):
        return "".join(value.parts)
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    return value


def _has_indexed_entries(value: Any) -> bool:
    return isinstance(value, list) and any(
        isinstance(entry, dict) and "index" in entry for entry in value
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)


def _accumulate(acc: dict[str, Any], delta: dict[str, Any]) -> None:
    """Merge ``delta`` into ``acc`` as the library's ``accumulate_delta`` does; entries the
    library would raise on are skipped."""
    for key, delta_value in delta.items():
        if key not in acc or acc[key] is None:
            if _has_indexed_entries(delta_value):
                acc[key] = []
            else:
                acc[key] = _wrap(delta_value)
                continue
        acc_value = acc[key]
        if key in ("index", "type"):
            acc[key] = _wrap(delta_value)
        elif isinstance(acc_value, _Pieces) and isinstance(delta_value, str):
            acc_value.parts.append(delta_value)
        elif _is_number(acc_value) and _is_number(delta_value):
            acc[key] = acc_value + delta_value
        elif isinstance(acc_value, dict) and isinstance(delta_value, dict):
            _accumulate(acc_value, delta_value)
        elif isinstance(acc_value, list) and isinstance(delta_value, list):
            _accumulate_list(acc_value, delta_value)


def _accumulate_list(acc: list[Any], delta: list[Any]) -> None:
    if all(isinstance(item, str | int | float) for item in acc) and (
        acc or not _has_indexed_entries(delta)
    ):
        acc.extend(_wrap(item) if isinstance(item, dict) else item for item in delta)
        return
    for entry in delta:
        if not isinstance(entry, dict) or not isinstance(entry.get("index"), int):
            continue  # the library raises TypeError / RuntimeError here
        index: int = entry["index"]
        if -len(acc) <= index < len(acc):
            if isinstance(acc[index], dict):
                _accumulate(acc[index], entry)
        else:
            acc.insert(index, _wrap(entry))


def _fill_declared(message: dict[str, Any]) -> None:
    """Add the keys a library re-dump of the message would show (null when never sent)."""
    for name in _MESSAGE_FIELDS:
        message.setdefault(name, None)
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            if isinstance(call, dict):
                for name in _TOOL_CALL_FIELDS:
                    call.setdefault(name, None)
                if isinstance(call.get("function"), dict):
                    for name in _FUNCTION_FIELDS:
                        call["function"].setdefault(name, None)


class _Choice:
    """One choice of the snapshot: its own fields and the merged message."""

    __slots__ = ("fields", "message", "settled")

    def __init__(self, choice: dict[str, Any]) -> None:
        #: True when a dump-and-merge of a content-only delta would only append its text:
        #: the last merge filled every declared field and added nothing but content.
        self.settled = False
        self.fields = {key: value for key, value in choice.items() if key != "delta"}
        logprobs = self.fields.get("logprobs")
        if isinstance(logprobs, dict):  # extended later: never the caller's lists
            self.fields["logprobs"] = {key: _copy_list(item) for key, item in logprobs.items()}
        delta = choice.get("delta")
        self.message: dict[str, Any] = {}
        if isinstance(delta, dict):
            _accumulate(self.message, delta)

    def merge(self, delta: dict[str, Any]) -> None:
        if self.settled and len(delta) == 1:  # the bulk of a stream: {"content": "..."}
            piece = delta.get("content")
            content = self.message.get("content")
            if type(piece) is str and type(content) is _Pieces:
                content.parts.append(piece)
                return
        _fill_declared(self.message)  # the library dumps the message, then merges
        _accumulate(self.message, delta)
        self.settled = len(delta) == 1 and "content" in delta

    def update(self, choice: dict[str, Any]) -> None:
        """What the library does after the delta: finish reason and logprobs."""
        if choice.get("finish_reason"):
            self.fields["finish_reason"] = choice["finish_reason"]
        logprobs = choice.get("logprobs")
        if not isinstance(logprobs, dict):
            return
        mine = self.fields.get("logprobs")
        if not isinstance(mine, dict):
            self.fields["logprobs"] = {
                "content": _copy_list(logprobs.get("content")),
                "refusal": _copy_list(logprobs.get("refusal")),
            }
            return
        for name in ("content", "refusal"):
            more = logprobs.get(name)
            if more and isinstance(more, list):
                if not isinstance(mine.get(name), list):
                    mine[name] = []
                mine[name].extend(more)

    def result(self) -> dict[str, Any]:
        message: dict[str, Any] = _unwrap(self.message)
        calls = message.get("tool_calls")
        kept = (
            [
                call
                for call in calls
                if not (isinstance(call, dict) and call.get("type") == "custom")
            ]
            if isinstance(calls, list)
            else []
        )
        message["tool_calls"] = kept or None
        fields = dict(self.fields)
        if isinstance(fields.get("logprobs"), dict):
            fields["logprobs"] = {
                key: _copy_list(value) for key, value in fields["logprobs"].items()
            }
        return {**fields, "message": message}


def _copy_list(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


class ChatFold:
    """Fold ``chat.completion.chunk`` payloads into the ``chat.completion`` they amount to.

    ``feed(kind, payload)`` takes each event (``payload`` is the parsed JSON data, None when
    the data is not JSON); ``result()`` is the completion as plain JSON, None before the first
    chunk. See the module docstring for the library behaviour it follows.
    """

    __slots__ = ("_choices", "_ended", "_top")

    def __init__(self) -> None:
        self._top: dict[str, Any] | None = None
        self._choices: list[_Choice] = []
        self._ended = False

    def feed(self, kind: str, payload: Any) -> None:
        """Fold one event (``kind`` is unused: chunks are told apart by ``object``)."""
        if self._ended:
            return
        if payload is None:
            self._ended = True  # [DONE]: the library stops reading here
            return
        if not isinstance(payload, dict) or payload.get("error"):
            return
        if payload.get("object") != "chat.completion.chunk":
            return
        choices = payload.get("choices")
        if not isinstance(choices, list):
            return  # the library cannot read a chunk without choices
        if self._top is None:
            self._start(payload, choices)
            return
        for choice in choices:
            if not isinstance(choice, dict) or not isinstance(choice.get("index"), int):
                continue
            index: int = choice["index"]
            delta = choice.get("delta")
            if -len(self._choices) <= index < len(self._choices):
                state = self._choices[index]
                if isinstance(delta, dict):
                    state.merge(delta)
            else:
                state = _Choice(choice)
                self._choices.append(state)
            state.update(choice)
        self._top["usage"] = payload.get("usage")
        self._top["system_fingerprint"] = payload.get("system_fingerprint")
        if payload.get("moderation") is not None:
            self._top["moderation"] = payload["moderation"]

    def _start(self, payload: dict[str, Any], choices: list[Any]) -> None:
        top = {key: value for key, value in payload.items() if key != "obfuscation"}
        self._top = {"system_fingerprint": None, **top, "object": "chat.completion"}
        self._choices = [_Choice(choice if isinstance(choice, dict) else {}) for choice in choices]
        for choice in choices:
            index = choice.get("index") if isinstance(choice, dict) else None
            if isinstance(index, int) and -len(choices) <= index < len(choices):
                self._choices[index] = _Choice(choice)

    def result(self) -> dict[str, Any] | None:
        """The ``chat.completion`` so far as plain JSON, None when no chunk was seen."""
        if self._top is None:
            return None
        top = dict(self._top)
        top["choices"] = [choice.result() for choice in self._choices]
        return top
