"""Request matching: which recorded interaction answers an incoming request.

A ``Matcher`` compares a small list of fields, given as a spec (the default is
``method,path``)::

    Matcher.parse("method,path,query,header:OpenAI-Beta,body:assistant_id")

- ``method``, ``path`` (without query), ``query`` (as a multiset of parameters, order-free);
- ``header:NAME``: the header's value (name case-insensitive; absent equals absent);
- ``body:a.b.0``: a value inside the JSON request body (dotted path, list indices allowed).

An ``InteractionQueue`` holds the interactions of every loaded cassette in order and answers
each request with the first match not served yet, so a run and its ``submit_tool_outputs``
continuation, or two runs on one path, come back in the order they were recorded. Once every
match has been served, they are served again in turn (many clients may replay the same
recording at once); ``reset()`` starts over. A raw ``.sse`` body, recorded without its request,
answers any request.

No match gives a ``NoMatch``: the closest recorded requests (fewest differing fields, then most
similar URL) and why each did not match. The replay server and the replay transports both
answer it with a 404 whose JSON body is OpenAI's error shape, so a client library shows the
explanation as the error message.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from recorder.cassette import Cassette, Interaction, RecordedRequest
from recorder.errors import UsageError
from recorder.record.redaction import Redactor

__all__ = ["DEFAULT_MATCH", "Candidate", "InteractionQueue", "Match", "Matcher", "NoMatch"]

DEFAULT_MATCH = "method,path"
_REDACTOR = Redactor.default()
_SIMPLE_FIELDS = ("method", "path", "query")
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Matcher:
    """Which request fields must be equal (see the module docstring for the spec)."""

    fields: tuple[str, ...] = ("method", "path")

    @classmethod
    def parse(cls, spec: str | Matcher | None) -> Matcher:
        """Parse ``"method,path,header:OpenAI-Beta"``; a bad spec raises ``UsageError``."""
        if isinstance(spec, Matcher):
            return spec
        if spec is None or not spec.strip():
            spec = DEFAULT_MATCH
        fields: list[str] = []
        for raw in spec.split(","):
            item = raw.strip()
            kind, colon, name = item.partition(":")
            kind = kind.strip().lower()
            if not colon and kind in _SIMPLE_FIELDS:
                fields.append(kind)
            elif colon and kind in ("header", "body") and name.strip():
                name = name.strip()
                fields.append(f"header:{name.lower()}" if kind == "header" else f"body:{name}")
            else:
                raise UsageError(
                    f"bad match spec {spec!r}: unknown field {item!r}. Allowed: method, path, "
                    "query, header:NAME, body:JSON.PATH (comma-separated)"
                )
        return cls(tuple(dict.fromkeys(fields)))

    def __str__(self) -> str:
        return ",".join(self.fields)

    def mismatches(self, recorded: RecordedRequest, incoming: RecordedRequest) -> list[str]:
        """Why ``incoming`` does not match ``recorded``: one reason per differing field, its
        values redacted as a cassette keeps them (credential headers, key-like query values,
        credential fields and key-shaped values in the body: the reasons reach clients and
        test logs)."""
        shown = _REDACTOR.redact_request(incoming)
        reasons: list[str] = []
        for name in self.fields:
            if not _equal(name, recorded, incoming):
                mine, theirs = _value(name, recorded), _value(name, shown)
                reason = f"{name}: recorded {_show(mine)}, got {_show(theirs)}"
                reasons.append(_REDACTOR.redact_text(reason, incoming))
        return reasons

    def matches(self, recorded: RecordedRequest, incoming: RecordedRequest) -> bool:
        """True when every field is equal."""
        return all(_equal(n, recorded, incoming) for n in self.fields)


def _equal(name: str, recorded: RecordedRequest, incoming: RecordedRequest) -> bool:
    if name == "path":
        # A proxy (or a transport with a base_url) in front of an upstream under a path
        # records both what the client asked (``/v1/responses``) and where it went
        # (``/some/prefix/v1/responses``): a client pointed at the replay server asks the
        # first, one pointed at the upstream's URL the second.
        return incoming.requested_path in (recorded.requested_path, recorded.path)
    return bool(_value(name, recorded) == _value(name, incoming))


def _value(name: str, request: RecordedRequest) -> Any:
    if name == "method":
        return request.method.upper()
    if name == "path":
        return request.requested_path
    if name == "query":
        return sorted(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    kind, _, key = name.partition(":")
    if kind == "header":
        return request.header(key)
    try:
        value: Any = json.loads(request.body) if request.body else _MISSING
    except ValueError:
        return "<body is not JSON>"
    for part in key.split("."):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _show(value: Any) -> str:
    if value is _MISSING or value is None:
        return "nothing"
    if isinstance(value, str) and value == "<body is not JSON>":
        return "a body that is not JSON"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True, slots=True)
class Match:
    """The interaction that answers a request, and where it was recorded."""

    interaction: Interaction
    source: str
    index: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A recorded request close to an unmatched one, and why it did not match."""

    source: str
    index: int
    method: str
    url: str
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cassette": self.source,
            "interaction": self.index,
            "method": self.method,
            "url": self.url,
            "reasons": self.reasons,
        }


@dataclass(frozen=True, slots=True)
class NoMatch:
    """No recorded interaction matches a request: the closest ones and why not."""

    method: str
    url: str
    matcher: str
    closest: list[Candidate] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line: the request, the matcher, and the nearest miss."""
        text = f"no recorded interaction matches {self.method} {self.url} (match on {self.matcher})"
        if self.closest:
            best = self.closest[0]
            text += (
                f"; closest: {best.source} interaction {best.index} "
                f"({best.method} {best.url}): {'; '.join(best.reasons)}"
            )
        else:
            text += "; no interactions are loaded"
        return text

    def to_json(self) -> dict[str, Any]:
        """The 404 body: OpenAI's error envelope plus the request and the closest misses."""
        return {
            "error": {
                "message": self.message,
                "type": "sse_recorder_no_match",
                "param": None,
                "code": "no_match",
            },
            "request": {"method": self.method, "url": self.url},
            "match": self.matcher,
            "closest": [candidate.to_dict() for candidate in self.closest],
        }

    def body(self) -> bytes:
        """``to_json()`` as UTF-8 bytes."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2).encode("utf-8")


class InteractionQueue:
    """The interactions of some cassettes, served to requests in recorded order.

    Thread-safe: the server's event loop and transports used from many threads share one.
    """

    def __init__(self, cassettes: Sequence[Cassette], matcher: Matcher | str | None = None) -> None:
        self.matcher = Matcher.parse(matcher)
        self._entries: list[Match] = [
            Match(interaction, cassette.path or "<memory>", index)
            for cassette in cassettes
            for index, interaction in enumerate(cassette.interactions)
        ]
        # A raw .sse body was recorded without its request: it answers any request.
        self._any = {
            id(interaction)
            for cassette in cassettes
            if cassette.raw
            for interaction in cassette.interactions
        }
        self._served = [0] * len(self._entries)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def reset(self) -> None:
        """Forget what was served: the next requests start again from the first recordings."""
        with self._lock:
            self._served = [0] * len(self._entries)

    def _answers(self, entry: Match, request: RecordedRequest) -> bool:
        return id(entry.interaction) in self._any or self.matcher.matches(
            entry.interaction.request, request
        )

    def knows(self, request: RecordedRequest) -> bool:
        """True when some recording answers ``request`` (served already or not)."""
        return any(self._answers(entry, request) for entry in self._entries)

    def find(self, request: RecordedRequest, *, closest: int = 3) -> Match | NoMatch:
        """The first match not served yet (else the least served); or why nothing matches."""
        found = [
            position
            for position, entry in enumerate(self._entries)
            if self._answers(entry, request)
        ]
        if found:
            with self._lock:
                position = min(found, key=lambda p: (self._served[p], p))
                self._served[position] += 1
            return self._entries[position]
        return self._no_match(request, closest)

    def _no_match(self, request: RecordedRequest, limit: int) -> NoMatch:
        scored: list[tuple[int, float, int, Candidate]] = []
        for position, entry in enumerate(self._entries):
            recorded = entry.interaction.request
            reasons = self.matcher.mismatches(recorded, request)
            similarity = difflib.SequenceMatcher(
                None, recorded.requested_path, request.requested_path
            ).ratio()
            candidate = Candidate(entry.source, entry.index, recorded.method, recorded.url, reasons)
            scored.append((len(reasons), -similarity, position, candidate))
        scored.sort(key=lambda item: item[:3])
        return NoMatch(
            method=request.method,
            # The explanation reaches test logs and clients: no key from the query in it.
            url=_REDACTOR.redact_url(request.url),
            matcher=str(self.matcher),
            closest=[item[3] for item in scored[:limit]],
        )
