"""Profiles: the contracts a stream can be checked against, and how a stream is recognised.

A profile is a declarative file (``profile.toml``, see :mod:`recorder.profiles._spec`) plus,
where data cannot say it, a few ``@rule`` functions (:mod:`recorder.validate.context`); one
engine (:mod:`recorder.validate.engine`) checks every such profile. Profiles come from three
places, all through :func:`get_profile`:

- built in: each folder of this package holding a ``profile.toml`` (``responses``, ``chat``,
  ``anthropic``, ``gemini``, ``mcp``, ``generic``...), and ``assistants``, whose checker
  predates the engine;
- installed packages: the entry point group ``sse_recorder.profiles``, each entry naming a
  profile file (``pkg:profile.toml`` as a resource) or an object that is a :class:`Profile`;
- a path: ``--profile path/to/profile.toml`` anywhere a profile is accepted.

:func:`detect` recognises a stream: by its recorded request (method and path, the profiles'
``[[endpoints]]``), else by its first events (``[detect]``), else ``generic``, which checks
only what every SSE stream must hold. Reports, snapshots, diffs and faults ask a profile's
:class:`ProfileView` what to show, fold and treat as volatile; none of them names an API.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from recorder.errors import ProfileError
from recorder.validate.context import EndRule, EventRule, get_path, parse_path
from recorder.validate.findings import Finding, Severity
from recorder.wire.payload import decode

if TYPE_CHECKING:
    from recorder.cassette import RecordedRequest
    from recorder.profiles._spec import DialectSpec, ProfileSpec, ViewSpec
    from recorder.wire.sse import ServerSentEvent

__all__ = [
    "AUTO",
    "ENTRY_POINT_GROUP",
    "GENERIC",
    "Endpoint",
    "Profile",
    "ProfileView",
    "Rule",
    "StreamChecker",
    "StreamSetup",
    "detect",
    "first_events",
    "get_profile",
    "installed_profiles",
    "profile_for",
    "profile_names",
    "resolve_profile_option",
]

AUTO = "auto"
GENERIC = "generic"
ENTRY_POINT_GROUP = "sse_recorder.profiles"
#: How many events :func:`detect` looks at in a raw body.
SNIFF_EVENTS = 8


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's identity: id, where it comes from, default severity, one-line summary."""

    id: str
    source: str  # SPEC, SDK, EX (or "SPEC/EX")
    severity: Severity
    summary: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Requests matching ``method`` and the ``path`` regex produce streams of ``shape``.

    Named groups in ``path`` (``thread_id``, ``run_id``) become facts the rules can check.
    """

    method: str
    path: str
    shape: str

    def match(self, request: RecordedRequest) -> dict[str, str] | None:
        """The path's named groups when ``request`` hits this endpoint, else None."""
        if request.method.upper() != self.method:
            return None
        found = re.search(self.path, request.path) or (
            re.search(self.path, request.requested_path)
            if request.requested_path != request.path
            else None
        )
        return found.groupdict() if found else None


@dataclass(slots=True)
class StreamSetup:
    """What a checker knows about one stream before its first event."""

    interaction: int | None
    request: RecordedRequest | None
    shape: str | None  # None: unknown endpoint, infer from the events
    facts: dict[str, str] = field(default_factory=dict)  # from the endpoint's path
    strict: bool = False
    schemas: bool = True
    #: What the previous stream of the same cassette left behind (profile-specific).
    previous: object | None = None
    #: The provider dialect in force (recognised from the recording, or chosen), if any.
    dialect_spec: DialectSpec | None = None


class StreamChecker(Protocol):
    """Checks one stream, event by event; made by ``Profile.checker(setup)``."""

    def event(self, index: int, event: ServerSentEvent) -> Iterable[Finding]:
        """Findings about event number ``index`` (0-based, the sentinel included)."""
        ...

    def finish(self, *, end_offset: int, cut: str | None) -> Iterator[Finding]:
        """Findings once the body has ended (``cut`` says how, when it did not end cleanly)."""
        ...

    def carry(self) -> object | None:
        """What the next stream of the same cassette should know (see ``StreamSetup``)."""
        ...


def _delta_paths(paths: Sequence[str]) -> tuple[tuple[tuple[str | int, ...], ...], ...]:
    """``"choices[].delta.content"`` -> segments split at each ``[]`` (a list to iterate)."""
    return tuple(tuple(parse_path(part) for part in path.split("[]")) for path in paths)


def _pieces(value: Any, segments: Sequence[tuple[str | int, ...]]) -> Iterator[Any]:
    value = get_path(value, segments[0])
    if len(segments) == 1:
        yield value
        return
    if isinstance(value, list):
        for item in value:
            yield from _pieces(item, segments[1:])


class ProfileView:
    """What reports, snapshots, diffs and faults ask a profile (its ``[view]`` data)."""

    def __init__(
        self,
        spec: ViewSpec | None,
        *,
        sentinel: str | None,
        sentinel_event: str | None,
        kind_field: str | None,
        kind_from: str,
        fixed_kind: str | None,
        terminal: Iterable[str] = (),
        kind_absent: Mapping[str, str] | None = None,
    ) -> None:
        self.delta_paths = _delta_paths(spec.delta_text if spec else ())
        self.summary = tuple(spec.summary) if spec else ("id", "status", "type")
        self.lanes = tuple((lane, prefix) for lane, prefix in (spec.lanes if spec else ()))
        self.fold_key = tuple(parse_path(path) for path in (spec.fold_key if spec else ()))
        self.not_joined = frozenset(spec.not_joined if spec else ())
        self.volatile = tuple(spec.volatile if spec else ())
        self.error_event = spec.error_event if spec else None
        self.error_follow = spec.error_follow if spec else None
        #: The data that closes the stream (``[DONE]``) and its event name, if any.
        self.sentinel = sentinel
        self.sentinel_event = sentinel_event
        self.terminal = frozenset(terminal)
        self._kind_path = parse_path(kind_field or "")
        self._kind_from = kind_from
        self._fixed = fixed_kind
        self._absent = tuple((kind_absent or {}).items())

    def kind(self, event_name: str, payload: Any) -> str:
        """What the profile calls an event (its SSE name, its ``type``, or the fixed kind)."""
        if self._kind_from == "field" and isinstance(payload, dict):
            kind = get_path(payload, self._kind_path)
            if isinstance(kind, str):
                return kind
            for key, name in self._absent:
                if key in payload:
                    return name
        if self._kind_from == "fixed" and self._fixed:
            return self._fixed
        return event_name

    def is_sentinel(self, event: ServerSentEvent) -> bool:
        """True for the event that closes the stream (``data: [DONE]``)."""
        return self.closes(event.event, event.data)

    def closes(self, name: str, data: str) -> bool:
        """True when an event named ``name`` with ``data`` is the closing sentinel."""
        return (
            self.sentinel is not None
            and data == self.sentinel
            and (self.sentinel_event is None or name == self.sentinel_event)
        )

    def delta_text(self, payload: Any) -> str | None:
        """The text a delta event carries (joined over list items), or None."""
        if not self.delta_paths or not isinstance(payload, dict):
            return None
        for segments in self.delta_paths:
            found = [piece for piece in _pieces(payload, segments) if isinstance(piece, str)]
            if found:
                return "".join(found)
        return None

    def lane(self, kind: str, payload: Any) -> str:
        """The timeline lane of an event: ``delta`` for deltas, else the first matching prefix."""
        if self.delta_text(payload) is not None:
            return "delta"
        for lane, prefix in self.lanes:
            if kind.startswith(prefix):
                return lane
        return "other"

    def lane_names(self) -> tuple[str, ...]:
        """The lanes in display order (``delta`` and ``other`` last)."""
        names: list[str] = []
        for lane, _ in self.lanes:
            if lane not in names:
                names.append(lane)
        return (*[n for n in names if n not in ("delta", "other")], "delta", "other")

    def fold_identity(self, kind: str, payload: Any) -> tuple[Any, ...]:
        """Whose delta an event is (kind plus the ``fold_key`` values): runs of equal identity
        fold into one event in folded snapshots."""
        return (
            kind,
            *(json.dumps(get_path(payload, path), sort_keys=True) for path in self.fold_key),
        )


@dataclass(frozen=True, slots=True)
class Profile:
    """A contract: its rules, endpoints, view, and a checker factory."""

    name: str
    description: str
    rules: Mapping[str, Rule]
    endpoints: tuple[Endpoint, ...]
    checker: Callable[[StreamSetup], StreamChecker]
    view: ProfileView
    #: Rule id for framing problems found below the events (invalid UTF-8, a block without
    #: data that was never dispatched, stray lines).
    framing_rule: str = "F1"
    #: Where it comes from: "built-in", "entry point NAME (dist)", or a file path.
    origin: str = "built-in"
    spec: ProfileSpec | None = None
    #: Makes the fold of a stream's final object (None: the profile folds nothing).
    fold_factory: Callable[[], Any] | None = None
    #: Recognition from events: a function of the first (kind, payload) pairs -> claims.
    claims: Callable[[Sequence[tuple[ServerSentEvent, Any]]], bool] | None = None
    priority: int = 0
    dialects: tuple[DialectSpec, ...] = ()

    def endpoint_for(self, request: RecordedRequest | None) -> tuple[str | None, dict[str, str]]:
        """The stream shape and path facts of ``request`` (``(None, {})`` when unknown)."""
        if request is None:
            return None, {}
        for endpoint in self.endpoints:
            facts = endpoint.match(request)
            if facts is not None:
                return endpoint.shape, facts
        return None, {}

    def dialect_for(
        self,
        request: RecordedRequest | None,
        response_headers: Sequence[tuple[str, str]] = (),
        chosen: str | None = None,
    ) -> DialectSpec | None:
        """The dialect named ``chosen``, else the one the recorded host or headers show."""
        if chosen:
            for dialect in self.dialects:
                if dialect.name == chosen:
                    return dialect
            known = ", ".join(d.name for d in self.dialects) or "none"
            raise ProfileError(f"profile {self.name} has no dialect {chosen!r} (known: {known})")
        host = ""
        if request is not None:
            from urllib.parse import urlsplit

            host = urlsplit(request.url).hostname or ""
        headers = {name.lower(): value for name, value in response_headers}
        for dialect in self.dialects:
            if host and any(re.search(pattern, host) for pattern in dialect.hosts):
                return dialect
            if dialect.headers and all(
                name.lower() in headers and re.search(pattern, headers[name.lower()])
                for name, pattern in dialect.headers.items()
            ):
                return dialect
        return None

    def final_of(self, events: Iterable[ServerSentEvent]) -> Any:
        """The final object a stream's events fold into (None when the profile has no fold)."""
        # Bounded: a payload nested past MAX_DEPTH stays text (out of the fold), as the
        # validator keeps it out of its rules.
        return self.fold_payloads((event.event, decode(event.data)[0]) for event in events)

    def fold_payloads(self, events: Iterable[tuple[str, Any]]) -> Any:
        """The final object of already decoded events: ``(event name, payload)``, a payload
        that is not JSON given as its text (None when the profile has no fold)."""
        if self.fold_factory is None:
            return None
        fold = self.fold_factory()
        view = self.view
        for name, payload in events:
            if isinstance(payload, str):
                if view.closes(name, payload):
                    continue
                payload = None
            fold.feed(view.kind(name, payload), payload)
        return fold.result()


# --------------------------------------------------------------------------- building


def _rules_of(spec: ProfileSpec) -> dict[str, Rule]:
    return {
        rule_id: Rule(rule_id, rule.source, Severity(rule.severity), rule.summary)
        for rule_id, rule in spec.rules.items()
    }


def _import(target: str, where: str) -> Any:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # an import error of any kind: one line naming it
        raise ProfileError(f"{where}: cannot import {module_name!r}: {error}") from None
    if not attribute:
        return module
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ProfileError(f"{where}: {module_name!r} has no {attribute!r}") from None


def _rule_functions(spec: ProfileSpec, where: str) -> tuple[list[EventRule], list[EndRule]]:
    if not spec.rules_module:
        return [], []
    module = _import(spec.rules_module, where)
    event_rules = [v for v in vars(module).values() if isinstance(v, EventRule)]
    end_rules = [v for v in vars(module).values() if isinstance(v, EndRule)]
    for registered in [*(r.id for r in event_rules), *(r.id for r in end_rules)]:
        if registered not in spec.rules:
            raise ProfileError(
                f"{where}: {spec.rules_module} has a rule {registered!r} that the profile "
                "does not declare under [rules]"
            )
    return event_rules, end_rules


def _claims(spec: ProfileSpec, view: ProfileView) -> Callable[[Sequence[tuple[Any, Any]]], bool]:
    detect = spec.detect
    kinds = frozenset(detect.kinds)
    fields = tuple((parse_path(path), value) for path, value in detect.fields.items())
    keys = tuple(parse_path(path) for path in detect.keys)
    skip = tuple((parse_path(path), value) for path, value in detect.skip.items())

    def claims(events: Sequence[tuple[ServerSentEvent, Any]]) -> bool:
        for event, payload in events:
            if view.is_sentinel(event) or event.data.strip() == "":
                continue
            if skip and all(get_path(payload, path) == value for path, value in skip):
                continue
            if kinds and view.kind(event.event, payload) not in kinds:
                return False
            if fields and not all(get_path(payload, path) == value for path, value in fields):
                return False
            if keys and not all(get_path(payload, path) is not None for path in keys):
                return False
            return bool(kinds or fields or keys)
        return False

    return claims


def build_profile(spec: ProfileSpec, origin: str, schema_folder: Any = None) -> Profile:
    """A :class:`Profile` from a validated spec (the engine checks its streams)."""
    from recorder.validate.engine import CompiledProfile, EngineChecker

    where = origin
    event_rules, end_rules = _rule_functions(spec, where)
    compiled = CompiledProfile(spec, event_rules, end_rules)
    fold_factory: Callable[[], Any] | None = None
    if spec.fold:
        fold_factory = _import(spec.fold, where)
        if not callable(fold_factory):
            raise ProfileError(f"{where}: fold {spec.fold!r} is not a class")
    schema_name: str | None = None
    if spec.schemas is not None:
        schema_name = spec.schemas.dir
        if schema_folder is not None:
            from recorder.cassette.resources import register_schema_folder

            schema_name = f"{spec.name}@{abs(hash(str(schema_folder))):x}"
            register_schema_folder(schema_name, schema_folder)
    stream = spec.stream
    view = ProfileView(
        spec.view,
        sentinel=stream.sentinel.data if stream.sentinel else None,
        sentinel_event=stream.sentinel.event if stream.sentinel else None,
        kind_field=stream.kind.field,
        kind_from=stream.kind.source,
        fixed_kind=stream.kind.value,
        terminal=stream.terminal.kinds if stream.terminal else (),
        kind_absent=stream.kind.absent,
    )
    profile: Profile

    def checker(setup: StreamSetup) -> StreamChecker:
        schemas: Any = None
        decide: Callable[[list[Any]], Any] | None = None
        if schema_name is not None and setup.schemas:
            from recorder.validate.schemas import SchemaSet, infer_version

            def decide_version(payloads: list[Any]) -> Any:
                version = infer_version(schema_name, setup.request, payloads)
                return SchemaSet.load(schema_name, version)

            decide = decide_version
            header = spec.schemas.version_header if spec.schemas else None
            request = setup.request
            if not compiled.version_kinds or (
                request is not None and header and request.header(header)
            ):
                schemas, decide = decide_version([]), None
        return EngineChecker(profile, compiled, setup, schemas, fold_factory, decide)

    profile = Profile(
        name=spec.name,
        description=spec.title + (f": {spec.description}" if spec.description else ""),
        rules=_rules_of(spec),
        endpoints=tuple(Endpoint(e.method.upper(), e.path, e.shape) for e in spec.endpoints),
        checker=checker,
        view=view,
        framing_rule=stream.framing_rule or stream.json_rule,
        origin=origin,
        spec=spec,
        fold_factory=fold_factory,
        claims=_claims(spec, view),
        priority=spec.detect.priority,
        dialects=tuple(spec.dialects),
    )
    return profile


def load_profile_file(path: str | Path) -> Profile:
    """The profile in a TOML file; its ``[schemas] dir`` is relative to the file."""
    from recorder.profiles._spec import load_spec

    file = Path(path)
    if not file.is_file():
        raise ProfileError(f"{file}: no such profile file")
    spec = load_spec(file)
    folder = None
    if spec.schemas is not None:
        folder = (file.parent / spec.schemas.dir).resolve()
        if not (folder / "profile.json").is_file():
            raise ProfileError(
                f"{file}: its schemas folder {folder} has no profile.json "
                "(see schemas/<profile>/profile.json for the format)"
            )
        _check_schema_folder(file, folder)
    return build_profile(spec, str(file), folder)


def _check_schema_folder(file: Path, folder: Path) -> None:
    """A profile file's own schemas: every version its profile.json lists has its
    deviations.json and events/ (found now, not at the first stream)."""
    where = folder / "profile.json"
    try:
        meta = json.loads(where.read_text(encoding="utf-8"))
        versions = meta["versions"]
        default = meta["default_version"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        problem = f"no {error}" if isinstance(error, KeyError) else str(error)
        raise ProfileError(f"{file}: its {where} is not a schema profile.json: {problem}") from None
    if not isinstance(versions, list) or default not in versions:
        raise ProfileError(f"{file}: its {where} lists no version {default!r} (default_version)")
    for version in versions:
        for needed in ("deviations.json", "events"):
            if not (folder / str(version) / needed).exists():
                raise ProfileError(f"{file}: its schemas folder has no {version}/{needed}")


# --------------------------------------------------------------------------- registry


def _builtin_folders() -> dict[str, Any]:
    root = resources.files(__name__)
    return {
        entry.name: entry
        for entry in root.iterdir()
        if entry.is_dir() and (entry / "profile.toml").is_file()
    }


#: Profiles whose checker is written in Python (module path -> defines PROFILE).
_PYTHON_BUILTINS: dict[str, str] = {}


@cache
def _entry_points() -> dict[str, metadata.EntryPoint]:
    return {entry.name: entry for entry in metadata.entry_points(group=ENTRY_POINT_GROUP)}


@cache
def profile_names() -> tuple[str, ...]:
    """Names of the profiles this installation has (built in and from entry points)."""
    names = set(_builtin_folders()) | set(_PYTHON_BUILTINS) | set(_entry_points())
    return tuple(sorted(names))


def installed_profiles() -> list[tuple[str, str]]:
    """``(name, where it comes from)`` of every installed profile, by name."""
    out: list[tuple[str, str]] = []
    folders = _builtin_folders()
    entries = _entry_points()
    for name in profile_names():
        if name in folders:
            out.append((name, f"built-in (recorder/profiles/{name}/profile.toml)"))
        elif name in _PYTHON_BUILTINS:
            out.append((name, f"built-in ({_PYTHON_BUILTINS[name]})"))
        else:
            entry = entries[name]
            dist = entry.dist.name if entry.dist is not None else "?"
            out.append((name, f"entry point {entry.value} (package {dist})"))
    return out


def _looks_like_path(name: str) -> bool:
    return name.endswith((".toml", ".TOML")) or "/" in name or "\\" in name


@cache
def get_profile(name: str) -> Profile:
    """The profile called ``name``, or the profile file at that path.

    ``ProfileError`` (one line naming what is wrong) for an unknown name, a malformed file,
    a missing schema file, or an entry point that fails to import.
    """
    if _looks_like_path(name):
        return load_profile_file(name)
    folders = _builtin_folders()
    if name in folders:
        from recorder.profiles._spec import load_spec

        folder = folders[name]
        spec = load_spec(Path(str(folder / "profile.toml")))
        return build_profile(spec, "built-in")
    if name in _PYTHON_BUILTINS:
        module = importlib.import_module(_PYTHON_BUILTINS[name])
        profile = getattr(module, "PROFILE", None)
        if not isinstance(profile, Profile):
            raise ProfileError(f"module {module.__name__} defines no PROFILE")
        return profile
    entry = _entry_points().get(name)
    if entry is None:
        known = ", ".join(profile_names()) or "none"
        raise ProfileError(f"unknown profile {name!r} (known: {known}, or a path to a .toml)")
    return _from_entry_point(entry)


def _from_entry_point(entry: metadata.EntryPoint) -> Profile:
    where = f"entry point {entry.name} = {entry.value!r} (group {ENTRY_POINT_GROUP})"
    try:
        loaded = entry.load()
    except Exception as error:  # whatever the plugin raises: one line naming the entry point
        raise ProfileError(f"{where}: cannot load: {type(error).__name__}: {error}") from None
    if isinstance(loaded, Profile):
        return loaded
    if callable(loaded):
        try:
            loaded = loaded()
        except Exception as error:
            raise ProfileError(f"{where}: failed: {type(error).__name__}: {error}") from None
    if isinstance(loaded, Profile):
        return loaded
    if isinstance(loaded, (str, Path)) or hasattr(loaded, "read_text"):
        return load_profile_file(str(loaded))
    raise ProfileError(f"{where}: gives {type(loaded).__name__}, not a Profile or a file path")


def resolve_profile_option(name: str | None) -> str:
    """Check a ``--profile`` value early (usage error for an unknown one); ``auto`` passes."""
    if name is None or name == AUTO:
        return AUTO
    get_profile(name)
    return name


# --------------------------------------------------------------------------- detection


def _decoded(event: ServerSentEvent) -> Any:
    payload, is_json = decode(event.data)
    return payload if is_json else None


@cache
def _candidates() -> tuple[Profile, ...]:
    found: list[Profile] = []
    for name in profile_names():
        if name == GENERIC:
            continue
        try:
            found.append(get_profile(name))
        except ProfileError:
            continue  # a broken plugin profile is reported when asked for by name
    return tuple(sorted(found, key=lambda p: -p.priority))


def detect(request: RecordedRequest | None, events: Iterable[ServerSentEvent]) -> Profile:
    """The profile of a stream: by its request's endpoint, else its first events, else
    ``generic``. ``events`` is read only as far as needed (at most ``SNIFF_EVENTS``)."""
    candidates = _candidates()
    if request is not None:
        for profile in candidates:
            if profile.endpoint_for(request)[0] is not None:
                return profile
    sample: list[tuple[ServerSentEvent, Any]] = []
    for event in events:
        sample.append((event, _decoded(event)))
        if len(sample) >= SNIFF_EVENTS:
            break
    for profile in candidates:
        if profile.claims is not None and profile.claims(sample):
            return profile
    return get_profile(GENERIC)


#: How much of a body :func:`profile_for` reads at most to recognise it.
SNIFF_BYTES = 1 << 20


def first_events(chunks: Iterable[Any]) -> Iterator[ServerSentEvent]:
    """The events of the first ``SNIFF_BYTES`` of a body (chunks as bytes or ``Chunk``).

    A body whose blocks never end (no blank line: nothing is dispatched, which the validator
    reports) is read line by line instead, so it is still judged by its API's profile."""
    from recorder.wire.sse import SSEParser

    parser = SSEParser(keep_comments=False)
    size = 0
    seen = False
    head: list[bytes] = []
    for chunk in chunks:
        data = chunk.data if hasattr(chunk, "data") else chunk
        for event in parser.feed(data):
            seen = True
            yield event
        if not seen:
            head.append(data)
        size += len(data)
        if size > SNIFF_BYTES:
            break
    if not seen:
        yield from _line_events(b"".join(head)[:SNIFF_BYTES])


def _line_events(body: bytes) -> Iterator[ServerSentEvent]:
    """Each ``data:`` line as an event (named by the ``event:`` line before it): for
    recognition only, never for judging."""
    from recorder.wire.sse import ServerSentEvent as Event

    name = "message"
    for line in body.decode("utf-8", "replace").splitlines():
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value or "message"
        elif field == "data":
            yield Event(name, value)
            name = "message"


def profile_for(cassette: Any, interaction: Any, chosen: str | None = None) -> Profile:
    """The profile of one recorded stream, the same everywhere (validate, show, report, diff,
    snapshots, the pytest plugin): ``chosen`` when given (not ``auto``); else the profile the
    cassette names (``record --profile``); else a profile whose endpoint the recorded request
    hits; else one that claims the first events; else ``generic``."""
    if chosen and chosen != AUTO:
        return get_profile(chosen)
    if cassette.profile and cassette.profile != AUTO:
        return get_profile(cassette.profile)
    request = None if cassette.raw else interaction.request
    if request is not None:
        by_request = detect(request, ())
        if by_request.name != GENERIC:
            return by_request
    return detect(None, first_events(interaction.chunks))


def tried() -> list[str]:
    """Names of the profiles :func:`detect` tries, in order."""
    return [profile.name for profile in _candidates()]
