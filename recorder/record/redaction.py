"""Redaction: secrets are replaced before anything reaches a cassette.

What is replaced, by default:

- the values of credential headers: ``Authorization``, ``Proxy-Authorization``, ``api-key``,
  ``x-api-key``, ``x-goog-api-key``, ``OpenAI-Organization``, ``OpenAI-Project``, ``Cookie``,
  ``Set-Cookie``, and every ``x-portkey-*`` header except a short list of harmless ones
  (``x-portkey-provider``, trace and span ids, cache and retry settings: see
  ``PORTKEY_KEPT_HEADERS``). Portkey headers are redacted by default rather than kept by
  default because new ones keep appearing and several carry provider credentials
  (``x-portkey-config`` may inline API keys, ``x-portkey-aws-secret-access-key``...);
- key-like query parameters (``api_key``, ``key``, ``token``, ``access_token``, ``sig``...);
- in request and response bodies, and in any text that leaves the process (error messages,
  reports): values shaped like provider keys (``sk-...``, ``sk-proj-...``, ``sk-ant-...``,
  ``AIza...``, ``ghp_...``, ``AKIA...``: ``KEY_SHAPES``), the string values of JSON fields named
  like credentials (``"api_key": "..."``, ``"client_secret"``, ``"password"``:
  ``CREDENTIAL_FIELD``), key-like query values inside any URL in the text (``?key=...``), the
  user's regexes, and every secret value found in this interaction's request headers, query or
  URL user info (a server echoing the key in an error body).

The replacement is the fixed marker ``REDACTED``, not a hash of the secret: nothing derived
from a secret reaches the disk (a short hash of a weak secret can be confirmed by guessing),
re-recording after a key rotation leaves the cassette unchanged (quiet git diffs), and replays
run with fake keys, so a matcher must ignore credential values anyway. The shape is kept so
requests stay matchable and readable: ``Bearer REDACTED``, cookie names and attributes kept
(``session=REDACTED; Path=/``), ``?api_key=REDACTED&limit=20``.

Body patterns over a stream of chunks (``ChunkRedactor``). Patterns are applied to bytes, one
line at a time (a line ends at ``\\n`` or ``\\r``; SSE fields and JSON never hold a secret
across a line break), and only to complete lines, so a body redacts to the same bytes however
it was chunked. Chunks are held back while the last one ends inside a line and are written
together once a chunk ends with a line break (SSE servers end chunks at event boundaries, so
this is almost always at once): a secret split across any number of chunks is found, every
chunk keeps its boundaries and arrival time, and the marker goes into the chunk where the secret
starts (a chunk made only of secret bytes vanishes into it). Held chunks never delay the client,
only the cassette; a kill loses at most the chunks of one unfinished line. If more than
``MAX_HELD`` (64 KiB) is held without a line break, whole chunks are written early, keeping at
least the last ``OVERLAP`` (4 KiB) bytes held: inside such a long line only secrets shorter than
4 KiB whose pattern needs no text before the cut are guaranteed. If a pattern has capturing
groups only the groups are replaced (``"api_key": "([^"]+)"`` keeps the JSON shape). The
default patterns cannot match across a line break, so they are searched once over a whole
buffer, and only where a cheap scan finds a candidate (a run of 19+ key characters starting
with a known prefix, a credential word after a quote): on a 64 KiB chunk of a real stream
that is a fraction of a millisecond. With no pattern at all (``body_defaults=False``, no user
patterns, no known secrets) chunks pass straight through.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit, urlunsplit

from recorder.cassette import (
    Cassette,
    Chunk,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)

__all__ = [
    "CREDENTIAL_FIELD",
    "DEFAULT_BODY_PATTERNS",
    "DEFAULT_HEADERS",
    "DEFAULT_QUERY",
    "KEY_SHAPES",
    "MARKER",
    "PORTKEY_KEPT_HEADERS",
    "URL_USERINFO",
    "ChunkRedactor",
    "Redactor",
]

MARKER = "REDACTED"
_MARKER_BYTES = MARKER.encode()

DEFAULT_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "x-goog-api-key",
        "openai-organization",
        "openai-project",
        "cookie",
        "set-cookie",
    }
)
#: ``x-portkey-*`` headers that carry no credential and help to match or read a request.
PORTKEY_KEPT_HEADERS = frozenset(
    {
        "x-portkey-provider",
        "x-portkey-package-version",
        "x-portkey-runtime",
        "x-portkey-runtime-version",
        "x-portkey-trace-id",
        "x-portkey-span-id",
        "x-portkey-parent-span-id",
        "x-portkey-span-name",
        "x-portkey-request-id",
        "x-portkey-cache-status",
        "x-portkey-cache-force-refresh",
        "x-portkey-cache-namespace",
        "x-portkey-retry-count",
        "x-portkey-retry-attempt-count",
        "x-portkey-last-used-option-index",
        "x-portkey-request-timeout",
        "x-portkey-forward-headers",
        "x-portkey-strict-open-ai-compliance",
        "x-portkey-debug",
        "x-portkey-gateway-exception",
    }
)
DEFAULT_QUERY = frozenset(
    {
        "api_key",
        "api-key",
        "apikey",
        "key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-security-token",
        "x-amz-credential",
        "client_secret",
        "password",
        "secret",
    }
)

#: Values shaped like provider API keys, found in any text. Each prefix is one a provider
#: documents for its secret keys (OpenAI ``sk-``/``sk-proj-``/``sk-svcacct-``/``sk-admin-``,
#: Anthropic ``sk-ant-``, Stripe, Groq ``gsk_``, Hugging Face ``hf_``, GitHub, Slack, Google
#: ``AIza``, Replicate ``r8_``, Langfuse, AWS access key ids); the tail is long enough that
#: ordinary words (``sk-learn``, ``risk-free``) never match.
KEY_SHAPES = re.compile(
    rb"(?<![A-Za-z0-9_-])(?:"
    rb"(?:sk-|sk_live_|sk_test_|rk_live_|rk_test_|gsk_|hf_|ghp_|gho_|ghu_|ghs_|ghr_"
    rb"|github_pat_|xox[abprs]-|AIza|r8_|pk-lf-)[A-Za-z0-9_-]{16,}"
    rb"|(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])"
    rb")"
)
# Bounded around the keyword: an unbounded ``[\w-]*`` before it made the search quadratic in
# a long word (19 ms per 64 KiB of deltas instead of 1).
_CREDENTIAL_NAME = (
    rb"[A-Za-z0-9_-]{0,32}?(?:api[_-]?key|apikey|secret|passw(?:or)?d|private[_-]?key"
    rb"|(?:access|refresh|id|auth|session|bearer|security)[_-]?token|authorization"
    rb"|credentials?)[A-Za-z0-9_-]{0,32}"
)
#: The string value of a JSON field named like a credential (only the value is replaced, so
#: the JSON keeps its shape), also once escaped inside another JSON string. Within one line.
CREDENTIAL_FIELD = re.compile(
    rb'(?i)"' + _CREDENTIAL_NAME + rb'"[ \t]*:[ \t]*"((?:[^"\\\r\n]|\\[^\r\n])*)"'
    rb'|\\"' + _CREDENTIAL_NAME + rb'\\"[ \t]*:[ \t]*\\"((?:[^"\\\r\n]|\\[^"\r\n])*)\\"'
)
#: ``user:password@`` in any URL of a text.
URL_USERINFO = re.compile(rb"://([^/\s@\"'<>]+)@")
_QUERY_IN_TEXT = rb"(?i)[?&](?:%s)=([^&#\s\"'<>]+)"


@functools.lru_cache(maxsize=64)
def _query_in_text(names: frozenset[str]) -> re.Pattern[bytes]:
    """Key-like query values inside any URL in a text (an error message quoting the URL)."""
    alternatives = b"|".join(
        re.escape(name.encode()) for name in sorted(names, key=len, reverse=True)
    )
    pattern = re.compile(_QUERY_IN_TEXT % alternatives)
    _WHOLE_BUFFER.add(pattern)
    return pattern


class _Candidates:
    """``pattern``, tried only where a cheap C-speed scan says it could match: a regex
    alternation tried at every byte cost 4-14 ms per 64 KiB of a real stream, as much as
    recording it. Quacks like the ``re.Pattern`` it wraps (``finditer``, ``groups``)."""

    def __init__(self, pattern: re.Pattern[bytes], starts: Callable[[bytes], Iterable[int]]):
        self.pattern = pattern
        self.groups = pattern.groups
        self._starts = starts

    def finditer(self, data: bytes) -> Iterator[re.Match[bytes]]:
        end = -1
        for start in sorted(set(self._starts(data))):
            if start < end:
                continue
            match = self.pattern.match(data, start)
            if match is not None:
                end = match.end()
                yield match


# Token characters (those of a key) become "a", everything else a space.
_RUN_TABLE = bytes(
    97 if chr(i).isascii() and (chr(i).isalnum() or chr(i) in "_-") else 32 for i in range(256)
)
_LONG_RUN = re.compile(rb"a{19,}")


_KEY_PREFIXES = (b"sk", b"rk_", b"gsk_", b"hf_", b"gh", b"xox", b"AIza", b"r8_", b"pk-lf-",
                 b"AKIA", b"ASIA")  # fmt: skip


def _key_starts(data: bytes) -> Iterator[int]:
    # A key starts a run of 19+ token characters (a prefix and at least 16 more).
    for match in _LONG_RUN.finditer(data.translate(_RUN_TABLE)):
        if data.startswith(_KEY_PREFIXES, match.start()):
            yield match.start()


_CREDENTIAL_WORDS = (b"key", b"secret", b"passw", b"pwd", b"token", b"authorization", b"credential")


def _credential_starts(data: bytes) -> Iterator[int]:
    lowered = data.lower()
    for word in _CREDENTIAL_WORDS:
        at = lowered.find(word)
        while at >= 0:
            quote = data.rfind(b'"', max(0, at - 34), at)
            if quote >= 0:
                yield quote - 1 if quote and data[quote - 1] == 92 else quote  # \" escaped
            at = lowered.find(word, at + len(word))


_FAST_KEY_SHAPES = _Candidates(KEY_SHAPES, _key_starts)
_FAST_CREDENTIAL_FIELD = _Candidates(CREDENTIAL_FIELD, _credential_starts)

#: What every body and message is searched for by default (``Redactor(defaults=False)`` or
#: ``body_defaults=False`` turns it off); the query names are added per ``Redactor``.
DEFAULT_BODY_PATTERNS: tuple[re.Pattern[bytes], ...] = (KEY_SHAPES, CREDENTIAL_FIELD, URL_USERINFO)
_FAST = {KEY_SHAPES: _FAST_KEY_SHAPES, CREDENTIAL_FIELD: _FAST_CREDENTIAL_FIELD}
# Patterns that cannot match across a line break, so one search of a whole buffer finds what a
# search line by line finds, at C speed instead of a Python loop over every line.
_WHOLE_BUFFER: set[re.Pattern[bytes]] = set(DEFAULT_BODY_PATTERNS)

#: Secrets shorter than this are not searched for in bodies (they would match ordinary text).
MIN_LITERAL = 8
MAX_HELD = 64 * 1024
OVERLAP = 4 * 1024

_LINE_END = re.compile(rb"[\r\n]")
_AUTH_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)(\s+)(\S.*)$", re.DOTALL)


def _compile(pattern: str | bytes | re.Pattern[str] | re.Pattern[bytes]) -> re.Pattern[bytes]:
    if isinstance(pattern, re.Pattern):
        source = pattern.pattern
        flags = pattern.flags & ~re.UNICODE
        return re.compile(source.encode() if isinstance(source, str) else source, flags)
    return re.compile(pattern.encode() if isinstance(pattern, str) else pattern)


def _spans(line: bytes, patterns: Sequence[re.Pattern[bytes]]) -> list[tuple[int, int]]:
    """Secret spans of one line: each match, or only its capturing groups; overlaps merged."""
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
        for match in _FAST.get(pattern, pattern).finditer(line):
            groups = range(1, pattern.groups + 1) if pattern.groups else (0,)
            spans += [match.span(g) for g in groups if match.start(g) < match.end(g)]
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _edits(data: bytes, patterns: Sequence[re.Pattern[bytes]]) -> list[tuple[int, int]]:
    """Secret spans of ``data``, matched line by line (a line ends at ``\\n`` or ``\\r``);
    overlaps merged."""
    whole = [pattern for pattern in patterns if pattern in _WHOLE_BUFFER]
    by_line = [pattern for pattern in patterns if pattern not in _WHOLE_BUFFER]
    edits = _spans(data, whole) if whole else []
    if by_line:
        start = 0
        for match in [*_LINE_END.finditer(data), None]:
            end = match.start() if match is not None else len(data)
            if end > start:
                edits += [(start + s, start + e) for s, e in _spans(data[start:end], by_line)]
            start = end + 1
        if whole:
            edits = _merge(edits)
    return edits


def _apply(buffer: bytes, start: int, end: int, edits: Sequence[tuple[int, int]]) -> bytes:
    """Bytes ``start:end`` of ``buffer`` with each secret span replaced by the marker. A span
    belongs to the piece holding its first byte; what it covers in later pieces is dropped."""
    out: list[bytes] = []
    cursor = start
    for edit_start, edit_end in edits:
        if edit_start >= end:
            break
        if edit_end <= start:
            continue
        if edit_start < start:
            cursor = max(cursor, min(edit_end, end))
            continue
        out += [buffer[cursor:edit_start], _MARKER_BYTES]
        cursor = min(edit_end, end)
    out.append(buffer[cursor:end])
    return b"".join(out)


@dataclass
class ChunkRedactor:
    """Redacts a body chunk by chunk, keeping chunk boundaries and arrival times.

    ``feed(data, t)`` returns the ``(t, redacted_bytes)`` chunks that are ready to be written:
    all held chunks once a chunk ends with a line break, none while a line is incomplete;
    ``flush()`` returns the rest at the end of the body.
    """

    patterns: Sequence[re.Pattern[bytes]]
    _held: list[tuple[float, bytes]] = field(default_factory=list)
    _held_size: int = 0

    @property
    def holding(self) -> bool:
        """True while some chunks wait for the end of their last line."""
        return bool(self._held)

    def feed(self, data: bytes, t: float) -> list[tuple[float, bytes]]:
        """Take one chunk; return the chunks that can be written now."""
        if not self.patterns:
            return [(t, data)]
        self._held.append((t, data))
        self._held_size += len(data)
        if data.endswith((b"\n", b"\r")):
            return self._release(len(self._held))
        if self._held_size > MAX_HELD:
            return self._release_long_line()
        return []

    def flush(self) -> list[tuple[float, bytes]]:
        """The held chunks, redacted, at the end of the body."""
        return self._release(len(self._held))

    def redact(self, data: bytes) -> bytes:
        """``data`` redacted whole, with the same patterns (held chunks are not touched)."""
        if not self.patterns or not data:
            return data
        return _apply(data, 0, len(data), _edits(data, self.patterns))

    def _release_long_line(self) -> list[tuple[float, bytes]]:
        # Release whole chunks from the front, keeping at least OVERLAP bytes held and never
        # cutting through a secret found so far.
        edits = _edits(b"".join(data for _, data in self._held), self.patterns)
        count, position, released = 0, 0, 0
        for _, data in self._held:
            position += len(data)
            if self._held_size - position < OVERLAP:
                break
            if all(not start < position < end for start, end in edits):
                count, released = count + 1, position
            else:
                break
        return self._release(count) if released else []

    def _release(self, count: int) -> list[tuple[float, bytes]]:
        """Write the first ``count`` held chunks, redacted."""
        if count == 0:
            return []
        buffer = b"".join(data for _, data in self._held)
        edits = _edits(buffer, self.patterns)
        ready: list[tuple[float, bytes]] = []
        position = 0
        for t, data in self._held[:count]:
            ready.append((t, _apply(buffer, position, position + len(data), edits)))
            position += len(data)
        self._held = self._held[count:]
        self._held_size -= position
        return [(t, data) for t, data in ready if data]


class Redactor:
    """Decides what is secret and replaces it with ``REDACTED`` (see the module docstring).

    >>> redactor = Redactor(extra_headers=["x-tenant-token"], body_patterns=[r"sk-[\\w-]{8,}"])
    >>> redactor.redact_request(request)                      # doctest: +SKIP
    """

    def __init__(
        self,
        extra_headers: Iterable[str] = (),
        extra_query: Iterable[str] = (),
        body_patterns: Iterable[str | bytes | re.Pattern[str] | re.Pattern[bytes]] = (),
        *,
        defaults: bool = True,
        body_defaults: bool | None = None,
    ) -> None:
        self.headers = frozenset(name.lower() for name in extra_headers) | (
            DEFAULT_HEADERS if defaults else frozenset()
        )
        self.query = frozenset(name.lower() for name in extra_query) | (
            DEFAULT_QUERY if defaults else frozenset()
        )
        self.portkey = defaults
        #: The user's patterns; ``patterns_for`` adds the defaults and literal secrets.
        self.body_patterns = tuple(_compile(pattern) for pattern in body_patterns)
        searched = defaults if body_defaults is None else body_defaults
        self.default_body_patterns: tuple[re.Pattern[bytes], ...] = (
            (*DEFAULT_BODY_PATTERNS, _query_in_text(self.query)) if searched else ()
        )

    @classmethod
    def default(cls) -> Redactor:
        """The default rules and no body patterns."""
        return cls()

    # ---------------------------------------------------------------- headers and URLs

    def redacts_header(self, name: str) -> bool:
        """True when the value of header ``name`` is a secret."""
        lowered = name.lower()
        if lowered in self.headers:
            return True
        return (
            self.portkey
            and lowered.startswith("x-portkey-")
            and lowered not in PORTKEY_KEPT_HEADERS
        )

    def redact_headers(self, headers: Iterable[tuple[str, str]]) -> Headers:
        """Headers with secret values replaced, names and order kept."""
        return [
            (name, _redact_header_value(name, value) if self.redacts_header(name) else value)
            for name, value in headers
        ]

    redact_response_headers = redact_headers

    def redact_url(self, url: str) -> str:
        """The URL with key-like query values and any ``user:password@`` replaced."""
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{MARKER}@{netloc.rsplit('@', 1)[1]}"
        if not parts.query:
            return urlunsplit(parts._replace(netloc=netloc))
        query = "&".join(
            f"{piece.split('=', 1)[0]}={MARKER}"
            if "=" in piece and self._secret_query(piece.split("=", 1)[0])
            else piece
            for piece in parts.query.split("&")
        )
        return urlunsplit(parts._replace(netloc=netloc, query=query))

    def _secret_query(self, raw_name: str) -> bool:
        return unquote_plus(raw_name).lower() in self.query

    # ---------------------------------------------------------------- secrets and bodies

    def secrets_in(self, request: RecordedRequest) -> list[bytes]:
        """The literal secret values of an unredacted request (searched for in bodies too)."""
        found: set[str] = set()
        for name, value in request.headers:
            if self.redacts_header(name):
                found.update(_secret_parts(name, value))
        parts = urlsplit(request.url)
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name.lower() in self.query:
                found.update({value, quote(value, safe="")})
        for credential in (parts.username, parts.password):  # percent-encoded in the URL
            if credential:
                found.update({credential, unquote(credential)})
        if self.default_body_patterns:  # "api_key": "..." in the body, echoed elsewhere
            for match in CREDENTIAL_FIELD.finditer(request.body):
                found.update(value.decode("utf-8", "replace") for value in match.groups() if value)
        return sorted((s.encode() for s in found if len(s) >= MIN_LITERAL), key=len, reverse=True)

    def patterns_for(self, request: RecordedRequest | None) -> list[re.Pattern[bytes]]:
        """Body patterns for one interaction: the user's, then its literal secrets."""
        literals = self.secrets_in(request) if request is not None else []
        return [
            *self.default_body_patterns,
            *self.body_patterns,
            *(re.compile(re.escape(s)) for s in literals),
        ]

    def chunk_redactor(self, request: RecordedRequest | None = None) -> ChunkRedactor:
        """A streaming body redactor for the response to ``request`` (unredacted)."""
        return ChunkRedactor(self.patterns_for(request))

    def redact_body(self, data: bytes, request: RecordedRequest | None = None) -> bytes:
        """A whole body redacted (the same bytes the chunk path produces, joined)."""
        return self.chunk_redactor(request).redact(data)

    def redact_text(self, text: str, request: RecordedRequest | None = None) -> str:
        """A message, report or any text about to leave the process, redacted: URLs in it lose
        their key-like query values and user info, and the body rules apply (key shapes,
        credential fields, the user's patterns, ``request``'s literal secrets)."""
        redacted = self.redact_body(text.encode("utf-8", "surrogatepass"), request)
        return redacted.decode("utf-8", "surrogatepass")

    def redact_request(self, request: RecordedRequest) -> RecordedRequest:
        """The request with secret headers, query values and body matches replaced."""
        return RecordedRequest(
            method=request.method,
            url=self.redact_url(request.url),
            headers=self.redact_headers(request.headers),
            body=self.redact_body(request.body, request),
            client_path=request.client_path,
        )

    # ---------------------------------------------------------------- whole cassettes

    def redact_interaction(self, interaction: Interaction) -> Interaction:
        """One recorded interaction redacted (chunk boundaries and times kept)."""
        chunks = self.chunk_redactor(interaction.request)
        redacted: list[tuple[float, bytes]] = []
        for chunk in interaction.chunks:
            redacted += chunks.feed(chunk.data, chunk.t)
        redacted += chunks.flush()
        response = interaction.response
        if response is not None:
            response = RecordedResponse(
                status=response.status,
                headers=self.redact_headers(response.headers),
                t=response.t,
            )
        return interaction.model_copy(
            update={
                "request": self.redact_request(interaction.request),
                "response": response,
                "chunks": [Chunk(t=t, data=data) for t, data in redacted],
            }
        )

    def redact_cassette(self, cassette: Cassette) -> Cassette:
        """A copy of ``cassette`` with every interaction redacted."""
        return cassette.model_copy(
            update={"interactions": [self.redact_interaction(i) for i in cassette.interactions]}
        )


def _redact_header_value(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        match = _AUTH_SCHEME.match(value)
        return f"{match.group(1)}{match.group(2)}{MARKER}" if match else MARKER
    if lowered == "cookie":
        return "; ".join(
            f"{pair.split('=', 1)[0].strip()}={MARKER}" if "=" in pair else MARKER
            for pair in value.split(";")
        )
    if lowered == "set-cookie":
        first, _, attributes = value.partition(";")
        cookie = f"{first.split('=', 1)[0].strip()}={MARKER}" if "=" in first else MARKER
        return f"{cookie};{attributes}" if attributes else cookie
    return MARKER


def _secret_parts(name: str, value: str) -> set[str]:
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        match = _AUTH_SCHEME.match(value)
        return {match.group(3).strip()} if match else {value}
    if lowered in ("cookie", "set-cookie"):
        pairs = value.split(";") if lowered == "cookie" else value.split(";")[:1]
        return {pair.split("=", 1)[1].strip() for pair in pairs if "=" in pair}
    return {value}
