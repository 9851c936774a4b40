"""The Chat Completions rules data cannot say: the per-choice protocol of the chunks.

One pass over each chunk's ``choices`` keeps, per choice ``index``, what the stream has said
so far (role seen, finish reason, tool calls by their ``index``), so ``n > 1`` choices may
interleave freely. The state lives in the stream's rule memory (``StreamView.memory``); the
engine's data checks (sentinel, identity, in-band errors, schema) run before these.

Sources (CONTRACTS-LIVE.md, Chat): the spec's ``CreateChatCompletionStreamResponse`` and its
``stream_options.include_usage`` text; the openai library's ``ChatCompletionStreamState``
(``openai/lib/streaming/chat/_completions.py``), which builds tool calls by ``index`` from a
first delta carrying ``id``, ``type`` and ``function.name``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from recorder.validate.context import EventView, StreamView, Violation, at_end, rule

__all__ = ["chunk_protocol", "stream_end"]

CHUNK = "chat.completion.chunk"
_MEMORY = __name__


class _Call:
    """One streamed tool call (or the legacy ``function_call``) of one choice."""

    __slots__ = ("arguments", "at", "name")

    def __init__(self, at: int, name: Any) -> None:
        self.at = at
        self.name = name
        self.arguments: list[str] = []


class _Choice:
    """What one choice ``index`` has said so far."""

    __slots__ = ("finish", "finish_at", "function", "tools")

    def __init__(self) -> None:
        self.finish: str | None = None
        self.finish_at = -1
        self.tools: dict[Any, _Call] = {}
        self.function: _Call | None = None


class _Stream:
    __slots__ = ("choices", "include_usage", "usage_at")

    def __init__(self) -> None:
        self.choices: dict[int, _Choice] = {}
        self.usage_at: int | None = None
        self.include_usage: bool | None = None  # read from the request on first need

    def asked_usage(self, stream: StreamView) -> bool:
        if self.include_usage is None:
            self.include_usage = _include_usage(stream)
        return self.include_usage


def _include_usage(stream: StreamView) -> bool:
    """True when the recorded request asked for ``stream_options.include_usage``."""
    request = stream.request
    if request is None or not request.body:
        return False
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    options = body.get("stream_options") if isinstance(body, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True


def _is_azure_preamble(payload: dict[str, Any]) -> bool:
    """Azure OpenAI's first chunk: object, id and model "", created 0, no choices, and
    ``prompt_filter_results`` (the schema reports it as a SCHEMA-REAL warning)."""
    return payload.get("object") == "" and not payload.get("choices")


@rule("CH4", kinds=[CHUNK])
def chunk_protocol(event: EventView, stream: StreamView) -> Iterator[Violation]:
    """CH4 (object), CH5-CH11 (per choice), CH12 (the usage chunk), in one pass."""
    payload = event.payload
    state: _Stream = stream.memory(_MEMORY, _Stream)
    index = event.index
    if payload.get("object") != CHUNK and not _is_azure_preamble(payload):
        yield Violation(
            f"object is {payload.get('object')!r}, not {CHUNK!r}", "$.object", rule="CH4"
        )
    choices = payload.get("choices")
    # "All other chunks will also include a usage field, but with a null value" (spec) is not
    # checked: OpenAI's own 2024 streams with include_usage leave the field out.
    usage = payload.get("usage")
    if state.usage_at is not None:
        # OpenAI's own gpt-audio (audio.expires_at) and moderation streams send one more
        # chunk without text after the usage chunk: a warning; text or a finish is an error.
        texty = _carries_text(choices)
        yield Violation(
            f"a chunk {'with text ' if texty else ''}after the usage chunk (event "
            f"{state.usage_at}): the usage chunk comes last before [DONE]",
            rule="CH12",
            severity=None if texty else "warning",
        )
    elif usage is not None:
        if choices:
            yield Violation(
                "usage on a chunk that has choices: the usage chunk's choices are always empty",
                "$.usage",
                rule="CH12",
            )
        state.usage_at = index
    if type(choices) is not list:
        return
    # The hot path (a content delta of an open choice) is a few dict reads: paths and
    # messages are built only when something is wrong.
    for position, choice in enumerate(choices):
        if type(choice) is not dict:
            continue
        number = choice.get("index")
        if type(number) is not int:
            continue  # the schema reports it
        delta = choice.get("delta")
        if type(delta) is not dict:
            delta = {}
        finish = choice.get("finish_reason")
        known = state.choices.get(number)
        if known is None:
            known = state.choices[number] = _Choice()
            if not delta.get("role"):
                yield Violation(
                    f"the first delta of choice {number} has no role",
                    f"$.choices[{position}].delta.role",
                    rule="CH5",
                )
        elif known.finish is not None:
            if finish is not None:
                yield Violation(
                    f"choice {number} gets finish_reason {finish!r} again (it was "
                    f"{known.finish!r} at event {known.finish_at}): it is set once",
                    f"$.choices[{position}].finish_reason",
                    rule="CH9",
                )
            elif _has_text(delta):
                yield Violation(
                    f"a delta for choice {number} after its finish_reason {known.finish!r} "
                    f"(event {known.finish_at}): nothing follows it",
                    f"$.choices[{position}].delta",
                    rule="CH10",
                )
            continue
        if delta:
            content = delta.get("content")
            refusal = delta.get("refusal")
            if (content is not None and type(content) is not str) or (
                refusal is not None and type(refusal) is not str
            ):
                yield from _text(delta, f"$.choices[{position}]")
            calls = delta.get("tool_calls")
            if calls:
                yield from _tool_calls(known, calls, index, f"$.choices[{position}]")
            function = delta.get("function_call")
            if function:
                yield from _function_call(known, function, index, f"$.choices[{position}]")
        if finish is not None:
            known.finish = finish
            known.finish_at = index
            yield from _finished(known, number, finish, f"$.choices[{position}]")


#: Delta fields that carry what the message accumulates (``role`` is repeated harmlessly by
#: some servers; ``reasoning``/``reasoning_content`` are compatible servers' extras).
_TEXT_FIELDS = (
    "content",
    "refusal",
    "tool_calls",
    "function_call",
    "reasoning",
    "reasoning_content",
)


def _has_text(delta: dict[str, Any]) -> bool:
    return any(delta.get(name) not in (None, "", [], {}) for name in _TEXT_FIELDS)


def _carries_text(choices: Any) -> bool:
    if not isinstance(choices, list):
        return False
    for choice in choices:
        if isinstance(choice, dict):
            delta = choice.get("delta")
            if choice.get("finish_reason") is not None or (
                isinstance(delta, dict) and _has_text(delta)
            ):
                return True
    return False


def _text(delta: dict[str, Any], where: str) -> Iterator[Violation]:
    for name in ("content", "refusal"):
        value = delta.get(name)
        if value is not None and type(value) is not str:
            shape = "a list of parts" if isinstance(value, list) else type(value).__name__
            yield Violation(
                f"delta {name} is {shape}, not text: the message's {name} cannot accumulate it",
                f"{where}.delta.{name}",
                rule="CH6",
            )


def _tool_calls(choice: _Choice, calls: list[Any], index: int, where: str) -> Iterator[Violation]:
    for position, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        number = call.get("index")
        if type(number) is not int:
            continue  # the schema reports it
        path = f"{where}.delta.tool_calls[{position}]"
        function = call.get("function")
        if not isinstance(function, dict):
            function = {}
        arguments = function.get("arguments")
        known = choice.tools.get(number)
        if known is None:
            missing = [
                name
                for name, value in (
                    ("id", call.get("id")),
                    ("type", call.get("type")),
                    ("function.name", function.get("name")),
                )
                if not value
            ]
            if missing:
                yield Violation(
                    f"the first delta of tool call {number} has no {', '.join(missing)}",
                    path,
                    rule="CH7",
                )
            known = choice.tools[number] = _Call(index, function.get("name"))
        else:
            repeated = [
                name
                for name, value in (("id", call.get("id")), ("function.name", function.get("name")))
                if value
            ]
            if repeated:
                yield Violation(
                    f"tool call {number} (begun at event {known.at}) gets {', '.join(repeated)} "
                    "again: later deltas carry only argument text",
                    path,
                    rule="CH7",
                )
        if type(arguments) is str:
            known.arguments.append(arguments)


def _function_call(choice: _Choice, function: Any, index: int, where: str) -> Iterator[Violation]:
    """The deprecated ``function_call`` delta: a name first, then argument text."""
    if type(function) is not dict:
        return  # the schema reports it
    known = choice.function
    if known is None:
        if not function.get("name"):
            yield Violation(
                "the first function_call delta has no name",
                f"{where}.delta.function_call",
                rule="CH7",
            )
        known = choice.function = _Call(index, function.get("name"))
    elif function.get("name"):
        yield Violation(
            f"function_call (begun at event {known.at}) gets a name again: later deltas "
            "carry only argument text",
            f"{where}.delta.function_call.name",
            rule="CH7",
        )
    arguments = function.get("arguments")
    if type(arguments) is str:
        known.arguments.append(arguments)


def _finished(choice: _Choice, number: int, finish: Any, where: str) -> Iterator[Violation]:
    if finish == "tool_calls" and not choice.tools:
        yield Violation(
            f"choice {number} finishes with tool_calls, but no tool call was streamed",
            where + ".finish_reason",
            rule="CH11",
        )
    elif finish == "function_call" and choice.function is None:
        yield Violation(
            f"choice {number} finishes with function_call, but no function call was streamed",
            where + ".finish_reason",
            rule="CH11",
        )
    calls = list(choice.tools.items())
    if choice.function is not None:
        calls.append(("function_call", choice.function))
    for key, call in calls:
        text = "".join(call.arguments)
        try:
            json.loads(text)
        except (ValueError, RecursionError) as error:
            which = "function_call" if key == "function_call" else f"tool call {key}"
            yield Violation(
                f"the arguments of {which} ({call.name!r}) are not JSON ({error}): {text[:60]!r}",
                where,
                rule="CH8",
            )


@at_end("CH9")
def stream_end(stream: StreamView) -> Iterator[Violation]:
    """At a clean end ([DONE], no error): every choice finished; the usage chunk came."""
    if stream.sentinel is None or stream.count("error"):
        return  # cut short or failed: CH2 / CH13 say so
    state: _Stream = stream.memory(_MEMORY, _Stream)
    for number, choice in sorted(state.choices.items()):
        if choice.finish is None:
            # A warning: OpenAI's gpt-audio streams leave finish_reason out (SCHEMA-REAL
            # choice-finish-reason-missing), so a missing one is not always a cut stream.
            yield Violation(
                f"choice {number} never got a finish_reason", rule="CH9", severity="warning"
            )
    if state.usage_at is None and state.asked_usage(stream):
        yield Violation(
            "the request asked for include_usage, but no usage chunk came before [DONE]",
            rule="CH12",
        )
