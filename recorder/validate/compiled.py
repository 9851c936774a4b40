"""A profile's data compiled once into per-kind tables, shared by all its streams.

:class:`CompiledProfile` reads a :class:`~recorder.profiles._spec.ProfileSpec` (and the
profile's ``@rule`` functions) and answers, per event kind, what the engine
(:mod:`recorder.validate.engine`) must check: the kind's entities, progressions, folds,
conditions, rules, and whether a fast path (``[stream] hot`` kinds) covers its common case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recorder.validate.context import EndRule, EventRule, parse_path

if TYPE_CHECKING:
    from recorder.profiles._spec import EntitySpec, ProfileSpec

__all__ = ["CompiledProfile", "EntityPlan", "Path"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class EntityPlan:
    """One ``[[entities]]`` entry, its paths parsed and its kinds as sets."""

    spec: EntitySpec
    keys: tuple[Path, ...]
    created: frozenset[str]
    members: frozenset[str]
    terminal: frozenset[str]
    type: Path | None = None  # where the created event says the entity's type
    member_type: Path | None = None  # where a member event says its type (None: its kind)
    each: Path | None = None  # a list whose items are the entities' events
    ends: Path | None = None  # a field whose non-null value ends the entity
    defaults: tuple[Any, ...] | None = None  # per key path: its value when missing


class CompiledProfile:
    """A spec turned into per-kind tables (built once per profile, shared by its streams)."""

    def __init__(
        self,
        spec: ProfileSpec,
        event_rules: Iterable[EventRule] = (),
        end_rules: Iterable[EndRule] = (),
    ) -> None:
        self.spec = spec
        stream = spec.stream
        self.kind_source = stream.kind.source
        self.kind_path = parse_path(stream.kind.field or "")
        self.kind_value = stream.kind.value or ""
        self.match_rule = stream.kind.match_rule
        self.json_optional = stream.json_mode == "looks-like"
        self.sentinel = stream.sentinel
        #: Rules registered for this kind run at the sentinel (the event name, else its data).
        self.sentinel_kind = (
            (stream.sentinel.event or stream.sentinel.data) if stream.sentinel else ""
        )
        self.infer_shape = dict(stream.infer_shape)
        self.resumed_shapes = frozenset(stream.resumed_shapes)
        self.version_kinds = frozenset(spec.schemas.version_kinds if spec.schemas else ())
        self.terminal_kinds = frozenset(stream.terminal.kinds) if stream.terminal else frozenset()
        self.after_terminal = (
            frozenset(stream.terminal.allow_after) if stream.terminal else frozenset()
        )
        self.once = {kind: once.rule for once in stream.once for kind in once.kinds}
        error = spec.error
        self.error_kinds = frozenset(error.kinds) if error else frozenset()
        self.error_field = error.field if error else None
        self.error_kind = error.kinds[0] if error and error.kinds else "error"
        self.error_message = parse_path(error.message) if error else ()
        self.error_code = parse_path(error.code) if error and error.code else ()
        self.after_error = frozenset(error.after) if error else frozenset()
        self.entities = tuple(
            EntityPlan(
                entity,
                tuple(parse_path(key) for key in entity.key),
                frozenset(entity.created),
                frozenset(entity.members),
                frozenset(entity.terminal),
                parse_path(entity.type) if entity.type else None,
                parse_path(entity.member_type) if entity.member_type else None,
                parse_path(entity.each) if entity.each else None,
                parse_path(entity.ends_when) if entity.ends_when else None,
                tuple(entity.key_defaults.get(key) for key in entity.key)
                if entity.key_defaults
                else None,
            )
            for entity in spec.entities
        )
        self.kind_absent = tuple(stream.kind.absent.items())
        self.allow_empty = stream.allow_empty
        self.last = (
            (stream.last, tuple((path, _delta_segments(path)) for path in stream.last.set))
            if stream.last
            else None
        )
        self.request_match: dict[str, list[tuple[Any, Path, Path]]] = {}
        for match in spec.request_match:
            for kind in match.kinds:
                self.request_match.setdefault(kind, []).append(
                    (match, parse_path(match.path), parse_path(match.request))
                )
        self.counters = tuple((counter, parse_path(counter.path)) for counter in spec.counters)
        self.dialect_fields = tuple(
            (dialect, tuple((parse_path(path), re.compile(regex)) for path, regex in fields))
            for dialect in spec.dialects
            if (fields := dialect.fields.items())
        )
        self.identity = tuple(
            (
                entry,
                tuple(
                    # a one-key path reads with dict.get (the hot path: every event)
                    (
                        path,
                        parsed,
                        parsed[0] if len(parsed) == 1 and type(parsed[0]) is str else None,
                    )
                    for path, parsed in ((path, parse_path(path)) for path in entry.paths)
                ),
                frozenset(entry.kinds),
                tuple(entry.placeholders),
            )
            for entry in spec.identity
        )
        self.progressions = tuple(
            (
                entry,
                tuple(parse_path(key) for key in entry.key),
                {kind: rank for rank, group in enumerate(entry.order) for kind in group},
            )
            for entry in spec.progressions
        )
        self.fold_deltas: dict[str, list[tuple[Any, tuple[Path, ...], Path]]] = {}
        self.fold_dones: dict[str, list[tuple[Any, tuple[Path, ...], Path]]] = {}
        for fold in spec.folds:
            keys = tuple(parse_path(key) for key in fold.key)
            for kind in fold.deltas:
                self.fold_deltas.setdefault(kind, []).append((fold, keys, parse_path(fold.piece)))
            for kind in fold.done:
                self.fold_dones.setdefault(kind, []).append(
                    (fold, keys, parse_path(fold.final or ""))
                )
        self.conditions: dict[str, list[Any]] = {}
        for condition in spec.conditions:
            compiled = (
                condition,
                tuple((path, parse_path(path), value) for path, value in condition.equals.items()),
                tuple((path, parse_path(path)) for path in condition.set),
                tuple((path, parse_path(path)) for path in condition.null),
            )
            for kind in condition.kinds:
                self.conditions.setdefault(kind, []).append(compiled)
        rules_by_kind: dict[str, list[EventRule]] = {}
        self.any_kind_rules: tuple[EventRule, ...] = ()
        for event_rule in event_rules:
            if event_rule.kinds:
                for kind in event_rule.kinds:
                    rules_by_kind.setdefault(kind, []).append(event_rule)
            else:
                self.any_kind_rules = (*self.any_kind_rules, event_rule)
        self.rules_by_kind = {kind: tuple(rules) for kind, rules in rules_by_kind.items()}
        self.end_rules = tuple(end_rules)
        mentioned: set[str] = set(stream.known) | set(self.terminal_kinds) | set(self.once)
        mentioned |= self.error_kinds | set(stream.first.kinds if stream.first else ())
        for entity in self.entities:
            mentioned |= entity.created | entity.members | entity.terminal
        for _, _, ranks in self.progressions:
            mentioned |= set(ranks)
        mentioned |= set(self.fold_deltas) | set(self.fold_dones) | set(self.conditions)
        mentioned |= set(self.rules_by_kind) | set(self.request_match)
        mentioned |= {kind for _, kind in self.kind_absent}
        self.mentioned = frozenset(mentioned)
        #: The entities each kind creates, touches or ends (looked up once per event).
        self.entities_of: dict[str, tuple[EntityPlan, ...]] = {
            kind: tuple(e for e in self.entities if kind in e.created | e.members | e.terminal)
            for kind in mentioned
        }
        # Kinds with nothing but a schema to check take the fast path.
        self.busy = frozenset(
            kind
            for kind in mentioned
            if kind in self.fold_deltas
            or kind in self.fold_dones
            or kind in self.conditions
            or kind in self.rules_by_kind
            or kind in self.request_match
            or any(kind in e.created | e.members | e.terminal for e in self.entities)
            or any(kind in ranks for _, _, ranks in self.progressions)
        )
        self.hot = {kind: hot for kind in stream.hot if (hot := self._hot_plan(kind)) is not None}
        #: The kind is the SSE event name, always (no in-band error field to look for).
        self.by_name = self.kind_source == "event" and self.error_field is None

    def _hot_plan(self, kind: str) -> tuple[Any, ...] | None:
        """What the common case of a ``[stream] hot`` kind needs checked inline: (entity
        name, key field) it must be open in, (field, test, value) of its conditions; None when
        the kind needs more (counters, identity, folds, progressions...: the full way)."""
        if (
            self.counters
            or any(not kinds or kind in kinds for _, _, kinds, _ in self.identity)
            or any(kind in ranks for _, _, ranks in self.progressions)
            or kind in self.fold_deltas
            or kind in self.fold_dones
            or kind in getattr(self, "request_match", {})
            or kind in self.terminal_kinds | self.error_kinds | set(self.once)
        ):
            return None
        entities: list[tuple[str, str | int]] = []
        for entity in self.entities:
            if kind in entity.created or kind in entity.terminal:
                return None
            if kind not in entity.members:
                continue
            spec = entity.spec
            if getattr(entity, "each", None) or spec.fits or spec.last or len(entity.keys) != 1:
                return None
            if len(entity.keys[0]) != 1:
                return None
            entities.append((spec.name, entity.keys[0][0]))
        tests: list[tuple[str | int, str, Any]] = []
        for _, equals, must_set, must_null in self.conditions.get(kind, ()):
            for group, test in ((equals, "=="), (must_set, "set"), (must_null, "null")):
                for entry in group:
                    if len(entry[1]) != 1:
                        return None
                    tests.append((entry[1][0], test, entry[2] if test == "==" else None))
        return tuple(entities), tuple(tests)


def _delta_segments(path: str) -> tuple[Path, ...]:
    """``"candidates[].finishReason"`` -> segments split at each ``[]`` (a list to iterate)."""
    return tuple(parse_path(part) for part in path.split("[]"))
