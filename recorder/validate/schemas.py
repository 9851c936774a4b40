"""Check event payloads against a profile's JSON Schemas, in two strengths.

A profile is data under ``schemas/<profile>/``: ``profile.json`` (its versions and how to tell
them apart) and, per version, ``events/<event name>.json`` (the schema of that event's data),
the objects those refer to, and ``deviations.json``: documented constraints that real servers
break. The **default** strength accepts those shapes and reports each as a ``SCHEMA-REAL``
warning; the **strict** strength (the docs as written) adds every deviation's ``documented``
schema and reports a break as an error. Undocumented fields are ``SCHEMA-EXTRA`` warnings in
both strengths; everything else that breaks the schema is a ``SCHEMA`` error.

Speed: each event has one compiled ``jsonschema_rs`` validator for the clean case (strict, no
undocumented field); a payload that passes it costs one Rust call. Only a payload that fails is
explained (``recorder.validate.schema_explain``): deviations with one tiny Rust check each,
undocumented fields with a compiled walk over the payload's containers, and schema errors with
pure-Python ``jsonschema``, whose error tree gives the best JSON path. Real run and step snapshots
always carry known deviations, so they take that path; deltas, the bulk of a stream, do not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import islice
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from recorder.cassette.resources import load_schema, schema_folder, schemas_root
from recorder.errors import ProfileError, RecorderError
from recorder.validate.findings import Severity
from recorder.validate.schema_explain import FieldShape, closed_schema, describe_error, quoted

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from recorder.cassette import RecordedRequest

__all__ = [
    "Extras",
    "SchemaIssue",
    "SchemaSet",
    "infer_version",
    "profile_versions",
    "profiles",
]

SCHEMA = "SCHEMA"
SCHEMA_REAL = "SCHEMA-REAL"
SCHEMA_EXTRA = "SCHEMA-EXTRA"

#: How many payloads ``infer_version`` looks at when the request does not say.
VERSION_SNIFF_LIMIT = 200


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One way a payload differs from its schema.

    ``rule`` is ``SCHEMA`` (breaks the schema), ``SCHEMA-REAL`` (a known real-world shape the
    default strength accepts) or ``SCHEMA-EXTRA`` (an undocumented field); ``json_path`` points
    inside the payload (``$.step_details.tool_calls[0].function.name``); ``message`` is one line
    saying what was expected and what was found.
    """

    rule: str
    severity: Severity
    json_path: str
    message: str


@dataclass(frozen=True, slots=True)
class _Deviation:
    id: str
    path: str
    message: str
    extra: bool
    documented: Any
    validator: Any


@dataclass(frozen=True, slots=True)
class Extras:
    """The issues of payloads with the same keys that are clean but for the same undocumented
    top-level fields: ``allows`` tells such a payload in one call, ``token`` names the set."""

    keys: tuple[str, ...]
    issues: tuple[SchemaIssue, ...]
    token: str
    allows: Callable[[Any], bool]


class _EventSchema:
    """The compiled schemas of one event's data."""

    def __init__(self, event: str, schema: Any, deviations: tuple[_Deviation, ...]) -> None:
        self.event = event
        self.schema = schema
        self.deviations = deviations
        closed = closed_schema(schema)
        self.default = jsonschema_rs.validator_for(schema)
        self.closed = jsonschema_rs.validator_for(closed)
        self.clean = jsonschema_rs.validator_for(
            {"allOf": [closed, *(d.documented for d in deviations)]}
        )
        self.shape = FieldShape(schema, {})
        self.decided_by_keys = _decided_by_keys(self.shape)
        #: payload keys -> the issues of a payload with those keys that is clean but for
        #: undocumented top-level fields
        self.extras_by_keys: dict[tuple[str, ...], Extras] = {}

    @cached_property
    def explainer(self) -> Any:
        """Pure-Python validator: slow, but its error tree explains a failure best."""
        import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev dependencies

        return jsonschema.Draft202012Validator(self.schema)

    def explain(self, payload: object, strict: bool) -> list[SchemaIssue]:
        issues: list[SchemaIssue] = []
        if not self.default.is_valid(payload):
            issues.extend(self._schema_errors(payload))
        for deviation in self.deviations:
            if not deviation.validator.is_valid(payload):
                severity = Severity.ERROR if strict and not deviation.extra else Severity.WARNING
                issues.append(SchemaIssue(SCHEMA_REAL, severity, deviation.path, deviation.message))
        if not self.closed.is_valid(payload):
            issues.extend(self._extras(payload))
        return issues

    def _extras(self, payload: object) -> Iterator[SchemaIssue]:
        for path, key, title in self.shape.extras(payload):
            yield SchemaIssue(
                SCHEMA_EXTRA,
                Severity.WARNING,
                path,
                f"field {quoted(key)} is not documented in {quoted(title)}",
            )

    def remember(self, payload: object, issues: list[SchemaIssue]) -> None:
        """Keep ``issues`` for payloads with these keys when they are only undocumented
        top-level fields (Responses deltas carry ``obfuscation`` on every event)."""
        if (
            self.decided_by_keys
            and isinstance(payload, dict)
            and issues
            and len(self.extras_by_keys) < 64
            and all(i.rule == SCHEMA_EXTRA and i.json_path.count(".") == 1 for i in issues)
        ):
            names = frozenset(i.json_path[2:] for i in issues)
            if names <= payload.keys():
                keys = tuple(payload)
                token = f"{self.event}#{len(self.extras_by_keys)}"
                self.extras_by_keys[keys] = Extras(
                    keys, tuple(issues), token, self._allowing(names)
                )

    def _allowing(self, names: frozenset[str]) -> Callable[[Any], bool]:
        """A test that a payload is clean but for the top-level fields ``names``: one Rust
        call where the schema lists its top-level properties, else on a trimmed copy."""
        closed = closed_schema(self.schema)
        if isinstance(closed, dict) and closed.get("additionalProperties") is False:
            closed["properties"] = {**closed["properties"], **dict.fromkeys(names, True)}
            return jsonschema_rs.validator_for(
                {"allOf": [closed, *(d.documented for d in self.deviations)]}
            ).is_valid
        clean = self.clean.is_valid

        def allows(payload: Any) -> bool:
            trimmed = payload.copy()
            for name in names:
                del trimmed[name]
            return clean(trimmed)

        return allows

    def recall(self, payload: object) -> Extras | None:
        """The remembered issues of a payload with the same keys, when without its
        undocumented fields it is clean (one Rust call instead of an explanation)."""
        if payload.__class__ is not dict:
            return None
        known = self.extras_by_keys.get(tuple(payload))
        return known if known is not None and known.allows(payload) else None

    def _schema_errors(self, payload: object) -> Iterator[SchemaIssue]:
        seen: set[tuple[str, str]] = set()
        for error in self.explainer.iter_errors(payload):
            for path, message in describe_error(error):
                if (path, message) not in seen:
                    seen.add((path, message))
                    yield SchemaIssue(SCHEMA, Severity.ERROR, path, message)


def _decided_by_keys(shape: FieldShape) -> bool:
    """True when no union (whose branch could hang on a value) shapes the top level."""
    return not shape.unions and all(_decided_by_keys(part) for part in shape.parts)


class SchemaSet:
    """The event schemas of one version of one profile (``SchemaSet.load("assistants", "v2")``)."""

    def __init__(self, profile: str, version: str) -> None:
        meta = _profile_meta(profile)
        if version not in meta["versions"]:
            known = ", ".join(meta["versions"])
            raise ProfileError(f"profile {profile!r} has no version {version!r} (known: {known})")
        self.profile = profile
        self.version = version
        self.versions: tuple[str, ...] = tuple(meta["versions"])
        self._events = _compile_version(profile, version)

    @classmethod
    def load(cls, profile: str, version: str) -> SchemaSet:
        """The schemas of ``profile`` at ``version``, compiled once and cached."""
        return _load(profile, version)

    @staticmethod
    def versions_of(profile: str) -> tuple[str, ...]:
        """The versions ``profile`` has schemas for, newest first."""
        return profile_versions(profile)

    @property
    def events(self) -> tuple[str, ...]:
        """The event names this version has a schema for."""
        return tuple(self._events)

    def knows(self, event: str) -> bool:
        """True when ``event`` has a schema (an unknown event is the rules' business)."""
        return event in self._events

    def is_valid(self, event: str) -> Callable[[object], bool] | None:
        """The one-Rust-call test that a payload matches ``event``'s documented shape exactly
        (what :meth:`check` tries first), for a hot path; None for an unknown event."""
        schema = self._events.get(event)
        return None if schema is None else schema.clean.is_valid

    def recall(self, event: str, payload: object) -> Extras | None:
        """For a payload that is not clean: the issues :meth:`check` would give when they are
        only undocumented top-level fields already seen with the same keys; else None."""
        schema = self._events.get(event)
        if schema is None or not schema.extras_by_keys:
            return None
        return schema.recall(payload)

    def check(self, event: str, payload: object, *, strict: bool = False) -> list[SchemaIssue]:
        """The issues of ``payload`` (decoded JSON, or the raw text for ``done``) as ``event``.

        Returns ``[]`` for an unknown event and, at the cost of one Rust call, for a payload that
        matches the documented shape exactly.
        """
        schema = self._events.get(event)
        if schema is None:
            return []
        if schema.extras_by_keys:  # one Rust call for a payload seen with the same extras
            recalled = schema.recall(payload)
            if recalled is not None:
                return list(recalled.issues)
        if schema.clean.is_valid(payload):
            return []
        issues = schema.explain(payload, strict)
        schema.remember(payload, issues)
        return issues

    def __repr__(self) -> str:
        return f"SchemaSet({self.profile!r}, {self.version!r})"


@cache
def _load(profile: str, version: str) -> SchemaSet:
    return SchemaSet(profile, version)


def profiles() -> tuple[str, ...]:
    """The profiles that have schemas in this installation."""
    root = schemas_root()
    return tuple(
        sorted(d.name for d in root.iterdir() if d.is_dir() and (d / "profile.json").is_file())
    )


def profile_versions(profile: str) -> tuple[str, ...]:
    """The versions of ``profile``, newest first."""
    return tuple(_profile_meta(profile)["versions"])


def infer_version(profile: str, request: RecordedRequest | None, payloads: Iterable[object]) -> str:
    """The version a stream speaks: from the request's version header, else from payload shapes.

    ``profile.json`` says which header carries the version (``version_header``) and which
    payload shapes only an older version has (``version_shapes``); the first
    ``VERSION_SNIFF_LIMIT`` payloads are looked at. Otherwise the profile's default version.
    """
    meta = _profile_meta(profile)
    header = meta.get("version_header")
    if request is not None and header:
        value = request.header(header["name"])
        match = re.search(header["pattern"], value) if value else None
        if match and match.group(1) in meta["versions"]:
            return str(match.group(1))
    shapes = _version_shapes(profile)
    if shapes:
        for payload in islice(payloads, VERSION_SNIFF_LIMIT):
            for version, validator in shapes:
                if validator.is_valid(payload):
                    return version
    return str(meta["default_version"])


@cache
def _profile_meta(profile: str) -> dict[str, Any]:
    # name@hash: the schemas of a profile file, registered by recorder.profiles
    if not re.fullmatch(r"[a-z0-9_-]+(@[0-9a-f]+)?", profile):
        raise ProfileError(f"no profile named {profile!r}")
    try:
        meta = load_schema(profile, "profile.json")
    except RecorderError:
        known = ", ".join(profiles()) or "none"
        raise ProfileError(f"no profile named {profile!r} (known: {known})") from None
    return dict(meta)


@cache
def _version_shapes(profile: str) -> tuple[tuple[str, Any], ...]:
    return tuple(
        (shape["version"], jsonschema_rs.validator_for(shape["schema"]))
        for shape in _profile_meta(profile).get("version_shapes", ())
    )


def _compile_version(profile: str, version: str) -> dict[str, _EventSchema]:
    folder = schema_folder(profile) / version
    registry = jsonschema_rs.Registry(
        [(doc["$id"], doc) for doc in _documents(folder) if "$id" in doc]
    )
    deviations = load_schema(profile, version, "deviations.json")["deviations"]
    compiled: dict[str, _EventSchema] = {}
    for parts in sorted(_event_files(folder / "events")):
        event = "/".join(parts).removesuffix(".json")  # MCP's methods: notifications/progress
        schema = jsonschema_rs.dereference(
            load_schema(profile, version, "events", *parts), registry=registry, offline=True
        )
        applicable = tuple(
            _Deviation(
                id=d["id"],
                path=d["path"],
                message=d["message"],
                extra=bool(d.get("extra", False)),
                documented=d["documented"],
                validator=jsonschema_rs.validator_for(d["documented"]),
            )
            for d in deviations
            if event in d["events"]
        )
        compiled[event] = _EventSchema(event, schema, applicable)
    return compiled


@cache
def object_validator(profile: str, version: str, name: str) -> Any:
    """A validator of ``schemas/<profile>/<version>/objects/<name>`` (a plain JSON response's
    object, ``[[json_endpoints]]``), its ``$ref`` resolved in the version's folder."""
    folder = schema_folder(profile) / version
    registry = jsonschema_rs.Registry(
        [(doc["$id"], doc) for doc in _documents(folder) if "$id" in doc]
    )
    schema = jsonschema_rs.dereference(
        load_schema(profile, version, "objects", name), registry=registry, offline=True
    )
    return jsonschema_rs.validator_for(schema)


def _event_files(folder: Traversable) -> Iterator[tuple[str, ...]]:
    """Path parts of each ``.json`` under ``folder``; an event name with ``/`` is a subfolder."""
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from ((entry.name, *parts) for parts in _event_files(entry))
        elif entry.name.endswith(".json"):
            yield (entry.name,)


def _documents(folder: Traversable) -> Iterator[dict[str, Any]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _documents(entry)
        elif entry.name.endswith(".json"):
            yield json.loads(entry.read_text(encoding="utf-8"))
