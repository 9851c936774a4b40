"""A profile's data compiled once into per-kind tables, shared by all its streams.

:class:`CompiledProfile` reads a :class:`~recorder.profiles._spec.ProfileSpec` (and the
profile's ``@rule`` functions) and answers, per event kind, what the engine
(:mod:`recorder.validate.engine`) must check: the kind's entities, progressions, folds,
conditions, rules, and the fast plan of its common case (``FastPlan``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recorder.validate.context import EndRule, EventRule, parse_path

if TYPE_CHECKING:
    from recorder.profiles._spec import EntitySpec, ProfileSpec

__all__ = ["CREATES", "ENDS", "MEMBER", "CompiledProfile", "EntityPlan", "FastPlan", "Path"]

Path = tuple[str | int, ...]

#: A fast plan's role for an entity: the kind is one of its members, creates it, or ends it.
MEMBER, CREATES, ENDS = 0, 1, 2


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


@dataclass(frozen=True, slots=True)
class FastPlan:
    """What the common case of one kind needs checked, each on a top-level field: the engine
    checks all of it first and changes nothing unless everything holds (then it commits the
    counters, entity members, progressions and folds, and runs the kind's rules); anything
    else goes the full way, which says what is wrong."""

    counters: tuple[tuple[str, str, int], ...]  # (counter, field, start): rises by one
    identity: tuple[tuple[str, str, tuple[Any, ...]], ...]  # (name, field, placeholders)
    #: (name, keys, role, whether its type is held to ``fits``/``last``, where a member says
    #: its type, where its created event says the entity's type); role: the kind is a member
    #: (``MEMBER``), creates the entity (``CREATES``) or ends it (``ENDS``)
    entities: tuple[tuple[str, tuple[str, ...], int, bool, Path | None, Path | None], ...]
    progressions: tuple[tuple[int, tuple[str, ...], int], ...]  # (number, keys, rank)
    folds: tuple[tuple[str, tuple[str, ...], Path], ...]  # (rule, keys, piece)
    #: (fold, keys, where the done event carries the final value) of the folds it ends
    dones: tuple[tuple[Any, tuple[str, ...], Path], ...]
    tests: tuple[tuple[str, str, Any], ...]  # (field, "==" / "set" / "null", value)
    take: bool  # the fold's take() folds this kind inline
    rules: tuple[EventRule, ...]


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
        #: Kinds whose fold's ``take(kind, payload)`` folds them inline (``[stream] hot``).
        self.hot_kinds = frozenset(stream.hot)
        #: Per kind, the checks of its common case when the data can say them all (see
        #: ``FastPlan``); the engine tries them first and takes the full way when one fails.
        self.fast = {kind: plan for kind in mentioned if (plan := self._fast_plan(kind))}
        #: The kind is the SSE event name, always (no in-band error field to look for).
        self.by_name = self.kind_source == "event" and self.error_field is None
        #: The top-level field the kind is read from (``type``), else None.
        self.kind_field = (
            self.kind_path[0]
            if self.kind_source == "field"
            and len(self.kind_path) == 1
            and isinstance(self.kind_path[0], str)
            else None
        )
        #: The kind of every event but an in-band error (``[stream] kind`` fixed).
        self.fixed_kind = self.kind_value if self.kind_source == "fixed" else None
        #: How the engine's quick path reads the kind: "field" (``kind_field``), "event"
        #: (the SSE name), "fixed" (``fixed_kind`` unless an error field is there), or None
        #: (only the full way can: a nested field, or a name with an error field to look for).
        self.kind_mode = (
            "field"
            if self.kind_field is not None
            else "event"
            if self.by_name
            else "fixed"
            if self.fixed_kind is not None
            else None
        )
        #: Data that is the sentinel (``[DONE]``), never a JSON object's event.
        self.sentinel_data = stream.sentinel.data if stream.sentinel else None

    def _fast_plan(self, kind: str) -> FastPlan | None:
        """The checks of ``kind``'s common case, on top-level fields only, when the data can
        say them all; None when the kind needs the full way (it comes once, ends the stream,
        reports an error, matches the request, or keys something by nested paths)."""
        if (
            kind not in self.mentioned
            or kind in self.terminal_kinds
            or kind in self.error_kinds
            or kind == self.error_kind
            or kind in self.once
            or kind in self.request_match
            or kind == self.sentinel_kind
        ):
            return None
        counters = []
        for counter, path in self.counters:
            if len(path) != 1 or type(path[0]) is not str:
                return None
            counters.append((counter.path, path[0], counter.start))
        identity = []
        for _, paths, kinds, placeholders in self.identity:
            if kinds and kind not in kinds:
                continue
            for name, _, single in paths:
                if single is None:
                    return None
                identity.append((name, single, placeholders))
        entities = []
        for entity in self.entities:
            creates, ends = kind in entity.created, kind in entity.terminal
            if not (creates or ends or kind in entity.members):
                continue
            spec = entity.spec
            if (creates and ends) or entity.each or entity.defaults or entity.ends:
                return None
            if spec.open_on_member:
                return None
            fields = _top_level(entity.keys)
            if fields is None:
                return None
            role = CREATES if creates else ENDS if ends else MEMBER
            typed = bool(spec.fits or spec.last)
            entities.append((spec.name, fields, role, typed, entity.member_type, entity.type))
        dones = []
        for fold, keys, final in self.fold_dones.get(kind, ()):
            fields = _top_level(keys)
            if fields is None:
                return None
            dones.append((fold, fields, final))
        progressions = []
        for number, (_, keys, ranks) in enumerate(self.progressions):
            if kind in ranks:
                fields = _top_level(keys)
                if fields is None:
                    return None
                progressions.append((number, fields, ranks[kind]))
        folds = []
        for fold, keys, piece in self.fold_deltas.get(kind, ()):
            fields = _top_level(keys)
            if fields is None:
                return None
            folds.append((fold.rule, fields, piece))
        tests: list[tuple[str, str, Any]] = []
        for _, equals, must_set, must_null in self.conditions.get(kind, ()):
            for group, test in ((equals, "=="), (must_set, "set"), (must_null, "null")):
                for entry in group:
                    if len(entry[1]) != 1 or type(entry[1][0]) is not str:
                        return None
                    tests.append((entry[1][0], test, entry[2] if test == "==" else None))
        return FastPlan(
            tuple(counters),
            tuple(identity),
            tuple(entities),
            tuple(progressions),
            tuple(folds),
            tuple(dones),
            tuple(tests),
            kind in self.hot_kinds,
            # the fold's take() vouches for the common case, rules included (``[stream] hot``)
            ()
            if kind in self.hot_kinds
            else self.rules_by_kind.get(kind, ()) + self.any_kind_rules,
        )


def _top_level(paths: tuple[Path, ...]) -> tuple[str, ...] | None:
    """The field names of one-step paths (``output_index``), else None."""
    if all(len(path) == 1 and type(path[0]) is str for path in paths):
        return tuple(str(path[0]) for path in paths)
    return None


def _delta_segments(path: str) -> tuple[Path, ...]:
    """``"candidates[].finishReason"`` -> segments split at each ``[]`` (a list to iterate)."""
    return tuple(parse_path(part) for part in path.split("[]"))
