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
explained: deviations and extra fields with more Rust checks, schema errors with pure-Python
``jsonschema``, whose error tree gives the best JSON path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import islice
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from recorder.errors import ProfileError, RecorderError
from recorder.findings import Severity
from recorder.resources import load_schema, schemas_root

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from recorder.cassette import RecordedRequest

__all__ = [
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

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_OPEN_KEYWORDS = ("additionalProperties", "patternProperties", "unevaluatedProperties")


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


class _EventSchema:
    """The compiled schemas of one event's data."""

    def __init__(self, event: str, schema: Any, deviations: tuple[_Deviation, ...]) -> None:
        self.event = event
        self.schema = schema
        self.deviations = deviations
        closed = _closed(schema)
        self.default = jsonschema_rs.validator_for(schema)
        self.closed = jsonschema_rs.validator_for(closed)
        self.clean = jsonschema_rs.validator_for(
            {"allOf": [closed, *(d.documented for d in deviations)]}
        )
        self._validators: dict[tuple[int, bool], Any] = {}

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
            issues.extend(
                SchemaIssue(
                    SCHEMA_EXTRA,
                    Severity.WARNING,
                    path,
                    f"field '{key}' is not in the documented {title}",
                )
                for path, key, title in self._extras(self.schema, payload, "$", self.event)
            )
        return issues

    def _schema_errors(self, payload: object) -> Iterator[SchemaIssue]:
        seen: set[tuple[str, str]] = set()
        for error in self.explainer.iter_errors(payload):
            for path, message in _describe(error):
                if (path, message) not in seen:
                    seen.add((path, message))
                    yield SchemaIssue(SCHEMA, Severity.ERROR, path, message)

    def _fits(self, schema: Any, instance: object, *, closed: bool = False) -> bool:
        """Whether ``instance`` matches the subschema ``schema`` (open, or closed to extras)."""
        key = (id(schema), closed)
        validator = self._validators.get(key)
        if validator is None:
            validator = jsonschema_rs.validator_for(_closed(schema) if closed else schema)
            self._validators[key] = validator
        return bool(validator.is_valid(instance))

    def _extras(
        self, schema: Any, instance: object, path: str, title: str
    ) -> Iterator[tuple[str, str, str]]:
        """Undocumented fields: keys of an object whose subschema lists its properties.

        Descends only into parts that fail their closed subschema, so the cost follows the
        number of extra fields, not the size of the payload.
        """
        if not isinstance(schema, dict) or self._fits(schema, instance, closed=True):
            return
        title = schema.get("title", title)
        for sub in schema.get("allOf", ()):
            yield from self._extras(sub, instance, path, title)
        for keyword in ("anyOf", "oneOf"):
            branches = schema.get(keyword, ())
            chosen = next((b for b in branches if self._fits(b, instance)), None)
            if chosen is not None:
                yield from self._extras(chosen, instance, path, title)
        if isinstance(instance, dict):
            properties = schema.get("properties")
            if properties is not None and not any(k in schema for k in _OPEN_KEYWORDS):
                for key in instance:
                    if key not in properties:
                        yield _join(path, key), key, title
            for key, sub in (properties or {}).items():
                if key in instance:
                    yield from self._extras(sub, instance[key], _join(path, key), title)
        elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
            for index, item in enumerate(instance):
                yield from self._extras(schema["items"], item, f"{path}[{index}]", title)


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

    def check(self, event: str, payload: object, *, strict: bool = False) -> list[SchemaIssue]:
        """The issues of ``payload`` (decoded JSON, or the raw text for ``done``) as ``event``.

        Returns ``[]`` for an unknown event and, at the cost of one Rust call, for a payload that
        matches the documented shape exactly.
        """
        schema = self._events.get(event)
        if schema is None or schema.clean.is_valid(payload):
            return []
        return schema.explain(payload, strict)

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
    if not re.fullmatch(r"[a-z0-9_-]+", profile):
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
    folder = schemas_root() / profile / version
    registry = jsonschema_rs.Registry(
        [(doc["$id"], doc) for doc in _documents(folder) if "$id" in doc]
    )
    deviations = load_schema(profile, version, "deviations.json")["deviations"]
    compiled: dict[str, _EventSchema] = {}
    for entry in sorted((folder / "events").iterdir(), key=lambda t: t.name):
        if not entry.name.endswith(".json"):
            continue
        event = entry.name.removesuffix(".json")
        schema = jsonschema_rs.dereference(
            load_schema(profile, version, "events", entry.name), registry=registry, offline=True
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


def _documents(folder: Traversable) -> Iterator[dict[str, Any]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _documents(entry)
        elif entry.name.endswith(".json"):
            yield json.loads(entry.read_text(encoding="utf-8"))


def _closed(schema: Any) -> Any:
    """A copy of ``schema`` where every object that lists its properties allows no others."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _closed(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_closed(sub) for sub in value]
        elif key in _SCHEMA_ONE:
            out[key] = _closed(value)
        else:
            out[key] = value
    if "properties" in schema and not any(k in schema for k in _OPEN_KEYWORDS):
        out["additionalProperties"] = False
    return out


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def _path_of(error: Any) -> str:
    path = "$"
    for part in error.absolute_path:
        path = _join(path, part)
    return path


def _describe(error: Any) -> Iterator[tuple[str, str]]:
    """(json_path, one-line message) for the most telling leaves of ``error``."""
    if error.context:
        yield from _describe_branches(error)
        return
    path = _path_of(error)
    instance = error.instance
    if error.validator == "required":
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance:
                yield _join(path, key), f"required field '{key}' is missing"
        return
    if error.validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        yield path, f"expected {wanted}, found {_json_type(instance)} {_short(instance)}"
    elif error.validator == "const":
        yield path, f"expected {_short(error.validator_value)}, found {_short(instance)}"
    elif error.validator == "enum":
        choices = ", ".join(_short(v) for v in error.validator_value)
        yield path, f"expected one of {choices}, found {_short(instance)}"
    else:
        yield path, _one_line(error.message)


def _describe_branches(error: Any) -> Iterator[tuple[str, str]]:
    """Explain an anyOf/oneOf failure through the branch the payload most nearly matches."""
    branches: dict[Any, list[Any]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    mismatches = [
        next((e for e in errs if e.validator == "const"), None) for errs in branches.values()
    ]
    if mismatches and all(m is not None for m in mismatches):
        paths = {tuple(m.absolute_path) for m in mismatches if m is not None}
        if len(paths) == 1:  # every branch is told apart by one discriminator: name them all
            choices = ", ".join(_short(m.validator_value) for m in mismatches if m is not None)
            first = mismatches[0]
            assert first is not None
            yield _path_of(first), f"expected one of {choices}, found {_short(first.instance)}"
            return

    def closeness(errs: list[Any]) -> tuple[int, int, int]:
        discriminated = any(e.validator == "const" for e in errs)
        depth = max(len(e.absolute_path) for e in errs)
        return (int(discriminated), -depth, len(errs))

    if not branches:
        yield _path_of(error), _one_line(error.message)
        return
    for sub in min(branches.values(), key=closeness):
        yield from _describe(sub)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _short(value: object, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
