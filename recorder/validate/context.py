"""What a profile's rule function sees, and what it yields: the only module rules import.

A rule is a small function over a read-only view of one event and of the stream so far; it
*yields* :class:`Violation` values (a message and a JSON path) and the engine
(:mod:`recorder.validate.engine`) stamps each with the rule id, severity, interaction, event
index, byte offset and line, as jsonschema's ``iter_errors`` stamps the errors its keyword
functions yield::

    @rule("R7", kinds=["response.completed"])
    def output_is_the_items_done(event: EventView, stream: StreamView) -> Iterator[Violation]:
        if len(event.get("response.output") or []) != stream.count("response.output_item.done"):
            yield Violation("the final output differs from the items done", "$.response.output")

Rules never change the stream's state: the engine updates it (entities, folds, counters,
identity) in a fixed order before the profile's rules of that event run, so every rule of an
event sees the same state, including that event. ``@at_end`` rules run once the body has ended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from recorder.cassette import RecordedRequest
    from recorder.wire.sse import ServerSentEvent

__all__ = [
    "Carried",
    "EndRule",
    "EventRule",
    "EventView",
    "StreamView",
    "Violation",
    "at_end",
    "get_path",
    "parse_path",
    "rule",
]


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule yields; the engine makes the located ``Finding`` of it.

    ``rule`` overrides the id the function was registered with (a function that checks two
    related rules); ``severity`` (``"error"``, ``"warning"``, ``"info"``) overrides the rule's
    default for this one case (a model's invalid JSON passed through is a warning), and
    ``source`` its source (a SPEC rule whose other half is what every real stream shows, EX).
    """

    message: str
    json_path: str | None = None
    rule: str | None = None
    severity: str | None = None
    source: str | None = None


def parse_path(path: str) -> tuple[str | int, ...]:
    """``"choices.0.delta"`` -> ``("choices", 0, "delta")`` (digits index lists)."""
    return tuple(int(part) if part.isdigit() else part for part in path.split(".") if part)


def get_path(value: Any, keys: Sequence[str | int]) -> Any:
    """The value at ``keys`` inside ``value``, or None when any step is missing."""
    for key in keys:
        if key.__class__ is str:  # the common step first: this runs several times per event
            if value.__class__ is not dict and not isinstance(value, dict):
                return None
            value = value.get(key)
        elif isinstance(key, int):
            if not isinstance(value, list) or not -len(value) <= key < len(value):
                return None
            value = value[key]
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


class EventView(NamedTuple):
    """One event, decoded once: its index, SSE event, kind (what the profile calls it) and
    JSON payload (None when the data is not JSON).

    A named tuple rather than a frozen dataclass: one is made per event for the rules, and a
    tuple is built in a third of the time (0.7 against 1.8 us), read-only all the same.
    """

    index: int  # type: ignore[assignment]  # shadows tuple.index, as the field it is
    event: ServerSentEvent
    kind: str
    payload: Any

    def get(self, path: str) -> Any:
        """The payload's value at a dotted path (``"response.output.0.id"``), else None."""
        return get_path(self.payload, parse_path(path))


@dataclass(frozen=True, slots=True)
class EntityState:
    """One entity of a profile's ``[[entities]]`` (an output item, a content block...)."""

    created_at: int | None  # event index of its creation (None: never created)
    ended_at: int | None = None
    status: str | None = None
    type: str | None = None  # read from its created event (``[[entities]] type``)


@dataclass(frozen=True, slots=True)
class Carried:
    """What a stream leaves the next stream of its cassette (``StreamView.previous``): its
    folded final object and, per ``[[entities]]`` name, the entities still open at its end."""

    final: Any
    open: Mapping[str, Mapping[tuple[Any, ...], EntityState]]


class StreamView:
    """Read-only access to what the engine knows of the stream so far.

    Every accessor returns a copy or an immutable value: a rule cannot change the state the
    next rule sees.
    """

    __slots__ = ("_memory", "_state")

    def __init__(self, state: Any) -> None:
        self._state = state
        self._memory: dict[str, Any] = {}

    def memory(self, key: str, factory: Callable[[], Any]) -> Any:
        """A rule's own memory for this stream, made by ``factory`` on first use.

        For what the engine's data cannot track (Chat's per-choice state: role seen, finish
        reason, tool calls by index). Only the rules that use ``key`` see it; by convention
        the key is the rules module's name, so no other rule's view of the stream changes.
        """
        found = self._memory.get(key)
        if found is None:
            found = self._memory[key] = factory()
        return found

    @property
    def request(self) -> RecordedRequest | None:
        """The recorded request of this stream (None for a raw body)."""
        request: RecordedRequest | None = self._state.setup.request
        return request

    @property
    def shape(self) -> str | None:
        """The endpoint shape the request matched (``create``, ``resume``...), else None."""
        shape: str | None = self._state.shape
        return shape

    @property
    def resumed(self) -> bool:
        """True for a resumed stream (its request's resume parameter, or a raw body that
        starts past the counter's start): it may refer to what came before it."""
        resumed: bool = self._state.resumed
        return resumed

    @property
    def facts(self) -> Mapping[str, str]:
        """Named groups of the endpoint's path pattern (``response_id``...)."""
        return dict(self._state.setup.facts)

    @property
    def previous(self) -> Carried | None:
        """What the previous stream of the same cassette left (None for the first)."""
        previous = self._state.setup.previous
        return previous if isinstance(previous, Carried) else None

    @property
    def index(self) -> int:
        """Index of the event being checked (-1 at the end)."""
        value: int = self._state.index
        return value

    def count(self, kind: str) -> int:
        """How many events of ``kind`` have been seen (this one included)."""
        value: int = self._state.counts.get(kind, 0)
        return value

    def first_index(self, kind: str) -> int | None:
        """Index of the first event of ``kind``, else None."""
        value: int | None = self._state.first_seen.get(kind)
        return value

    @property
    def sentinel(self) -> int | None:
        """Index of the closing sentinel event (``data: [DONE]``), None until it comes."""
        value: int | None = self._state.sentinel_at
        return value

    @property
    def terminal(self) -> tuple[int, str] | None:
        """``(index, kind)`` of the first terminal event, else None."""
        value: tuple[int, str] | None = self._state.terminal
        return value

    def entities(self, name: str) -> dict[tuple[Any, ...], EntityState]:
        """The entities of the ``[[entities]]`` entry ``name``, by key, in creation order."""
        tracker = self._state.entities.get(name)
        return {} if tracker is None else tracker.snapshot()

    def entity(self, name: str, key: tuple[Any, ...]) -> EntityState | None:
        """One entity of ``[[entities]]`` ``name`` by key (cheaper than :meth:`entities`)."""
        tracker = self._state.entities.get(name)
        entry = None if tracker is None else tracker.entries.get(key)
        if entry is None:
            return None
        return EntityState(entry[0], entry[1], type=entry[2] if len(entry) > 2 else None)

    def open_keys(self, name: str) -> tuple[tuple[Any, ...], ...]:
        """Keys of the entities of ``name`` still open, oldest first."""
        tracker = self._state.entities.get(name)
        return () if tracker is None else tuple(tracker.open)

    def joined(self, fold: str, key: tuple[Any, ...]) -> str | None:
        """The pieces a ``[[folds]]`` entry (by rule id) joined so far for ``key``."""
        store = self._state.folds.get(fold)
        if store is None:
            return None
        pieces = store.get(key)
        return None if pieces is None else "".join(pieces)

    def folded(self) -> Any:
        """The profile's final object as folded so far (``sse-recorder final``), else None."""
        fold = self._state.fold
        return None if fold is None else fold.result()

    def folded_part(self, *keys: str | int) -> Any:
        """One part of the folded object (``"messages", "msg_1"``), as plain JSON, else None:
        cheaper than :meth:`folded` when the fold can give one part (its ``part`` method)."""
        fold = self._state.fold
        if fold is None:
            return None
        part = getattr(fold, "part", None)
        return part(keys) if part is not None else get_path(fold.result(), keys)

    def identity(self) -> dict[str, Any]:
        """The identity fields (``[[identity]]`` paths) as first seen."""
        return dict(self._state.identity)


#: A rule yields its violations, or returns them (a tuple: cheaper on a per-delta rule).
EventRuleFunction = Callable[[EventView, StreamView], Iterable[Violation]]
EndRuleFunction = Callable[[StreamView], Iterator[Violation]]


@dataclass(frozen=True, slots=True)
class EventRule:
    """A rule function registered for some event kinds (all kinds when ``kinds`` is empty)."""

    id: str
    function: EventRuleFunction
    kinds: tuple[str, ...] = ()
    shapes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EndRule:
    """A rule function that runs once, after the last event."""

    id: str
    function: EndRuleFunction
    shapes: tuple[str, ...] = field(default=())


def rule(
    rule_id: str, *, kinds: Sequence[str] = (), shapes: Sequence[str] = ()
) -> Callable[[EventRuleFunction], EventRule]:
    """Register an event rule (see the module docstring); the module's rules are found by
    type, so ``@rule`` is all a rules module needs."""

    def register(function: EventRuleFunction) -> EventRule:
        return EventRule(rule_id, function, tuple(kinds), tuple(shapes))

    return register


def at_end(rule_id: str, *, shapes: Sequence[str] = ()) -> Callable[[EndRuleFunction], EndRule]:
    """Register a rule that runs once the body has ended."""

    def register(function: EndRuleFunction) -> EndRule:
        return EndRule(rule_id, function, tuple(shapes))

    return register
