"""The declarative profile file (TOML), validated by pydantic at the boundary.

A profile file says, as data, everything the engine (:mod:`recorder.validate.engine`) checks
without code: how an event's kind is read, how the stream opens and ends, which kinds are
errors, counters, identity fields, entities and their lifecycles, ordered progressions (status
graphs), delta folds checked against their ``.done`` value, conditions between a kind and its
fields, provider dialects, what a report shows per event and which fields are volatile. Rules
that data cannot say live in a Python module named by ``rules``. ``schemas/profile.schema.json``
is this model's JSON Schema (drift-tested), for editors.

A malformed file is one :class:`~recorder.errors.ProfileError` naming the file, the line and the
key (``profile.toml, line 12, stream.kind.from: Input should be 'event', 'field' or 'fixed'``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from recorder.errors import ProfileError

__all__ = ["ProfileSpec", "load_spec", "spec_schema"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RuleSpec(_Model):
    """One rule's identity: where it comes from, how loud it is, what it says."""

    source: str = Field(description="SPEC, SDK or EX (what every real stream shows, unwritten)")
    severity: Literal["error", "warning", "info"] = "error"
    summary: str


class KindSpec(_Model):
    """How an event's kind is read."""

    source: Literal["event", "field", "fixed"] = Field(
        "event", alias="from", description="the SSE event name, a JSON field, or one fixed kind"
    )
    field: str | None = Field(None, description="dotted JSON path (from = 'field')")
    value: str | None = Field(None, description="the one kind (from = 'fixed')")
    match_rule: str | None = Field(
        None, description="rule for an SSE event name that differs from the field's value"
    )
    absent: dict[str, str] = Field(
        default_factory=dict,
        description="when the field is missing: a key the payload has -> its kind, first match "
        "wins (JSON-RPC: a message without `method` is a `result` or an `error` response)",
    )


class FirstSpec(_Model):
    kinds: list[str]
    rule: str
    shapes: list[str] = Field(default_factory=list, description="only for these shapes")


class SentinelSpec(_Model):
    data: str = Field(description="the data of the closing event, e.g. [DONE]")
    event: str | None = Field(None, description="its SSE event name when it has one")
    required: bool = True
    after_error: bool = Field(
        False, description="required after an in-band error too (the error excuses it if not)"
    )
    rule: str


class TerminalSpec(_Model):
    kinds: list[str]
    rule: str
    required: bool = True
    allow_after: list[str] = Field(default_factory=list, description="kinds allowed after it")
    missing_rule: str | None = Field(
        None, description="rule for a stream that ends without it (default: rule)"
    )


class LastSpec(_Model):
    """What the last event (before any sentinel) must carry: a stream without a closing event
    or sentinel (Gemini's) tells a finished stream from a cut one only by its last event."""

    set: list[str] = Field(
        description="dotted paths that must not be null; '[]' checks every item of a list "
        "(a missing list has no item to check)"
    )
    rule: str


class RequestMatchSpec(_Model):
    """A payload value that must equal a value of the recorded request's JSON body (a
    JSON-RPC response's id, a progress token); skipped without a request or a JSON body."""

    kinds: list[str]
    path: str = Field(description="dotted path in the event's payload (absent: not checked)")
    request: str = Field(description="dotted path in the request body")
    rule: str


class OnceSpec(_Model):
    kinds: list[str]
    rule: str


class StreamSpec(_Model):
    kind: KindSpec = KindSpec()
    json_rule: str = Field(description="rule for data that is not JSON (or not an object)")
    json_mode: Literal["required", "looks-like"] = Field(
        "required",
        alias="json",
        description="'looks-like': only data starting with { or [ must be JSON",
    )
    framing_rule: str | None = Field(
        None, description="rule for invalid UTF-8 and broken framing (default: json_rule)"
    )
    unknown_rule: str | None = Field(None, description="rule for kinds the profile does not know")
    known: list[str] = Field(
        default_factory=list, description="known kinds beyond those with a schema"
    )
    first: FirstSpec | None = None
    sentinel: SentinelSpec | None = None
    terminal: TerminalSpec | None = None
    last: LastSpec | None = None
    once: list[OnceSpec] = Field(default_factory=list)
    infer_shape: dict[str, str] = Field(
        default_factory=dict,
        description="first kind -> the endpoint shape of a stream whose request does not say",
    )
    hot: list[str] = Field(
        default_factory=list,
        description="kinds (text deltas) whose common case the fold folds with "
        "take(kind, payload) instead of feed: it says True only where the kind's rules have "
        "nothing to say (they are then skipped); when it says False, the event goes the full "
        "way",
    )
    resumed_shapes: list[str] = Field(
        default_factory=list,
        description="shapes that continue an earlier stream: entities they refer to without "
        "creating them were opened there",
    )
    allow_empty: bool = Field(
        False,
        description="an event with empty data (MCP's priming event: an id and empty data) is "
        "passed over",
    )


class ErrorSpec(_Model):
    """In-band errors: the server's error events and what may follow them."""

    kinds: list[str] = Field(default_factory=list)
    field: str | None = Field(
        None, description="a payload with this key and no kind is an error too (Chat's {error})"
    )
    message: str = Field("message", description="dotted path of the error message")
    code: str | None = None
    rule: str
    after: list[str] = Field(default_factory=list, description="kinds allowed after an error")
    after_rule: str | None = None


class CounterSpec(_Model):
    path: str
    rule: str
    start: int = 0
    resume_query: str | None = Field(
        None, description="a request query parameter after which a resumed stream continues"
    )
    missing_severity: Literal["error", "warning", "info"] = "warning"
    raw_resume: bool = Field(
        False,
        description="a body without a request that starts past `start` is read as a resumed "
        "stream (a warning under the counter's rule), checked from its first value",
    )


class IdentitySpec(_Model):
    paths: list[str]
    rule: str
    kinds: list[str] = Field(default_factory=list, description="only on these kinds")
    placeholders: list[Any] = Field(
        default_factory=list,
        description="values that stand for 'not known yet' and are skipped (Azure's '' and 0)",
    )


class EntitySpec(_Model):
    name: str
    key: list[str] = Field(description="dotted paths whose values key one entity")
    created: list[str]
    members: list[str] = Field(default_factory=list, description="kinds that need it open")
    terminal: list[str] = Field(default_factory=list)
    rule: str = Field(description="rule for an event of an entity not open")
    once_rule: str | None = None
    numbered_from: int | None = Field(
        None, description="keys (one integer) count up from this value in creation order"
    )
    one_open: bool = Field(False, description="at most one open at a time")
    open_at_end: bool = Field(True, description="False: an entity still open at the end breaks")
    type: str | None = Field(None, description="dotted path of its type in the created event")
    each: str | None = Field(
        None,
        description="dotted path of a list in the payload: each item is one entity's event "
        "(key, type and ends_when are read in the item); an event may touch several entities",
    )
    key_defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="key path -> the value it reads as when missing (proto3 JSON omits zeros)",
    )
    open_on_member: bool = Field(
        False, description="a member of a key not seen yet creates it (no created kind needed)"
    )
    ends_when: str | None = Field(
        None, description="dotted path whose non-null value ends the entity (a terminal field)"
    )
    member_type: str | None = Field(
        None, description="dotted path of a member event's type (default: the event's kind)"
    )
    fits: dict[str, list[str]] = Field(
        default_factory=dict,
        description="entity type -> the member types it takes ([]: none; a type not listed: any)",
    )
    fits_rule: str | None = Field(None, description="rule for a member that does not fit")
    last: dict[str, str] = Field(
        default_factory=dict,
        description="entity type -> the member type that must come last, just before it ends",
    )
    last_rule: str | None = None


class ProgressionSpec(_Model):
    """Events of one key must move forward through ``order`` (a status graph, linearised)."""

    key: list[str]
    order: list[list[str]] = Field(description="groups of kinds, in order; a group may repeat")
    rule: str


class FoldSpec(_Model):
    """Deltas whose pieces join into the value their ``done`` event carries."""

    rule: str
    deltas: list[str]
    key: list[str]
    piece: str
    done: list[str] = Field(default_factory=list)
    final: str | None = None
    mode: Literal["text", "json", "json-object"] = Field(
        "text",
        description="json: compared as JSON; json-object: the join must parse as a JSON object "
        "(an empty join is {}), checked at done even without a final value",
    )


class ConditionSpec(_Model):
    rule: str
    kinds: list[str]
    equals: dict[str, Any] = Field(default_factory=dict)
    set: list[str] = Field(default_factory=list)
    null: list[str] = Field(default_factory=list)


class DialectSpec(_Model):
    """A provider serving the same contract with known deviations (as data)."""

    name: str
    description: str
    hosts: list[str] = Field(default_factory=list, description="regexes on the recorded host")
    headers: dict[str, str] = Field(
        default_factory=dict, description="response header -> regex on its value"
    )
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="dotted path -> regex on the first JSON payload (a raw body has no host)",
    )
    relax: dict[str, str] = Field(
        default_factory=dict, description="rule id -> what the provider does differently"
    )


class EndpointSpec(_Model):
    method: str
    path: str = Field(description="regex searched in the request path; named groups are facts")
    shape: str
    query: dict[str, str] = Field(default_factory=dict, description="query parameter -> regex")

    @field_validator("path")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        return value


class JsonEndpointSpec(_Model):
    """A plain JSON (non-stream) response of an endpoint and the schema it follows."""

    method: str
    path: str
    schema_file: str = Field(alias="schema", description="file under the schemas' objects/")
    rule: str
    final_path: str | None = Field(
        None, description="compare with the previous stream's folded object at this path"
    )
    final_rule: str | None = Field(
        None, description="rule for an object that disagrees with the stream's (default: rule)"
    )


class DetectSpec(_Model):
    """How a raw body (no request) is recognised from its first events."""

    kinds: list[str] = Field(default_factory=list, description="the first event's kind")
    fields: dict[str, Any] = Field(
        default_factory=dict, description="the first JSON payload's values at dotted paths"
    )
    keys: list[str] = Field(default_factory=list, description="paths the first payload has")
    skip: dict[str, Any] = Field(
        default_factory=dict,
        description="a payload with these values at dotted paths is passed over (a preamble "
        "such as Azure's prompt-filter chunk); the next one decides",
    )
    priority: int = Field(0, description="higher wins when several profiles claim a body")


class ViewSpec(_Model):
    """What reports, snapshots, diffs and faults ask a profile."""

    delta_text: list[str] = Field(
        default_factory=list, description="dotted paths ('[]' iterates a list) of delta text"
    )
    summary: list[str] = Field(default_factory=lambda: ["id", "status", "type"])
    lanes: list[list[str]] = Field(
        default_factory=list, description="[lane, kind prefix] pairs, first match wins"
    )
    fold_key: list[str] = Field(
        default_factory=list, description="paths that tell whose delta an event is (snapshots)"
    )
    not_joined: list[str] = Field(
        default_factory=list, description="string fields a delta repeats rather than extends"
    )
    volatile: list[str] = Field(
        default_factory=list, description="field names (or dotted suffixes) to placeholder"
    )
    error_event: str | None = Field(
        None, description="SSE text of an in-band error, for the error-event fault"
    )
    error_follow: str | None = Field(
        None, description="SSE text that follows the injected error (Responses: response.failed)"
    )


class SchemaRefSpec(_Model):
    dir: str = Field(description="folder under the package's schemas/, or relative to the file")
    version_header: str | None = None
    version_kinds: list[str] = Field(
        default_factory=list,
        description="without the version header, schema checks wait (16 events at most) for "
        "a payload of these kinds, then the version is inferred from the payloads seen",
    )


class ProfileSpec(_Model):
    """A profile file."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    description: str = ""
    rules_module: str | None = Field(
        None, alias="rules_module", description="module holding @rule functions"
    )
    fold: str | None = Field(None, description="'module:Class' of the final-object fold")
    fold_when_checking: bool = Field(
        True,
        description="False: no rule reads the folded object and a stream never continues the "
        "one before it, so validation skips the fold (final, snapshots and diff still fold)",
    )
    schemas: SchemaRefSpec | None = None
    rules: dict[str, RuleSpec]
    stream: StreamSpec
    error: ErrorSpec | None = None
    counters: list[CounterSpec] = Field(default_factory=list)
    identity: list[IdentitySpec] = Field(default_factory=list)
    entities: list[EntitySpec] = Field(default_factory=list)
    progressions: list[ProgressionSpec] = Field(default_factory=list)
    folds: list[FoldSpec] = Field(default_factory=list)
    conditions: list[ConditionSpec] = Field(default_factory=list)
    dialects: list[DialectSpec] = Field(default_factory=list)
    request_match: list[RequestMatchSpec] = Field(default_factory=list)
    endpoints: list[EndpointSpec] = Field(default_factory=list)
    json_endpoints: list[JsonEndpointSpec] = Field(default_factory=list)
    detect: DetectSpec = DetectSpec()
    view: ViewSpec = ViewSpec()

    def rule_ids(self) -> set[str]:
        """Every rule id the data refers to (each must be in ``rules``)."""
        ids: set[str] = {self.stream.json_rule, self.stream.framing_rule or self.stream.json_rule}
        stream = self.stream
        ids.update(
            filter(
                None,
                [
                    stream.unknown_rule,
                    stream.kind.match_rule,
                    stream.first.rule if stream.first else None,
                    stream.sentinel.rule if stream.sentinel else None,
                    stream.terminal.rule if stream.terminal else None,
                    stream.terminal.missing_rule if stream.terminal else None,
                    stream.last.rule if stream.last else None,
                    self.error.rule if self.error else None,
                    self.error.after_rule if self.error else None,
                ],
            )
        )
        ids.update(once.rule for once in stream.once)
        for group in (
            self.counters,
            self.identity,
            self.progressions,
            self.folds,
            self.request_match,
        ):
            ids.update(entry.rule for entry in group)
        ids.update(entry.rule for entry in self.conditions)
        ids.update(entry.rule for entry in self.json_endpoints)
        ids.update(entry.final_rule for entry in self.json_endpoints if entry.final_rule)
        for entity in self.entities:
            ids.add(entity.rule)
            ids.update(filter(None, (entity.once_rule, entity.fits_rule, entity.last_rule)))
        for dialect in self.dialects:
            ids.update(dialect.relax)
        return ids


def _line_of(text: str, location: tuple[Any, ...]) -> int | None:
    """The line of the key a pydantic error points at (best effort: the last named key)."""
    names = [part for part in location if isinstance(part, str)]
    lines = text.splitlines()
    for name in reversed(names):
        pattern = re.compile(rf"^\s*(\[\[?)?\s*{re.escape(name)}\s*(=|\]|\.)")
        quoted = re.compile(rf"^\s*[\"']{re.escape(name)}[\"']\s*=")
        for number, line in enumerate(lines, 1):
            if pattern.match(line) or quoted.match(line):
                return number
    return None


def load_spec(path: Path, text: str | None = None) -> ProfileSpec:
    """The validated spec in ``path`` (``ProfileError`` naming file, line and key)."""
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
    except OSError as error:
        raise ProfileError(f"{path}: cannot read profile: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: the profile file is not UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{path}: not valid TOML: {error}") from None
    try:
        spec = ProfileSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(first["loc"])
        key = ".".join(str(part) for part in location) or "(top level)"
        line = _line_of(text, location)
        where = f", line {line}" if line else ""
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise ProfileError(f"{path}{where}, {key}: {first['msg']}{more}") from None
    unknown = sorted(spec.rule_ids() - set(spec.rules))
    if unknown:
        line = _line_of(text, (unknown[0],))
        where = f", line {line}" if line else ""
        raise ProfileError(
            f"{path}{where}: rule {unknown[0]!r} is used but not declared under [rules]"
        )
    return spec


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a profile file (``schemas/profile.schema.json``)."""
    return ProfileSpec.model_json_schema(by_alias=True)
