"""One checker for every declarative profile: the spec's data, compiled once, run per event.

:class:`CompiledProfile` (:mod:`recorder.validate.compiled`) turns a
:class:`~recorder.profiles._spec.ProfileSpec` into a table of small checks per event kind (the
"keywords" of this project, as jsonschema's ``_keywords``); :class:`EngineChecker` runs them on
one stream and stamps each :class:`Violation` with rule id, severity, interaction, event index,
byte offset and line.
Per event, in this order:

1. decode the data (JSON), read the kind (SSE name, a JSON field, or fixed) and check it;
2. the stream's framing: the sentinel (``[DONE]``), what follows it, the terminal event, what
   follows an in-band error, the opening kinds, kinds that come once;
3. state with its checks: counters, identity, entities (lifecycles), progressions (status
   graphs), delta folds against their ``.done`` values, conditions on fields;
4. the JSON Schema of the kind (one Rust call on the valid path);
5. the profile's fold (its final object) is fed the event;
6. the profile's ``@rule`` functions for the kind, over read-only views.

That is the full way (``EngineChecker._event``). An event after the first of its kind first
tries its kind's fast plan (``FastPlan``, ``EngineChecker._fast``): the same checks of steps 3
and 4 on top-level fields, all made before any state changes; when one fails the event takes
the full way, which says what is wrong. A schema warning is reported once per kind and stream,
then counted (one note at the end).

Nothing here names an API: everything comes from the spec.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import orjson

from recorder.validate.compiled import CREATES, ENDS, CompiledProfile, EntityPlan, FastPlan, Path
from recorder.validate.context import (
    Carried,
    EntityState,
    EventRule,
    EventView,
    StreamView,
    Violation,
    get_path,
)
from recorder.validate.findings import Finding, Severity
from recorder.validate.schemas import Extras
from recorder.wire.payload import MAX_DEPTH, too_deep
from recorder.wire.sse import ServerSentEvent

if TYPE_CHECKING:
    from recorder.profiles import Profile, StreamSetup
    from recorder.profiles._spec import FoldSpec

__all__ = ["CompiledProfile", "EngineChecker", "excerpt_of"]

_raw_decode = json.JSONDecoder().raw_decode
_loads = orjson.loads
_SEVERITY = {severity.value: severity for severity in Severity}
#: Payloads held back at most before the schema version is decided from what has arrived.
HOLD = 16


def excerpt_of(text: str, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters for a finding's excerpt."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_path(path: str) -> str:
    return "$." + path if path else "$"


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return excerpt_of(text, limit)


class _Entities:
    """The entities of one ``[[entities]]`` entry in one stream."""

    __slots__ = ("entries", "next_number", "open", "spec")

    def __init__(self, spec: EntityPlan) -> None:
        self.spec = spec
        self.entries: dict[tuple[Any, ...], list[Any]] = {}  # key -> [created, ended]
        self.open: dict[tuple[Any, ...], int] = {}
        self.next_number = spec.spec.numbered_from

    def snapshot(self) -> dict[tuple[Any, ...], EntityState]:
        return {
            key: EntityState(entry[0], entry[1], type=entry[2] if len(entry) > 2 else None)
            for key, entry in self.entries.items()
        }


def _key(payload: Any, paths: tuple[Path, ...]) -> tuple[Any, ...] | None:
    # Runs several times per delta: no generators, and a top-level field read directly.
    flat = payload.__class__ is dict
    if len(paths) == 1:
        path = paths[0]
        part = payload.get(path[0]) if flat and len(path) == 1 else get_path(payload, path)
        return None if part is None or isinstance(part, (dict, list)) else (part,)
    parts = []
    for path in paths:
        part = payload.get(path[0]) if flat and len(path) == 1 else get_path(payload, path)
        if part is None or isinstance(part, (dict, list)):
            return None
        parts.append(part)
    return tuple(parts)


def _scalar_key(payload: dict[str, Any], fields: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The values of top-level ``fields`` when each is an int or a string, else None."""
    if len(fields) == 2:  # (output_index, content_index): on every Responses text delta
        first, second = payload.get(fields[0]), payload.get(fields[1])
        if (first.__class__ is int or first.__class__ is str) and (
            second.__class__ is int or second.__class__ is str
        ):
            return (first, second)
        return None
    key = tuple(payload.get(field) for field in fields)
    for part in key:
        if part.__class__ is not int and part.__class__ is not str:
            return None
    return key


def _reader(path: Path) -> Any:
    """How a fast plan reads ``path``: a field name (one step), a pair of field names (two
    steps, read inline), else a list of the steps (``_read``)."""
    if all(type(step) is str for step in path) and len(path) in (1, 2):
        return path[0] if len(path) == 1 else (path[0], path[1])
    return list(path)


def _read(payload: dict[str, Any], reader: Any) -> Any:
    """The value a ``_reader`` reads (the hot loops read one and two steps inline)."""
    if reader.__class__ is str:
        return payload.get(reader)
    if reader.__class__ is tuple:
        inner = payload.get(reader[0])
        return inner.get(reader[1]) if inner.__class__ is dict else None
    return get_path(payload, reader)


def _steps(fields: tuple[str, ...]) -> tuple[Path, ...]:
    """Top-level field names as one-step paths (for ``_key``)."""
    return tuple((field,) for field in fields)


_INDEX = re.compile(r"\[\d+\]")


def _warning_key(kind: str, issue: Any) -> tuple[str, str, str, str]:
    """What makes two schema warnings the same: kind, rule, path (list indices aside) and
    message."""
    return (kind, issue.rule, _INDEX.sub("[*]", issue.json_path), issue.message)


def _anything(_: object) -> bool:
    return True


def _all_set(value: Any, segments: tuple[Path, ...]) -> bool:
    """True when the path is non-null; at a ``[]``, in every item of the list (a missing
    list has no item to check)."""
    value = get_path(value, segments[0])
    if len(segments) == 1:
        return value is not None
    if value is None:
        return True
    return isinstance(value, list) and all(_all_set(item, segments[1:]) for item in value)


_NO_BODY = object()
_UNDECODED = object()  # an event whose data the quick path could not decode
# EventView's generated __new__ costs a Python call per event: built as the parser builds
# its events (wire.sse._new_event).
_new_view = tuple.__new__


def _show_key(names: list[str], key: tuple[Any, ...]) -> str:
    return ", ".join(f"{name} {value!r}" for name, value in zip(names, key, strict=False))


class _Bound:
    """A ``FastPlan`` bound to one stream's state, looked up once: per entity (role, its
    ``_Entities``, open, entries, key fields, fits, last, member type reader, type reader);
    (progress, key fields, rank) per progression; (pieces, key paths, piece reader, index of
    the entity with the same key or -1) per fold; (pieces, key paths, final reader, fold
    spec) per fold it ends; and, once known, the kind's schema test and last recalled
    extras."""

    __slots__ = (
        "counters",
        "dones",
        "entities",
        "extras",
        "folds",
        "identity",
        "progressions",
        "rules",
        "take",
        "tests",
        "valid",
    )

    def __init__(
        self,
        plan: FastPlan,
        entities: tuple[tuple[Any, ...], ...],
        progressions: tuple[tuple[dict[Any, Any], tuple[str, ...], int], ...],
        folds: tuple[tuple[dict[Any, list[str]], tuple[Path, ...], Any, int], ...],
        dones: tuple[tuple[dict[Any, list[str]], tuple[Path, ...], Any, FoldSpec], ...],
    ) -> None:
        self.counters = plan.counters
        self.identity = plan.identity
        self.tests = plan.tests
        self.take = plan.take
        self.rules = plan.rules
        self.entities = entities
        self.progressions = progressions
        self.folds = folds
        self.dones = dones
        self.valid: Callable[[Any], bool] | None = None
        self.extras: Extras | None = None


class EngineChecker:
    """Checks one stream against a declarative profile (``StreamChecker``)."""

    def __init__(
        self,
        profile: Profile,
        compiled: CompiledProfile,
        setup: StreamSetup,
        schemas: Any,
        fold_factory: Callable[[], Any] | None,
        decide_schemas: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        self.profile = profile
        self.compiled = compiled
        self.spec = compiled.spec
        self.setup = setup
        self.interaction = setup.interaction
        self.shape = setup.shape
        self.rules = profile.rules
        self.strict = setup.strict
        self.schemas = schemas
        self.dialect = setup.dialect_spec
        self.relaxed: Mapping[str, str] = self.dialect.relax if self.dialect is not None else {}
        self.fold = (
            fold_factory()
            if fold_factory is not None and compiled.spec.fold_when_checking
            else None
        )
        self.take = getattr(self.fold, "take", None)  # the fold's common case (hot kinds)
        self.view = StreamView(self)
        self.index = -1
        self.counts: dict[str, int] = {}
        self.first_seen: dict[str, int] = {}
        self.events_seen = 0  # events other than the sentinel
        self.terminal: tuple[int, str] | None = None
        self.sentinel_at: int | None = None
        self.sentinel_ev: ServerSentEvent | None = None
        self.after_sentinel = 0
        self.error_at: int | None = None
        self.identity: dict[str, Any] = {}
        self.identity_last: dict[str, Any] = {}  # the latest value, once it changed
        self.counter_last: dict[str, int | None] = {}
        self.counter_missing: dict[str, int] = {}
        self.counter_seen: dict[str, int] = {}
        self.resumed = False  # a resumed stream may refer to what came before it
        self.last_payload: Any = None  # the last event's payload (``[stream.last]``)
        self._request_body: Any = None  # the request's JSON body, decoded on first use
        self.entities = {entity.spec.name: _Entities(entity) for entity in compiled.entities}
        self.folds: dict[str, dict[tuple[Any, ...], list[str]]] = {
            fold.rule: {} for fold in self.spec.folds
        }
        self.progress: list[dict[tuple[Any, ...], tuple[int, str]]] = [
            {} for _ in compiled.progressions
        ]
        self._resume_counters()
        if self.shape in compiled.resumed_shapes:
            self.resumed = True
        # The fast plans (``FastPlan``), once the schema version is decided; none after the
        # stream ends or errs (what follows goes the full way).
        self.bound = {kind: self._bind(plan) for kind, plan in compiled.fast.items()}
        self.fast = self.bound if decide_schemas is None else {}
        # Schema warnings are reported once per kind and stream; then counted (``finish``).
        #: (kind, rule, path with [*] for list indices, message) -> [first issue, repeats]
        self.warned: dict[tuple[str, str, str, str], list[Any]] = {}
        self.quiet: dict[str, tuple[str, tuple[Any, ...]]] = {}  # recall token -> its issues
        self.quiet_counts: dict[str, int] = {}
        # Schema checks held back until a payload tells the version (``version_kinds``).
        self.decide_schemas = decide_schemas
        self.held: list[tuple[int, ServerSentEvent, str, Any]] = []

    def _resume_counters(self) -> None:
        request = self.setup.request
        for counter, _ in self.compiled.counters:
            last: int | None = None
            if counter.resume_query and request is not None:
                values = parse_qs(urlsplit(request.url).query).get(counter.resume_query, [])
                if values and values[0].lstrip("-").isdigit():
                    last = int(values[0])
                    self.resumed = True
            self.counter_last[counter.path] = last

    def _first_payload(self, payload: Any, out: list[Violation]) -> None:
        """The first JSON object of the stream: a dialect its fields show (a raw body has no
        host), and a raw body that starts past a counter's start (a resumed stream)."""
        if self.dialect is None:
            for dialect, fields in self.compiled.dialect_fields:
                if all(
                    isinstance(found := get_path(payload, path), str) and regex.search(found)
                    for path, regex in fields
                ):
                    self.dialect = dialect
                    self.relaxed = dialect.relax
                    break
        if self.setup.request is not None:
            return
        for counter, path in self.compiled.counters:
            value = get_path(payload, path)
            if counter.raw_resume and type(value) is int and value > counter.start:
                self.resumed = True
                self.counter_last[counter.path] = value - 1
                out.append(
                    Violation(
                        f"the body starts at {counter.path} {value}: read as a resumed stream "
                        f"({counter.resume_query or 'resumed'} after {value - 1}); without its "
                        "request it cannot be told from a body that lost its start",
                        _json_path(counter.path),
                        rule=counter.rule,
                        severity="warning",
                    )
                )

    # ------------------------------------------------------------------ findings

    def _finding(
        self,
        rule: str,
        message: str,
        json_path: str | None,
        ev: ServerSentEvent | None,
        index: int | None,
        severity: str | None = None,
        source: str | None = None,
    ) -> Finding:
        info = self.rules[rule]
        level = _SEVERITY[severity] if severity else info.severity
        relaxed = self.relaxed.get(rule)
        if relaxed is not None and level is Severity.ERROR:
            assert self.dialect is not None
            message = f"{message} [{self.dialect.name}: {relaxed}]"
            if not self.strict:
                level = Severity.WARNING
        return Finding(
            rule,
            level,
            message,
            self.interaction,
            index,
            ev.offset if ev is not None else None,
            ev.line if ev is not None else None,
            json_path,
            excerpt_of(ev.data) if ev is not None else None,
            source or info.source,
        )

    # ------------------------------------------------------------------ StreamChecker

    def event(self, index: int, ev: ServerSentEvent) -> list[Finding]:
        """Findings about event number ``index`` (0-based, the sentinel included).

        The common case first: a JSON object of a kind seen before, whose fast plan holds;
        anything else goes the full way (``_event``)."""
        self.index = index
        data = ev.data
        compiled = self.compiled
        try:
            payload = _loads(data)
        except ValueError:  # not JSON (or JSON orjson refuses): the full way says what it is
            return self._event(index, ev, _UNDECODED)
        if (
            payload.__class__ is dict
            and (len(data) <= 2 * MAX_DEPTH or data.count("{") + data.count("[") <= MAX_DEPTH)
            and data != compiled.sentinel_data
        ):
            mode = compiled.kind_mode
            if mode == "field":
                kind = payload.get(compiled.kind_field)
                if kind.__class__ is not str or (
                    ev.event != kind and ev.event != "message" and compiled.match_rule is not None
                ):
                    kind = None
            elif mode == "event":
                kind = ev.event
            elif mode == "fixed":
                error = compiled.error_field
                kind = compiled.fixed_kind if error is None or error not in payload else None
            else:
                kind = None
            bound = self.fast.get(kind) if kind is not None else None
            if bound is not None and kind in self.counts:
                found = self._fast(index, ev, kind, payload, bound)
                if found is not None:
                    return found
        return self._event(index, ev, payload)

    def _event(self, index: int, ev: ServerSentEvent, decoded: Any) -> list[Finding]:
        """Every check of one event, in order (``decoded``: its JSON, else ``_UNDECODED``)."""
        out: list[Violation] = []
        compiled = self.compiled
        sentinel = compiled.sentinel
        data = ev.data
        if self.sentinel_at is not None:
            self.after_sentinel += 1
            assert sentinel is not None
            if self.after_sentinel == 1:
                out.append(
                    Violation(
                        f"an event after {sentinel.data}: nothing may follow it", rule=sentinel.rule
                    )
                )
            return self._stamp(out, ev, index)
        if (
            sentinel is not None
            and data == sentinel.data
            and (sentinel.event is None or ev.event == sentinel.event)
        ):
            self.sentinel_at, self.sentinel_ev = index, ev
            self.fast = {}  # what follows the sentinel goes the full way
            rules = compiled.rules_by_kind.get(compiled.sentinel_kind)
            if not rules:
                return []
            view = EventView(index, ev, compiled.sentinel_kind, None)
            for event_rule in rules:
                if not event_rule.shapes or self.shape in event_rule.shapes:
                    out.extend(
                        v if v.rule else replace(v, rule=event_rule.id)
                        for v in event_rule.function(view, self.view)
                    )
            return self._stamp(out, ev, index)
        if not data and compiled.allow_empty:
            return []  # a priming event (an id, empty data): nothing to check
        # 1. decode and kind
        payload: Any
        if compiled.json_optional and data.lstrip()[:1] not in ("{", "["):
            self.events_seen += 1
            return []
        # what orjson refuses, json may take (NaN) or explain
        payload = decoded if decoded is not _UNDECODED else self._decode(ev, out)
        if payload is not None and (  # (deeper than MAX_DEPTH takes twice as many brackets)
            len(data) > 2 * MAX_DEPTH
            and data.count("{") + data.count("[") > MAX_DEPTH
            and too_deep(payload)
        ):
            payload = None
            out.append(
                Violation(
                    f"data nests deeper than {MAX_DEPTH} levels: its rules are skipped",
                    rule=self.spec.stream.json_rule,
                )
            )
        kind = ev.event if compiled.by_name else self._kind(ev, payload, out)
        if kind is None:
            return self._stamp(out, ev, index)
        self.events_seen += 1
        self.last_payload = payload
        counts = self.counts
        seen = counts.get(kind, 0)
        counts[kind] = seen + 1
        if not seen:
            self.first_seen[kind] = index
        # 2. framing of the stream
        if self.events_seen == 1:
            if self.shape is None and kind in compiled.infer_shape:
                self.shape = compiled.infer_shape[kind]
                self.resumed = self.resumed or self.shape in compiled.resumed_shapes
            if isinstance(payload, dict):
                self._first_payload(payload, out)
        self._framing(kind, payload, out, seen)
        if kind not in compiled.mentioned and (
            self.schemas is None or not self.schemas.knows(kind)
        ):
            unknown = self.spec.stream.unknown_rule
            if unknown is not None:
                out.append(
                    Violation(
                        f"unknown event kind {kind!r} (skipped, as clients should)", rule=unknown
                    )
                )
            return self._stamp(out, ev, index)
        if not isinstance(payload, dict):
            if payload is not None:
                out.append(
                    Violation(
                        f"{kind} data is {type(payload).__name__}, not a JSON object",
                        rule=self.spec.stream.json_rule,
                    )
                )
            return self._stamp(out, ev, index)
        # 3. state and its checks
        self._state(kind, payload, out)
        # 4. schema
        schemas = self.schemas
        if schemas is None and self.decide_schemas is not None:
            schemas = self._hold(index, ev, kind, payload)
            if schemas is not None:
                found = self._stamp(out, ev, index)
                found.extend(self._release())
                out = []
                self._fold_and_rules(index, ev, kind, payload, out)
                found.extend(self._stamp(out, ev, index))
                return found
        elif schemas is not None:
            issues = schemas.check(kind, payload, strict=self.strict)
            if issues:
                found = self._stamp(out, ev, index)
                found.extend(self._schema_findings(issues, kind, ev, index))
                out = []
                self._fold_and_rules(index, ev, kind, payload, out)
                found.extend(self._stamp(out, ev, index))
                return found
        # 5-6. fold and rules
        self._fold_and_rules(index, ev, kind, payload, out)
        return self._stamp(out, ev, index) if out else []

    def _hold(self, index: int, ev: ServerSentEvent, kind: str, payload: Any) -> Any:
        """Hold a payload back until the schema version is known; the schemas once decided
        (by a ``version_kinds`` payload, or after ``HOLD`` payloads), else None."""
        self.held.append((index, ev, kind, payload))
        if kind not in self.compiled.version_kinds and len(self.held) < HOLD:
            return None
        assert self.decide_schemas is not None
        self.schemas = self.decide_schemas([payload for _, _, _, payload in self.held])
        self.decide_schemas = None
        if self.terminal is None and self.error_at is None:
            self.fast = self.bound
        return self.schemas

    def _release(self) -> list[Finding]:
        """The schema findings of the payloads held back (the version is decided)."""
        held, self.held = self.held, []
        found: list[Finding] = []
        for index, ev, kind, payload in held:
            issues = self.schemas.check(kind, payload, strict=self.strict)
            if issues:
                found.extend(self._schema_findings(issues, kind, ev, index))
        return found

    def _schema_findings(
        self, issues: list[Any], kind: str, ev: ServerSentEvent, index: int
    ) -> list[Finding]:
        """Findings of ``issues``; a warning already reported for this kind in this stream (at
        the same path, list indices aside) is counted instead: ``obfuscation`` on every delta,
        or ``bytes`` on every log probability, is one warning, not thousands."""
        relaxed = self.relaxed
        found: list[Finding] = []
        warned = self.warned
        for issue in issues:
            if issue.severity is Severity.WARNING:
                key = _warning_key(kind, issue)
                seen = warned.get(key)
                if seen is not None:
                    seen[1] += 1
                    continue
                warned[key] = [issue, 0]
            if issue.rule in relaxed and issue.severity is Severity.ERROR:
                found.append(self._relaxed_schema_finding(issue, kind, ev, index))
                continue
            found.append(
                Finding(
                    issue.rule,
                    issue.severity,
                    f"{kind}: {issue.message}",
                    self.interaction,
                    index,
                    ev.offset,
                    ev.line,
                    issue.json_path,
                    excerpt_of(ev.data),
                    self.rules[issue.rule].source if issue.rule in self.rules else "SPEC",
                )
            )
        return found

    def _bind(self, plan: FastPlan) -> _Bound:
        """``plan`` with this stream's state tables in it (looked up once, not per event)."""
        entities = []
        for name, fields, role, typed, member_type, type_path in plan.entities:
            state = self.entities[name]
            spec = state.spec.spec
            entities.append(
                (
                    role,
                    state,
                    state.open,
                    state.entries,
                    fields,
                    spec.fits if typed else None,
                    spec.last,
                    _reader(member_type) if member_type is not None else None,
                    _reader(type_path) if type_path is not None else None,
                )
            )
        keys = [entity[4] for entity in entities]
        return _Bound(
            plan,
            tuple(entities),
            tuple(
                (self.progress[number], fields, rank) for number, fields, rank in plan.progressions
            ),
            tuple(
                (
                    self.folds[rule],
                    _steps(fields),
                    _reader(piece),
                    keys.index(fields) if fields in keys else -1,
                )
                for rule, fields, piece in plan.folds
            ),
            tuple(
                (self.folds[fold.rule], _steps(fields), _reader(final) if final else None, fold)
                for fold, fields, final in plan.dones
            ),
        )

    def _fast(
        self, index: int, ev: ServerSentEvent, kind: str, payload: dict[str, Any], bound: _Bound
    ) -> list[Finding] | None:
        """The common case of ``kind`` (its ``FastPlan``), for an event after the first of its
        kind: every check first, then the state changes, the fold and the kind's rules, and
        their findings. None when a check fails: nothing has changed, and the event goes the
        full way, which says what is wrong."""
        counter_last = self.counter_last
        for name, field, start in bound.counters:
            value = payload.get(field)
            last = counter_last[name]
            if value.__class__ is not int or value != (start if last is None else last + 1):
                return None
        if bound.identity:
            identity = self.identity
            for name, field, placeholders in bound.identity:
                value = payload.get(field)
                if (
                    value is not None
                    and identity.get(name, _NO_BODY) != value
                    and self.identity_last.get(name, _NO_BODY) != value  # a change said once
                    and not (placeholders and value in placeholders)
                ):
                    return None
        keys: list[tuple[Any, ...]] = []
        members: list[tuple[list[Any], Any]] | None = None
        changes: list[tuple[int, Any, tuple[Any, ...], Any]] | None = None
        for (
            role,
            state,
            open_,
            entries,
            fields,
            fits,
            lasts,
            member_type,
            type_of,
        ) in bound.entities:
            if len(fields) == 1:
                part = payload.get(fields[0])
                if part.__class__ is not int and part.__class__ is not str:
                    return None
                key: tuple[Any, ...] | None = (part,)
            else:
                key = _scalar_key(payload, fields)
            if key is None:
                return None
            if role == CREATES:  # new, numbered next, the only one open where that is asked
                if key in entries:
                    return None
                if state.next_number is not None and key[0] != state.next_number:
                    return None
                if open_ and state.spec.spec.one_open:
                    return None
                created = _read(payload, type_of) if type_of is not None else None
                changes = [*(changes or ()), (role, state, key, created)]
                keys.append(key)
                continue
            if key not in open_:
                return None
            keys.append(key)
            if fits is None and role != ENDS:
                continue  # a member of an open entity whose type nothing holds it to
            entry = entries[key] if fits is not None else None
            kind_of = entry[2] if entry is not None and len(entry) > 2 else None
            if role == ENDS:  # the member that must come last came last
                if kind_of.__class__ is str and lasts:
                    last_member = lasts.get(kind_of)
                    if last_member is not None and entry[3] != last_member:  # type: ignore[index]
                        return None
                changes = [*(changes or ()), (role, state, key, None)]
                continue
            if kind_of.__class__ is str:
                member: Any
                if member_type is None:
                    member = kind
                elif member_type.__class__ is tuple:  # two steps (delta.type), inline
                    inner = payload.get(member_type[0])
                    member = inner.get(member_type[1]) if inner.__class__ is dict else None
                else:
                    member = _read(payload, member_type)
                allowed = fits.get(kind_of)
                if allowed is not None and member not in allowed:
                    return None
                last_member = lasts.get(kind_of) if lasts else None
                if last_member is not None:
                    if entry[3] == last_member:  # type: ignore[index]
                        return None
                    members = [*(members or ()), (entry, member)]  # type: ignore[list-item]
        ended: list[tuple[dict[Any, Any], tuple[Any, ...]]] | None = None
        for pieces, paths, final_path, done in bound.dones:
            key = _key(payload, paths)
            if key is None:
                continue
            held = pieces.get(key)
            ended = [*(ended or ()), (pieces, key)]
            if held is None:
                continue
            joined = "".join(held)
            if final_path is None:
                if done.mode == "json-object" and _not_an_object(joined) is not None:
                    return None
                continue
            final = _read(payload, final_path)
            if final.__class__ is str and not _adds_up(done.mode, joined, final, self.resumed):
                return None
        moves: list[tuple[dict[Any, Any], tuple[Any, ...], int]] | None = None
        if bound.progressions:
            moves = []
            for progress, fields, rank in bound.progressions:
                key = _scalar_key(payload, fields)
                if key is None:
                    return None
                before = progress.get(key)
                if before is not None and before[0] > rank:
                    return None
                moves.append((progress, key, rank))
        for field, test, value in bound.tests:
            found = payload.get(field)
            if (found != value) if test == "==" else ((found is None) == (test == "set")):
                return None
        extras = None
        schemas = self.schemas
        if schemas is not None:
            extras = bound.extras  # the kind's last payload had undocumented fields
            if extras is None or tuple(payload) != extras.keys or not extras.allows(payload):
                valid = bound.valid
                if valid is None:
                    valid = bound.valid = schemas.is_valid(kind) or _anything
                if valid(payload):
                    extras = None
                else:
                    extras = schemas.recall(kind, payload)
                    if extras is None:
                        return None
                    if extras.token not in self.quiet:
                        warned = self.warned
                        if not all(_warning_key(kind, i) in warned for i in extras.issues):
                            return None  # not reported yet: the full way reports it
                        self.quiet[extras.token] = (kind, extras.issues)
                    bound.extras = extras
        fold = self.fold
        if fold is not None and bound.take:
            take = self.take
            if take is None or not take(kind, payload):
                return None
        # Everything holds: the state changes the full way would make.
        for name, field, _ in bound.counters:
            counter_last[name] = payload[field]
            if name not in self.counter_seen:  # only whether it was ever seen is asked
                self.counter_seen[name] = 1
        if members:
            for entry, member in members:
                entry[3] = member
        if changes:
            for role, state, key, created in changes:
                if role == CREATES:
                    state.entries[key] = [index, None, created, None]  # see _entity
                    state.open[key] = index
                    if state.next_number is not None and type(key[0]) is int:
                        state.next_number = key[0] + 1
                else:
                    del state.open[key]
                    state.entries[key][1] = index
        if ended:
            for pieces, key in ended:
                pieces.pop(key, None)
        if moves:
            for progress, key, rank in moves:
                progress[key] = (rank, kind)
        for pieces, paths, piece_path, same in bound.folds:
            if piece_path.__class__ is str:
                piece = payload.get(piece_path)
            elif piece_path.__class__ is tuple:  # two steps (delta.partial_json), inline
                inner = payload.get(piece_path[0])
                piece = inner.get(piece_path[1]) if inner.__class__ is dict else None
            else:
                piece = get_path(payload, piece_path)
            if piece.__class__ is str:
                key = keys[same] if same >= 0 else _key(payload, paths)
                if key is not None:
                    pieces.setdefault(key, []).append(piece)
        if extras is not None:
            quiet = self.quiet_counts
            quiet[extras.token] = quiet.get(extras.token, 0) + 1
        self.events_seen += 1
        self.last_payload = payload
        self.counts[kind] += 1
        if fold is not None and not bound.take:
            fold.feed(kind, payload)
        if not bound.rules:
            return []
        out: list[Violation] = []
        self._rules(bound.rules, index, ev, kind, payload, out)
        return self._stamp(out, ev, index) if out else []

    def _decode(self, ev: ServerSentEvent, out: list[Violation]) -> Any:
        """The payload of data orjson refused: a JSON value json takes (NaN, a lone
        surrogate, a huge integer), else what ``_decode_slowly`` makes of it."""
        data = ev.data
        try:
            payload, end = _raw_decode(data)
            if end != len(data) and data[end:].strip():
                raise ValueError("trailing data after the JSON value")
        except (ValueError, RecursionError):
            return self._decode_slowly(ev, out)
        return payload

    def _decode_slowly(self, ev: ServerSentEvent, out: list[Violation]) -> Any:
        """The payload of data that is not one bare JSON value: JSON with whitespace around
        it passes; junk after a JSON object is reported and the object is still checked."""
        data = ev.data
        rule = self.spec.stream.json_rule
        try:
            return json.loads(data)
        except RecursionError:
            message = f"{ev.event} data nests deeper than {MAX_DEPTH} levels: its rules are skipped"
            out.append(Violation(message, rule=rule))
            return None
        except ValueError as error:
            problem = f"is not JSON ({error})"
        try:
            payload = _raw_decode(data.strip())[0]
        except (ValueError, RecursionError):
            payload = None
        if not isinstance(payload, dict):
            payload = None
        recovered = "; the rules check the JSON value before it" if payload else ""
        out.append(Violation(f"{ev.event} data {problem}{recovered}", rule=rule))
        return payload

    def _relaxed_schema_finding(
        self, issue: Any, kind: str, ev: ServerSentEvent, index: int
    ) -> Finding:
        """A schema error the stream's dialect explains (a warning unless strict)."""
        assert self.dialect is not None
        return Finding(
            issue.rule,
            Severity.ERROR if self.strict else Severity.WARNING,
            f"{kind}: {issue.message} [{self.dialect.name}: {self.relaxed[issue.rule]}]",
            self.interaction,
            index,
            ev.offset,
            ev.line,
            issue.json_path,
            excerpt_of(ev.data),
            self.rules[issue.rule].source if issue.rule in self.rules else "SPEC",
        )

    def _fold_and_rules(
        self, index: int, ev: ServerSentEvent, kind: str, payload: Any, out: list[Violation]
    ) -> None:
        if self.fold is not None:
            self.fold.feed(kind, payload)
        rules = self.compiled.rules_by_kind.get(kind, ())
        general = self.compiled.any_kind_rules
        if rules or general:
            self._rules((*rules, *general), index, ev, kind, payload, out)

    def _rules(
        self,
        rules: tuple[EventRule, ...],
        index: int,
        ev: ServerSentEvent,
        kind: str,
        payload: Any,
        out: list[Violation],
    ) -> None:
        view = _new_view(EventView, (index, ev, kind, payload))
        stream = self.view
        for event_rule in rules:
            if event_rule.shapes and self.shape not in event_rule.shapes:
                continue
            for violation in event_rule.function(view, stream):
                out.append(violation if violation.rule else replace(violation, rule=event_rule.id))

    def _stamp(self, violations: list[Violation], ev: ServerSentEvent, index: int) -> list[Finding]:
        return [
            self._finding(v.rule or "", v.message, v.json_path, ev, index, v.severity, v.source)
            for v in violations
        ]

    def _kind(self, ev: ServerSentEvent, payload: Any, out: list[Violation]) -> str | None:
        compiled = self.compiled
        if (
            compiled.error_field is not None
            and isinstance(payload, dict)
            and compiled.error_field in payload
            and (compiled.kind_source != "field" or get_path(payload, compiled.kind_path) is None)
        ):
            return compiled.error_kind
        source = compiled.kind_source
        if source == "event":
            return ev.event
        if source == "fixed":
            return compiled.kind_value
        if not isinstance(payload, dict):
            if payload is not None:
                out.append(
                    Violation(
                        f"{ev.event} data is not a JSON object", rule=self.spec.stream.json_rule
                    )
                )
            return None
        kind = get_path(payload, compiled.kind_path)
        if kind is None and compiled.kind_absent:
            kind = next((name for key, name in compiled.kind_absent if key in payload), None)
        if not isinstance(kind, str):
            out.append(
                Violation(
                    f"the payload has no {self.spec.stream.kind.field!r} string",
                    _json_path(self.spec.stream.kind.field or ""),
                    rule=self.spec.stream.json_rule,
                )
            )
            return None
        if compiled.match_rule is not None and ev.event not in ("message", kind):
            out.append(
                Violation(
                    f"the SSE event name {ev.event!r} differs from the payload's "
                    f"{self.spec.stream.kind.field} {kind!r}",
                    _json_path(self.spec.stream.kind.field or ""),
                    rule=compiled.match_rule,
                )
            )
        return kind

    def _framing(self, kind: str, payload: Any, out: list[Violation], seen: int) -> None:
        compiled = self.compiled
        spec = self.spec.stream
        index = self.index
        if (
            self.events_seen == 1
            and spec.first is not None
            and kind not in spec.first.kinds
            and (not spec.first.shapes or self.shape in spec.first.shapes)
            and kind not in compiled.error_kinds
            and not self.resumed
        ):
            out.append(
                Violation(
                    f"the stream opens with {kind}, not {' or '.join(spec.first.kinds)}",
                    rule=spec.first.rule,
                )
            )
        once_rule = compiled.once.get(kind)
        if once_rule is not None and seen:
            out.append(
                Violation(
                    f"a second {kind} (the first was event {self.first_seen[kind]}): it comes once",
                    rule=once_rule,
                )
            )
        if self.error_at is not None and kind not in compiled.after_error:
            after_rule = self.spec.error.after_rule if self.spec.error else None
            if after_rule is not None:
                allowed = " or ".join(sorted(compiled.after_error)) or "nothing"
                out.append(
                    Violation(
                        f"{kind} after the error event at event {self.error_at}: "
                        f"only {allowed} may follow",
                        rule=after_rule,
                    )
                )
        terminal = self.terminal
        if terminal is not None and kind not in compiled.after_terminal:
            assert spec.terminal is not None
            if kind in compiled.terminal_kinds:
                message = (
                    f"a second terminal event {kind} (the first was {terminal[1]} at "
                    f"event {terminal[0]}): exactly one ends the stream"
                )
            else:
                message = (
                    f"{kind} after the terminal event {terminal[1]} at event "
                    f"{terminal[0]}: nothing may follow it"
                )
            out.append(Violation(message, rule=spec.terminal.rule))
        elif terminal is None and kind in compiled.terminal_kinds:
            self.terminal = (index, kind)
            self.fast = {}  # what follows the end goes the full way
        if kind in compiled.error_kinds or (kind == compiled.error_kind and self.spec.error):
            error = self.spec.error
            assert error is not None
            message = get_path(payload, compiled.error_message)
            code = get_path(payload, compiled.error_code) if compiled.error_code else None
            said = ": ".join(str(part) for part in (code, message) if part is not None)
            out.append(
                Violation(
                    f"the server reported an error{': ' + said if said else ''}", rule=error.rule
                )
            )
            if self.error_at is None:
                self.error_at = index
                self.fast = {}

    def _state(self, kind: str, payload: dict[str, Any], out: list[Violation]) -> None:
        compiled = self.compiled
        for counter, path in compiled.counters:
            value = get_path(payload, path)
            name = counter.path
            if value is None:
                self.counter_missing[name] = self.counter_missing.get(name, 0) + 1
                continue
            self.counter_seen[name] = self.counter_seen.get(name, 0) + 1
            last = self.counter_last[name]
            expected = counter.start if last is None else last + 1
            if value != expected and type(value) is int:
                out.append(
                    Violation(
                        f"{name} is {value}, expected {expected}"
                        + (" (it rises by exactly one)" if last is not None else ""),
                        _json_path(name),
                        rule=counter.rule,
                    )
                )
            if type(value) is int:
                self.counter_last[name] = value
        for entry, paths, kinds, placeholders in compiled.identity:
            if kinds and kind not in kinds:
                continue
            identity = self.identity
            for name, path, single in paths:
                value = payload.get(single) if single is not None else get_path(payload, path)
                if value is None or (placeholders and value in placeholders):
                    continue
                first = identity.setdefault(name, value)
                if first != value:
                    # Once per change (a server ticking `created` on every second would
                    # otherwise give a finding per event); identity() keeps the first value.
                    last = self.identity_last.get(name, first)
                    if last != value:
                        self.identity_last[name] = value
                        out.append(
                            Violation(
                                f"{name} changed from {_show(last)} to {_show(value)}: "
                                "it never changes within a stream",
                                _json_path(name),
                                rule=entry.rule,
                            )
                        )
        if kind not in compiled.busy:
            return
        for entity in compiled.entities_of.get(kind, ()):
            if entity.each is None:
                self._entity(entity, kind, payload, out)
                continue
            items = get_path(payload, entity.each)
            for item in items if isinstance(items, list) else ():
                self._entity(entity, kind, item, out)
        for match, path, request_path in compiled.request_match.get(kind, ()):
            self._request_match(match, kind, get_path(payload, path), request_path, out)
        for number, (progression, keys, ranks) in enumerate(compiled.progressions):
            rank = ranks.get(kind)
            if rank is None:
                continue
            key = _key(payload, keys)
            if key is None:
                continue
            before = self.progress[number].get(key)
            if before is not None and before[0] > rank:
                out.append(
                    Violation(
                        f"{kind} after {before[1]} for {_show_key(progression.key, key)}: "
                        "statuses move forward",
                        rule=progression.rule,
                    )
                )
            else:
                self.progress[number][key] = (rank, kind)
        for fold, keys, piece_path in compiled.fold_deltas.get(kind, ()):
            piece = get_path(payload, piece_path)
            if isinstance(piece, str):  # (the key only then: most deltas of a kind are others')
                key = _key(payload, keys)
                if key is not None:
                    self.folds[fold.rule].setdefault(key, []).append(piece)
        for fold, keys, final_path in compiled.fold_dones.get(kind, ()):
            key = _key(payload, keys)
            if key is None:
                continue
            pieces = self.folds[fold.rule].pop(key, None)
            if fold.mode == "json-object" and fold.final is None:
                if pieces is not None:
                    _json_object(fold, key, pieces, out)
                continue
            final = get_path(payload, final_path)
            if pieces is None or not isinstance(final, str):
                continue  # nothing streamed for it (or the schema reports the final's type)
            joined = "".join(pieces)
            if not _adds_up(fold.mode, joined, final, self.resumed):
                out.append(
                    Violation(
                        f"the {len(pieces)} deltas of {_show_key(fold.key, key)} add up to "
                        f"{_show(joined)}, but {kind} says {_show(final)}",
                        _json_path(fold.final or ""),
                        rule=fold.rule,
                    )
                )
        for condition, equals, must_set, must_null in compiled.conditions.get(kind, ()):
            for name, path, value in equals:
                found = get_path(payload, path)
                if found != value:
                    out.append(
                        Violation(
                            f"{kind} carries {name} {_show(found)}, not {_show(value)}",
                            _json_path(name),
                            rule=condition.rule,
                        )
                    )
            for name, path in must_set:
                if get_path(payload, path) is None:
                    out.append(
                        Violation(f"{kind} without {name}", _json_path(name), rule=condition.rule)
                    )
            for name, path in must_null:
                if get_path(payload, path) is not None:
                    out.append(
                        Violation(
                            f"{kind} carries {name}, which should be null here",
                            _json_path(name),
                            rule=condition.rule,
                        )
                    )

    def _request_match(
        self, match: Any, kind: str, value: Any, request_path: Path, out: list[Violation]
    ) -> None:
        """``[[request_match]]``: ``value`` must equal the request body's value at
        ``request_path`` (nothing to compare without a request or a JSON body)."""
        if value is None:
            return
        body = self._request_body
        if body is None:
            request = self.setup.request
            try:
                body = json.loads(request.body) if request is not None else _NO_BODY
            except (ValueError, RecursionError):
                body = _NO_BODY
            self._request_body = body
        if body is _NO_BODY or not isinstance(body, dict):
            return
        expected = get_path(body, request_path)
        if expected != value:
            said = "has none" if expected is None else f"has {_show(expected)}"
            out.append(
                Violation(
                    f"{kind} carries {match.path} {_show(value)}, but the request's "
                    f"{match.request} {said}",
                    _json_path(match.path),
                    rule=match.rule,
                )
            )

    def _entity(self, entity: EntityPlan, kind: str, payload: Any, out: list[Violation]) -> None:
        spec = entity.spec
        if entity.defaults is None:
            key = _key(payload, entity.keys)
        else:
            key = tuple(
                default if (found := get_path(payload, path)) is None else found
                for path, default in zip(entity.keys, entity.defaults, strict=True)
            )
            if any(part is None or isinstance(part, (dict, list)) for part in key):
                key = None
        if key is None:
            return
        state = self.entities[spec.name]
        entries, open_ = state.entries, state.open
        ends = entity.ends is not None and get_path(payload, entity.ends) is not None
        if kind in entity.created or (spec.open_on_member and key not in entries):
            if key in entries:
                out.append(
                    Violation(
                        f"{spec.name} {_show_key(spec.key, key)} is created again "
                        f"(first at event {entries[key][0]})",
                        rule=spec.once_rule or spec.rule,
                    )
                )
                return
            if state.next_number is not None:
                if key[0] != state.next_number and not (
                    self.resumed and type(key[0]) is int and key[0] > state.next_number
                ):
                    out.append(
                        Violation(
                            f"{spec.name} {_show_key(spec.key, key)} is created where "
                            f"{spec.key[0]} {state.next_number} comes next",
                            _json_path(spec.key[0]),
                            rule=spec.rule,
                        )
                    )
                if type(key[0]) is int:
                    state.next_number = key[0] + 1
            if spec.one_open and open_:
                other = next(iter(open_))
                out.append(
                    Violation(
                        f"{spec.name} {_show_key(spec.key, key)} starts while {spec.name} "
                        f"{_show_key(spec.key, other)} is still open",
                        rule=spec.rule,
                    )
                )
            kind_of = get_path(payload, entity.type) if entity.type is not None else None
            entries[key] = [self.index, None, kind_of, None]  # created, ended, type, last member
            open_[key] = self.index
            if ends:  # created and ended by one event (a terminal field)
                del open_[key]
                entries[key][1] = self.index
            return
        if key not in open_ and self.resumed and key not in entries:
            entries[key] = [None, None]  # created before the resume point
            open_[key] = -1
        if key not in open_:
            entry = entries.get(key)
            problem = "was never created" if entry is None else f"already ended at event {entry[1]}"
            rule = (
                spec.once_rule
                if (entry is not None and (kind in entity.terminal or ends) and spec.once_rule)
                else spec.rule
            )
            out.append(
                Violation(
                    f"{kind} refers to {spec.name} {_show_key(spec.key, key)}, which {problem}",
                    _json_path(spec.key[0]) if len(spec.key) == 1 else None,
                    rule=rule,
                )
            )
            return
        if spec.fits or spec.last:
            self._fits(entity, kind, payload, key, entries[key], out)
        if kind in entity.terminal or ends:
            del open_[key]
            entries[key][1] = self.index

    def _fits(
        self,
        entity: EntityPlan,
        kind: str,
        payload: Any,
        key: tuple[Any, ...],
        entry: list[Any],
        out: list[Violation],
    ) -> None:
        """A member that does not fit its entity's type, or that comes after the member that
        must come last (``[[entities]] fits`` and ``last``)."""
        kind_of = entry[2] if len(entry) > 2 else None
        if kind_of.__class__ is not str:
            return  # created before a resume point, or without a type: nothing to hold it to
        spec = entity.spec
        last = spec.last.get(kind_of) if spec.last else None
        if kind in entity.terminal:
            if last is not None and entry[3] != last:
                out.append(
                    Violation(
                        f"{spec.name} {_show_key(spec.key, key)} ({kind_of}) ends without "
                        f"{last} just before it",
                        rule=spec.last_rule or spec.rule,
                    )
                )
            return
        member = get_path(payload, entity.member_type) if entity.member_type is not None else kind
        allowed = spec.fits.get(kind_of)
        if allowed is not None and member not in allowed:
            takes = ", ".join(allowed) if allowed else "nothing"
            out.append(
                Violation(
                    f"{member} on {spec.name} {_show_key(spec.key, key)}, a {kind_of}, "
                    f"which takes {takes}",
                    _json_path(spec.member_type or ""),
                    rule=spec.fits_rule or spec.rule,
                )
            )
        if last is not None:
            if entry[3] == last:
                out.append(
                    Violation(
                        f"{member} after {last} on {spec.name} {_show_key(spec.key, key)}: "
                        f"{last} comes last, just before it ends",
                        _json_path(spec.member_type or ""),
                        rule=spec.last_rule or spec.rule,
                    )
                )
                return  # the last member stays the one that came last
            entry[3] = member

    def finish(self, *, end_offset: int, cut: str | None) -> Iterator[Finding]:
        """Completeness findings once the body has ended."""
        if self.held and self.decide_schemas is not None:
            self.schemas = self.decide_schemas([payload for _, _, _, payload in self.held])
            self.decide_schemas = None
            yield from self._release()
        self.index = -1
        spec = self.spec
        end = ServerSentEvent("", "", offset=end_offset)
        suffix = f" ({cut})" if cut else ""
        out: list[Violation] = []
        errored = self.error_at is not None
        terminal = spec.stream.terminal
        if (
            terminal is not None
            and terminal.required
            and self.terminal is None
            and not errored
            and self.events_seen
        ):
            kinds = ", ".join(terminal.kinds)
            out.append(
                Violation(
                    f"the stream ends without a terminal event ({kinds}){suffix}",
                    rule=terminal.missing_rule or terminal.rule,
                )
            )
        last = self.compiled.last
        if last is not None and not errored and isinstance(self.last_payload, dict):
            absent = [name for name, path in last[1] if not _all_set(self.last_payload, path)]
            if absent:
                out.append(
                    Violation(
                        f"the last event has no {', '.join(absent)}: the stream did not "
                        f"finish{suffix}",
                        rule=last[0].rule,
                    )
                )
        sentinel = spec.stream.sentinel
        if (
            sentinel is not None
            and sentinel.required
            and self.sentinel_at is None
            and (not errored or sentinel.after_error)
        ):
            out.append(
                Violation(f"the stream ends without {sentinel.data}{suffix}", rule=sentinel.rule)
            )
        elif sentinel is not None and self.sentinel_ev is not None:
            name = sentinel.event or sentinel.data
            late = [f"{self.after_sentinel} events follow {name}"]
            late = late if self.after_sentinel > 1 else []
            if cut is not None and "unfinished" in cut:
                late.append(f"the body goes on after {name}: {cut}")
            at = self.sentinel_ev, self.sentinel_at
            for message in late:  # located at the sentinel
                yield self._finding(sentinel.rule, message, None, *at)
        for counter, _ in self.compiled.counters:
            missing = self.counter_missing.get(counter.path, 0)
            if missing and not self.counter_seen.get(counter.path):
                out.append(
                    Violation(
                        f"no event carries {counter.path} (a body from before the field existed?)",
                        rule=counter.rule,
                        severity=counter.missing_severity,
                    )
                )
            elif missing:
                out.append(
                    Violation(
                        f"{missing} event(s) lack {counter.path} while others carry it",
                        rule=counter.rule,
                    )
                )
        if not errored and cut is None:
            for name, state in self.entities.items():
                if state.spec.spec.open_at_end or not state.open:
                    continue
                keys = ", ".join(_show_key(state.spec.spec.key, key) for key in state.open)
                out.append(
                    Violation(f"{name} still open at the end: {keys}", rule=state.spec.spec.rule)
                )
        for end_rule in self.compiled.end_rules:
            if end_rule.shapes and self.shape not in end_rule.shapes:
                continue
            for violation in end_rule.function(self.view):
                out.append(violation if violation.rule else replace(violation, rule=end_rule.id))
        for violation in out:
            finding = self._finding(
                violation.rule or "",
                violation.message,
                violation.json_path,
                end,
                None,
                violation.severity,
            )
            yield replace(finding, excerpt=None, line=None)
        yield from self._repeated_warnings()

    def _repeated_warnings(self) -> Iterator[Finding]:
        """One note per schema warning that was repeated (each is reported where it first
        appeared in its kind)."""
        warned = self.warned
        for token, count in self.quiet_counts.items():
            kind, issues = self.quiet[token]
            for issue in issues:
                warned[_warning_key(kind, issue)][1] += count
        for (kind, *_), (issue, count) in warned.items():
            if count:
                yield Finding(
                    issue.rule,
                    Severity.INFO,
                    f"{kind}: {count} more time(s) the same warning, reported once "
                    f"({issue.message})",
                    self.interaction,
                    json_path=issue.json_path,
                    source=self.rules[issue.rule].source if issue.rule in self.rules else "SPEC",
                )

    def carry(self) -> object | None:
        """What the next stream of the cassette should know: the folded object and the
        entities still open (``StreamView.previous``)."""
        return Carried(
            self.fold.result() if self.fold is not None else None,
            {
                name: {key: state[key] for key in tracker.open}
                for name, tracker in self.entities.items()
                if tracker.open and (state := tracker.snapshot())
            },
        )

    def final(self) -> Any:
        """The profile's final object for this stream (None without a fold)."""
        return self.fold.result() if self.fold is not None else None


def _json_object(
    fold: FoldSpec, key: tuple[Any, ...], pieces: list[str], out: list[Violation]
) -> None:
    """A ``json-object`` fold's pieces must join into one JSON object (none: ``{}``)."""
    joined = "".join(pieces)
    problem = _not_an_object(joined)
    if problem is None:
        return
    out.append(
        Violation(
            f"the {len(pieces)} pieces of {_show_key(fold.key, key)} join into "
            f"{_show(joined)}, {problem}",
            rule=fold.rule,
        )
    )


def _not_an_object(joined: str) -> str | None:
    """What keeps ``joined`` from being one JSON object (blank is ``{}``), else None."""
    try:
        value = json.loads(joined) if joined.strip() else {}
    except (ValueError, RecursionError) as error:
        return f"which is not JSON ({error})"
    return None if isinstance(value, dict) else f"a JSON {type(value).__name__}, not an object"


def _adds_up(mode: str, joined: str, final: str, resumed: bool) -> bool:
    """The pieces of a fold say what its done event says (as JSON where the mode says;
    a resumed stream lost the pieces before its resume point)."""
    return (
        joined == final or _same_json(mode, joined, final) or (resumed and final.endswith(joined))
    )


def _same_json(mode: str, joined: str, final: str) -> bool:
    if mode not in ("json", "json-object"):
        return False
    try:
        return bool(json.loads(joined or "{}") == json.loads(final or "{}"))
    except ValueError:
        return False
