"""The Assistants checker: per-stream state, and the routing of each event to its rules.

The rules themselves are small functions in ``_assistants_rules`` and
``_assistants_accumulation``; the contract's data (rules, lifecycles, endpoints) is in
``recorder.profiles.assistants``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from recorder.profiles import StreamSetup
from recorder.profiles._assistants_accumulation import MessageParts
from recorder.profiles._schema_gate import SchemaGate, excerpt_of
from recorder.profiles.assistants import (
    ENCLOSURES,
    FAMILIES,
    INFERRED,
    KNOWN,
    LIFECYCLES,
    MESSAGE,
    RULES,
    RUN,
    STEP,
    SUBMIT,
    Carry,
    StepState,
)
from recorder.validate.findings import Finding, Severity
from recorder.validate.lifecycle import LifecycleTracker
from recorder.wire.payload import MAX_DEPTH, too_deep
from recorder.wire.sse import ServerSentEvent

__all__ = ["AssistantsChecker"]

E = Severity.ERROR

_raw_decode = json.JSONDecoder().raw_decode

#: Stands for a payload too deep for the JSON decoder itself.
_TOO_DEEP = object()


def _decisive(payload: Any) -> bool:
    """Run and message payloads tell v1 from v2 (``file_ids``, ``retrieval`` tools)."""
    return isinstance(payload, dict) and payload.get("object") in ("thread.run", "thread.message")


def _decode_slowly(data: str) -> tuple[Any, str | None]:
    """The payload of ``data`` that is not one bare JSON value, and what F1 says about it."""
    try:
        return json.loads(data), None  # leading/trailing whitespace is still JSON
    except RecursionError:  # the decoder's own depth limit: the caller reports the depth
        return _TOO_DEEP, None
    except ValueError as error:
        payload = _recover(data)
        recovered = "; the rules check the JSON value before it" if payload else ""
        return payload, f"is not JSON ({error}){recovered}"


def _recover(data: str) -> Any:
    """The JSON value at the start of ``data`` when only junk follows it (the official
    examples' extra ``}``), so the other rules still see the payload; else None."""
    try:
        value, _ = _raw_decode(data.strip())
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


class AssistantsChecker:
    """Per-stream state and the routing of events to rules (``StreamChecker``)."""

    def __init__(self, setup: StreamSetup) -> None:
        self.setup = setup
        self.interaction = setup.interaction
        self.shape = setup.shape
        self.facts = setup.facts
        self.previous = setup.previous if isinstance(setup.previous, Carry) else None
        self.tracker = LifecycleTracker(LIFECYCLES, ENCLOSURES)
        self.steps: dict[Any, StepState] = {}
        self.messages: dict[Any, MessageParts] = {}
        self.schema: SchemaGate | None = (
            SchemaGate(
                "assistants",
                setup,
                KNOWN,
                version_header="openai-beta",
                decisive=_decisive,
                sources={rule.id: rule.source for rule in RULES.values()},
            )
            if setup.schemas
            else None
        )
        self.thread_id: Any = self.facts.get("thread_id")
        self.run: dict[str, Any] | None = None  # identity of the run: id, thread_id, ...
        self.run_status: str | None = None
        self.times: dict[str, Any] = {}
        self.final: tuple[int, str] | None = None
        self.done: ServerSentEvent | None = None
        self.done_index = -1
        self.error_index: int | None = None
        self.after_done = 0
        self.opening_reported = False
        self.carry_out: Carry | None = None
        # the event being checked
        self.index = -1
        self.ev: ServerSentEvent = ServerSentEvent("", "")
        self.name = ""
        self.suffix = ""
        self.payload: Any = None
        if self.previous is not None and self.shape == SUBMIT:
            self._resume(self.previous)

    def _resume(self, carry: Carry) -> None:
        self.run = {
            "id": carry.run_id,
            "thread_id": carry.thread_id,
            "assistant_id": carry.assistant_id,
            "created_at": carry.created_at,
        }
        self.run_status = "requires_action"
        self.times = dict(carry.times)
        if isinstance(carry.run_id, str):
            self.tracker.adopt(RUN, carry.run_id)
        if carry.open_step is not None:
            self.tracker.adopt(STEP, carry.open_step)

    # ------------------------------------------------------------------ helpers for rules

    def found(
        self,
        rule: str,
        message: str,
        json_path: str | None = None,
        *,
        severity: Severity | None = None,
        source: str | None = None,
        excerpt: str | None = None,
    ) -> Finding:
        """A finding about the event being checked."""
        info = RULES[rule]
        ev = self.ev
        return Finding(
            rule,
            severity or info.severity,
            message,
            self.interaction,
            self.index,
            ev.offset,
            ev.line,
            json_path,
            excerpt if excerpt is not None else excerpt_of(ev.data),
            source or info.source,
        )

    def get(self, key: str) -> Any:
        """``payload[key]`` when the payload is an object, else None."""
        payload = self.payload
        return payload.get(key) if isinstance(payload, dict) else None

    # ------------------------------------------------------------------ StreamChecker

    def event(self, index: int, ev: ServerSentEvent) -> list[Finding]:
        """Findings about one event (a list: this is the per-event hot path)."""
        self.index, self.ev, name = index, ev, ev.event
        self.name = name
        if self.done is not None or name == "done" or self.error_index is not None:
            return list(self._framing(name, ev))
        found: list[Finding] = []
        if self.final is not None and self.final[0] < index:
            found.append(
                self.found(
                    "R4",
                    f"{name} after the final run event (thread.run.{self.final[1]} "
                    f"at event {self.final[0]}): only done should follow",
                )
            )
        if not self.opening_reported:
            if index == 0 and self.shape is None:
                self.shape = INFERRED.get(name)
            if self.shape is not None:
                found.extend(rule_s_opening(self))
        route = ROUTE_BY_NAME.get(name)
        if route is None:
            if name == "message":
                found.append(self.found("F1", "an event without an event name (no 'event:' line)"))
            else:
                found.append(
                    self.found("F3", f"unknown event {name!r} (skipped, as clients should)")
                )
            return found
        self.suffix, rules = route
        data = ev.data
        try:
            payload, end = _raw_decode(data)
            if end != len(data):
                raise ValueError("trailing data")
        except (ValueError, RecursionError):
            payload, problem = _decode_slowly(data)
            if problem is not None:
                found.append(self.found("F1", f"{name} data {problem}"))
        # Each level needs a bracket, so counting them spares nearly every payload the walk.
        if payload is _TOO_DEEP or (
            data.count("{") + data.count("[") > MAX_DEPTH and too_deep(payload)
        ):
            payload = None
            found.append(
                self.found(
                    "F1", f"{name} data nests deeper than {MAX_DEPTH} levels: its rules are skipped"
                )
            )
        self.payload = payload
        gate = self.schema
        if payload is not None and gate is not None:
            if gate.schemas is None:
                found.extend(gate.check(index, ev, payload))
            elif name in gate.known:
                issues = gate.schemas.check(name, payload, strict=gate.strict)
                if issues:  # the common case, valid, costs one Rust call
                    found.extend(gate.findings(index, ev, issues))
        if name == "thread.message.delta" and self._text_delta(payload):
            return found
        for rule in rules:
            found.extend(rule(self))
        return found

    def _text_delta(self, payload: Any) -> bool:
        """The valid common case of a text delta, checked and accumulated inline.

        True only when F4, M1 and A2 hold and the text was appended; otherwise the rule
        functions run and say what is wrong.
        """
        try:
            if payload["object"] != "thread.message.delta":
                return False
            key = payload["id"]
            if not self.tracker.is_open(MESSAGE, key):
                return False
            (item,) = payload["delta"]["content"]
            index, text = item["index"], item["text"]
            part = self.messages[key].parts[index]
            value = text["value"]
            if (
                index >= 0
                and len(text) == 1
                and item["type"] == part["type"] == "text"
                and type(value) is str
            ):
                part["text"]["value"].append(value)
                return True
        except (KeyError, TypeError, IndexError, AttributeError, ValueError):
            pass
        return False

    def _framing(self, name: str, ev: ServerSentEvent) -> Iterator[Finding]:
        """F1/F2/E2: done, what follows done, what follows an error event."""
        if self.done is not None:
            self.after_done += 1
            if self.after_done == 1:
                yield self.found("F2", f"{name} after done: nothing may follow done")
        elif name == "done":
            self.done, self.done_index = ev, self.index
            if ev.data != "[DONE]":
                yield self.found("F1", f"done carries {excerpt_of(ev.data, 40)!r}, not [DONE]")
        else:
            yield self.found(
                "E2",
                f"{name} after the error event at event {self.error_index}: "
                "only done may follow an error",
            )

    def finish(self, *, end_offset: int, cut: str | None) -> Iterator[Finding]:
        """Completeness findings once the body has ended."""
        if self.schema is not None:
            yield from self.schema.flush()
        if self.done is None:
            self.index, self.ev = -1, ServerSentEvent("", "", offset=end_offset)
            message = "the stream ends without done"
            yield Finding(
                "F2",
                E,
                message + (f" ({cut})" if cut else ""),
                self.interaction,
                None,
                end_offset,
                None,
                None,
                None,
                "SPEC",
            )
            return
        self.index, self.ev = self.done_index, self.done
        if self.after_done > 1:
            yield self.found("F2", f"{self.after_done} events follow done")
        if cut is not None and "unfinished" in cut:
            yield self.found("F2", f"the body goes on after done: {cut}")
        if self.error_index is not None:
            return  # E2: a stream cut by an error event is not held to completeness
        self.index, self.ev, self.payload = self.done_index, self.done, None
        if self.final is None:
            yield self.found(
                "R3",
                "the stream reaches done without a final run event "
                "(requires_action, completed, incomplete, failed, cancelled, expired)",
            )
            if not self.opening_reported and self.shape is not None:
                yield from rule_s_opening(self)

    def carry(self) -> object | None:
        """The run left at requires_action, for the next stream of the cassette."""
        return self.carry_out


RuleFunction = Callable[[AssistantsChecker], Iterator[Finding]]


def _route(name: str) -> tuple[str, tuple[RuleFunction, ...]]:
    for family, _, prefix in FAMILIES:
        if name.startswith(prefix):
            suffix = name[len(prefix) :]
            return suffix, ROUTES[family, suffix]
    return "", ROUTES.get((name, ""), ())


from recorder.profiles import _assistants_rules as _rules  # noqa: E402  (rules need the types)

rule_s_opening = _rules.rule_s_opening
ROUTES: dict[tuple[str, str], tuple[RuleFunction, ...]] = _rules.ROUTES
#: Every known event name -> (suffix, the rules that see it); "done" is framing, not routed.
ROUTE_BY_NAME = {name: _route(name) for name in KNOWN - {"done"}}
