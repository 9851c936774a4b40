"""One lifecycle mechanism for every streamed object: created -> progress/deltas -> terminal.

A profile describes its objects as data (:class:`LifecycleSpec`: which event opens one, which
events may follow while it is open, which end it, and which rule ids a violation carries) and
how objects nest (:class:`Enclosure`: a run step encloses the message it creates). A
:class:`LifecycleTracker` then checks any event sequence against those specs, keyed by object
id, keeping only a small entry per object (not per event).

The mission's own example, as data::

    LifecycleSpec("message", created="thread.message.created",
                  progress={"thread.message.in_progress"}, deltas={"thread.message.delta"},
                  terminal={"thread.message.completed", "thread.message.incomplete"},
                  order_rule="M1", once_rule="M2", interleave_rule="M2")

makes every ``thread.message.delta`` fall between the same message's created and terminal
events, or yields an ``M1`` violation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["Enclosure", "LifecycleSpec", "LifecycleTracker", "Violation"]


@dataclass(frozen=True, slots=True)
class LifecycleSpec:
    """How one kind of object lives in a stream (all event names are exact)."""

    name: str
    created: str
    progress: frozenset[str] = frozenset()
    deltas: frozenset[str] = frozenset()
    terminal: frozenset[str] = frozenset()
    #: Rule id for an event before the object's ``created`` or after its terminal event.
    order_rule: str = "LIFECYCLE"
    #: Rule id for a second ``created`` or a second terminal event.
    once_rule: str = "LIFECYCLE"
    #: Not None: objects of this kind must not interleave (one open at a time); the rule id.
    interleave_rule: str | None = None


@dataclass(frozen=True, slots=True)
class Enclosure:
    """``outer`` encloses ``inner``: outer.created <= inner.created < inner.end <= outer.end.

    ``link`` is the path, inside the outer object's ``created`` payload, of the inner's key
    (e.g. ``("step_details", "message_creation", "message_id")``).
    """

    outer: str
    inner: str
    link: tuple[str, ...]
    rule: str


class Violation(NamedTuple):
    """A lifecycle rule broken by the event just observed."""

    rule: str
    message: str


@dataclass(slots=True)
class _Entry:
    created_at: int  # event index of created (-1: opened in an earlier stream)
    ended_at: int | None = None
    end_event: str | None = None
    linked: str | None = None  # the inner key this object encloses, if any
    created: bool = True  # False: only its terminal event was seen (out of order)


@dataclass(slots=True)
class _Kind:
    spec: LifecycleSpec
    entries: dict[str, _Entry] = field(default_factory=dict)
    open: dict[str, _Entry] = field(default_factory=dict)
    encloses: list[tuple[Enclosure, str]] = field(default_factory=list)  # (enclosure, inner kind)
    enclosed_by: list[tuple[Enclosure, str]] = field(default_factory=list)
    #: inner key -> outer key, for enclosures where this kind is the inner one
    outer_of: dict[str, str] = field(default_factory=dict)


_CREATED, _PROGRESS, _DELTA, _TERMINAL = range(4)
_NONE: tuple[Violation, ...] = ()


def _dig(payload: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(payload, Mapping):
            return None
        payload = payload.get(part)
    return payload


class LifecycleTracker:
    """Checks events against lifecycle specs; one tracker per stream (or sequence of streams)."""

    __slots__ = ("_kinds", "_roles")

    def __init__(self, specs: Iterable[LifecycleSpec], enclosures: Iterable[Enclosure] = ()):
        self._kinds: dict[str, _Kind] = {}
        self._roles: dict[str, tuple[_Kind, int]] = {}
        for spec in specs:
            kind = self._kinds[spec.name] = _Kind(spec)
            self._roles[spec.created] = (kind, _CREATED)
            for name in spec.progress:
                self._roles[name] = (kind, _PROGRESS)
            for name in spec.deltas:
                self._roles[name] = (kind, _DELTA)
            for name in spec.terminal:
                self._roles[name] = (kind, _TERMINAL)
        for enclosure in enclosures:
            self._kinds[enclosure.outer].encloses.append((enclosure, enclosure.inner))
            self._kinds[enclosure.inner].enclosed_by.append((enclosure, enclosure.outer))

    def handles(self, event: str) -> bool:
        """True when ``event`` belongs to some lifecycle."""
        return event in self._roles

    def adopt(self, kind: str, key: str) -> None:
        """Mark ``key`` as opened by an earlier stream (a continuation picks it up)."""
        entry = _Entry(created_at=-1)
        self._kinds[kind].entries[key] = entry
        self._kinds[kind].open[key] = entry

    def is_open(self, kind: str, key: str) -> bool:
        """True when ``key`` was created and has not ended."""
        return key in self._kinds[kind].open

    def open_keys(self, kind: str) -> list[str]:
        """Keys of the objects of ``kind`` still open, oldest first."""
        return list(self._kinds[kind].open)

    def created_index(self, kind: str, key: str) -> int | None:
        """Event index of ``key``'s created event (-1 when adopted), or None."""
        entry = self._kinds[kind].entries.get(key)
        return entry.created_at if entry is not None else None

    def observe(
        self, event: str, key: str | None, index: int, payload: Any = None
    ) -> tuple[Violation, ...] | list[Violation]:
        """Check one event for object ``key`` at event ``index``; return what it breaks.

        ``payload`` is only read for ``created`` events of objects that enclose others.
        Events no lifecycle knows, and events without a key, pass.
        """
        role = self._roles.get(event)
        if role is None or key is None:
            return _NONE
        kind, what = role
        entry = kind.entries.get(key)
        if what in (_DELTA, _PROGRESS):
            if entry is not None and entry.ended_at is None:
                return _NONE  # the hot path: a delta of an open object
            return [self._out_of_order(kind.spec, event, key, entry)]
        if what == _CREATED:
            return self._created(kind, event, key, index, entry, payload)
        return self._terminal(kind, event, key, index, entry)

    def _out_of_order(
        self, spec: LifecycleSpec, event: str, key: str, entry: _Entry | None
    ) -> Violation:
        if entry is None:
            return Violation(
                spec.order_rule, f"{event} for {spec.name} {key}, which was never created"
            )
        return Violation(
            spec.order_rule,
            f"{event} for {spec.name} {key} after it ended ({entry.end_event} at event "
            f"{entry.ended_at})",
        )

    def _created(
        self, kind: _Kind, event: str, key: str, index: int, entry: _Entry | None, payload: Any
    ) -> list[Violation]:
        spec = kind.spec
        found: list[Violation] = []
        if entry is not None and not entry.created:
            return [self._out_of_order(spec, event, key, entry)]
        if entry is not None:
            where = "an earlier stream" if entry.created_at < 0 else f"event {entry.created_at}"
            found.append(
                Violation(spec.once_rule, f"{spec.name} {key} created twice (first in {where})")
            )
            return found
        if spec.interleave_rule is not None and kind.open:
            other, other_entry = next(iter(kind.open.items()))
            found.append(
                Violation(
                    spec.interleave_rule,
                    f"{spec.name} {key} starts while {spec.name} {other} (created at event "
                    f"{other_entry.created_at}) has not ended: {spec.name}s must not interleave",
                )
            )
        entry = kind.entries[key] = kind.open[key] = _Entry(created_at=index)
        for enclosure, inner_name in kind.encloses:
            inner_key = _dig(payload, enclosure.link)
            if not isinstance(inner_key, str):
                continue
            entry.linked = inner_key
            inner = self._kinds[inner_name]
            inner.outer_of[inner_key] = key
            if inner_key in inner.entries:
                found.append(
                    Violation(
                        enclosure.rule,
                        f"{inner.spec.name} {inner_key} was created before the {spec.name} "
                        f"{key} that encloses it",
                    )
                )
        for enclosure, outer_name in kind.enclosed_by:
            outer = self._kinds[outer_name]
            outer_key = kind.outer_of.get(key)
            if outer_key is not None and outer_key not in outer.open:
                found.append(
                    Violation(
                        enclosure.rule,
                        f"{spec.name} {key} was created after the {outer.spec.name} {outer_key} "
                        "that encloses it ended",
                    )
                )
        return found

    def _terminal(
        self, kind: _Kind, event: str, key: str, index: int, entry: _Entry | None
    ) -> list[Violation]:
        spec = kind.spec
        if entry is None:
            kind.entries[key] = _Entry(index, index, event, created=False)
            return [self._out_of_order(spec, event, key, None)]
        if entry.ended_at is not None:
            return [
                Violation(
                    spec.once_rule,
                    f"{spec.name} {key} ends twice ({entry.end_event} at event {entry.ended_at}, "
                    f"then {event})",
                )
            ]
        entry.ended_at = index
        entry.end_event = event
        del kind.open[key]
        found: list[Violation] = []
        if entry.linked is not None:
            for enclosure, inner_name in kind.encloses:
                inner = self._kinds[inner_name]
                if entry.linked in inner.open:
                    found.append(
                        Violation(
                            enclosure.rule,
                            f"{spec.name} {key} ended before the {inner.spec.name} "
                            f"{entry.linked} it encloses",
                        )
                    )
        return found
