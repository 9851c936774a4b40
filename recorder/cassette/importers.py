"""Import what people already have: raw ``.sse`` bodies, HAR files, vcrpy YAML cassettes.

- **HAR** (HTTP Archive 1.2, as exported by a browser's developer tools): every entry whose
  response is ``text/event-stream`` becomes an interaction. The body (``content.text``, base64
  when ``content.encoding`` says so) is one chunk, placed at the time of the first byte
  (``blocked + dns + connect + send + wait`` from ``timings``); the interaction ends at the
  entry's total ``time``. Browsers keep the body already decoded, so ``Content-Encoding`` and
  ``Content-Length`` are dropped from the recorded response headers.
- **vcrpy / pytest-recording** cassettes (YAML, or vcrpy's JSON serializer): every
  ``text/event-stream`` interaction. vcrpy joins the body into one blob and records no times,
  so it becomes a single chunk at time 0 and the cassette's note says so. Body forms: a plain
  string, ``!!binary`` (base64 in YAML), ``{"string": ...}`` and the older httpx form
  (``status_code``/``content``); a body still compressed (``Content-Encoding: gzip`` or
  ``deflate``, recorded without ``decode_compressed_response``) is decompressed.
- **raw** ``.sse`` bodies: one interaction, one chunk.

Every import goes through the redaction rules (``recorder.record.redaction``): a HAR file holds the
browser's cookies and ``Authorization`` headers, and those never reach a cassette.

Formats are recognised by content (``detect_format``); a file extension is only a hint.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse
from recorder.cassette.reading import read_named
from recorder.errors import CassetteFormatError, UsageError
from recorder.record.redaction import Redactor

__all__ = [
    "FORMATS",
    "ImportFormat",
    "detect_format",
    "import_bytes",
    "import_file",
    "import_har",
    "import_sse",
    "import_vcr",
]

ImportFormat = Literal["sse", "har", "vcr"]
FORMATS: tuple[ImportFormat, ...] = ("sse", "har", "vcr")

_SSE_FIELDS = (b"event:", b"data:", b"id:", b"retry:", b":")
# Decoded bodies no longer match these headers (a replay would announce gzip and send text).
_BODY_HEADERS = frozenset({"content-encoding", "content-length"})


def detect_format(data: bytes, *, name: str = "<input>") -> ImportFormat:
    """Which importer reads ``data``: by its content, the ``.sse`` suffix only as a tie-break."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        if name.lower().endswith(".sse"):
            return "sse"
        raise CassetteFormatError("empty file: nothing to import", path=name)
    if head.startswith(b'{"kind":"cassette"'):
        raise CassetteFormatError("already an sse-recorder cassette", path=name)
    if head.startswith(b"{"):
        if b'"log"' in head:
            return "har"
        if b'"interactions"' in head:
            return "vcr"
    if head.startswith(b"interactions:") or b"\ninteractions:" in head:
        return "vcr"
    first_line = head.split(b"\n", 1)[0].strip()
    if first_line.startswith(_SSE_FIELDS) or name.lower().endswith(".sse"):
        return "sse"
    if head.startswith((b"{", b"[")):
        raise CassetteFormatError(
            'JSON that is neither a HAR file (no "log") nor a vcrpy cassette (no "interactions")',
            path=name,
        )
    raise CassetteFormatError(
        "not a HAR file, a vcrpy cassette or an SSE body (use --format to force one)",
        path=name,
    )


# --------------------------------------------------------------------------- raw bodies


def import_sse(
    body: bytes, *, request: RecordedRequest | None = None, source: str = "<input>"
) -> Cassette:
    """A raw response body as a one-interaction cassette (one chunk, times unknown)."""
    cassette = Cassette.from_sse(body, request=request)
    return cassette.model_copy(
        update={
            "note": f"imported from {Path(source).name}: one chunk, arrival times were not "
            "recorded",
        }
    )


# --------------------------------------------------------------------------- HAR


def _fail(source: str, message: str, *, interaction: int | None = None) -> CassetteFormatError:
    return CassetteFormatError(message, path=source, interaction=interaction)


def _check_url(url: str, where: str, source: str) -> None:
    try:
        urlsplit(url)
    except ValueError as error:
        raise _fail(source, f"{where}: the URL {url[:80]!r} does not parse ({error})") from None


def _load_json(data: bytes, source: str, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise _fail(source, f"broken {what}: not UTF-8 (byte {error.start})") from None
    except RecursionError:
        raise _fail(source, f"broken {what}: JSON nested too deeply to read") from None
    except json.JSONDecodeError as error:
        raise CassetteFormatError(
            f"broken {what}: invalid JSON ({error.msg}, column {error.colno})",
            path=source,
            line=error.lineno,
        ) from None


def _har_headers(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        return []
    headers: list[tuple[str, str]] = []
    for item in raw:
        if isinstance(item, Mapping):
            name, value = item.get("name"), item.get("value")
            # HTTP/2 pseudo-headers (:authority, :path...) are not headers of the message.
            if isinstance(name, str) and isinstance(value, str) and not name.startswith(":"):
                headers.append((name, value))
    return headers


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)


def _number(value: Any) -> float:
    """A HAR timing in milliseconds (-1 means "does not apply") as non-negative seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        seconds = float(value) / 1000
        return seconds if math.isfinite(seconds) else 0.0  # 1e999: not a time
    return 0.0


def _har_entry(entry: Any, number: int, source: str) -> Interaction | None:
    """The interaction of one HAR entry, or None when it is not an event stream."""
    if not isinstance(entry, Mapping):
        raise _fail(source, f"log.entries[{number}] is not an object")
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, Mapping) or not isinstance(response, Mapping):
        raise _fail(source, f"log.entries[{number}] lacks a request or response object")
    content = response.get("content")
    content = content if isinstance(content, Mapping) else {}
    response_headers = _har_headers(response.get("headers"))
    mime = str(content.get("mimeType") or _header(response_headers, "content-type") or "")
    if "text/event-stream" not in mime.lower():
        return None
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise _fail(source, f"log.entries[{number}].request lacks a method or url")
    _check_url(url, f"log.entries[{number}].request.url", source)
    post = request.get("postData")
    body = b""
    if isinstance(post, Mapping) and isinstance(post.get("text"), str):
        body = post["text"].encode("utf-8")
    text = content.get("text")
    data = b""
    if isinstance(text, str):
        if str(content.get("encoding") or "").lower() == "base64":
            try:
                data = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise _fail(
                    source, f"log.entries[{number}].response.content.text is not valid base64"
                ) from None
        else:
            data = text.encode("utf-8")
    timings = entry.get("timings")
    timings = timings if isinstance(timings, Mapping) else {}
    first_byte = sum(
        _number(timings.get(key)) for key in ("blocked", "dns", "connect", "send", "wait")
    )
    total = max(_number(entry.get("time")), first_byte + _number(timings.get("receive")))
    status = response.get("status")
    error = entry.get("_error") or response.get("_error")
    return Interaction(
        request=RecordedRequest(
            method=method.upper(), url=url, headers=_har_headers(request.get("headers")), body=body
        ),
        response=RecordedResponse(
            status=status if isinstance(status, int) and 100 <= status <= 999 else 200,
            headers=[(k, v) for k, v in response_headers if k.lower() not in _BODY_HEADERS],
            t=round(first_byte, 6),
        ),
        chunks=[Chunk(t=round(first_byte, 6), data=data)] if data else [],
        outcome="error" if error else "complete",
        outcome_detail=str(error) if error else None,
        ended_at=round(total, 6),
    )


def import_har(data: bytes | Mapping[str, Any], *, source: str = "<har>") -> Cassette:
    """Every ``text/event-stream`` entry of a HAR file as an interaction."""
    document = _load_json(data, source, "HAR file") if isinstance(data, bytes) else data
    log = document.get("log") if isinstance(document, Mapping) else None
    entries = log.get("entries") if isinstance(log, Mapping) else None
    if not isinstance(entries, list):
        raise _fail(source, 'broken HAR file: no "log.entries" list')
    interactions: list[Interaction] = []
    warnings: list[str] = []
    for number, entry in enumerate(entries):
        interaction = _har_entry(entry, number, source)
        if interaction is None:
            continue
        if not interaction.chunks:
            # The path only: the query may hold a key, and warnings are not redacted.
            warnings.append(
                f"{source}: log.entries[{number}] ({interaction.request.path}) has no body text "
                "(the browser did not save it): imported without a body"
            )
        interactions.append(interaction)
    if not interactions:
        raise _fail(source, f"no text/event-stream entries among the {len(entries)} HAR entries")
    creator = log.get("creator") if isinstance(log, Mapping) else None
    made_by = (
        f" ({creator.get('name')} {creator.get('version', '')})".rstrip()
        if isinstance(creator, Mapping) and creator.get("name")
        else ""
    )
    return Cassette(
        interactions=interactions,
        warnings=warnings,
        note=f"imported from HAR {Path(source).name}{made_by}: each body is one chunk at the "
        "time of its first byte; arrival times of single events were not recorded",
    )


# --------------------------------------------------------------------------- vcrpy


def _vcr_headers(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, Mapping):
        return []
    headers: list[tuple[str, str]] = []
    for name, values in raw.items():
        for value in values if isinstance(values, list) else [values]:
            if value is not None:
                headers.append((str(name), str(value)))
    return headers


def _vcr_bytes(value: Any) -> bytes:
    if isinstance(value, Mapping):
        value = value.get("string")
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return b""


def _decompress(data: bytes, encoding: str, where: str, source: str) -> bytes:
    coding = encoding.strip().lower()
    try:
        if coding in ("gzip", "x-gzip"):
            return zlib.decompress(data, wbits=47)  # 32 + 15: gzip or zlib header
        if coding == "deflate":
            try:
                return zlib.decompress(data)
            except zlib.error:
                return zlib.decompress(data, wbits=-15)  # raw deflate, as some servers send
    except zlib.error as error:
        raise _fail(source, f"{where}: cannot decompress the {coding} body ({error})") from None
    raise _fail(source, f"{where}: the body is {coding}-compressed, which cannot be decoded here")


def _vcr_interaction(item: Any, number: int, source: str) -> Interaction | None:
    where = f"interactions[{number}]"
    if not isinstance(item, Mapping):
        raise _fail(source, f"{where} is not a mapping")
    request, response = item.get("request"), item.get("response")
    if not isinstance(request, Mapping) or not isinstance(response, Mapping):
        raise _fail(source, f"{where} lacks a request or response")
    headers = _vcr_headers(response.get("headers"))
    content_type = _header(((k.lower(), v) for k, v in headers), "content-type") or ""
    if "text/event-stream" not in content_type.lower():
        return None
    method, url = request.get("method"), request.get("uri") or request.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise _fail(source, f"{where}.request lacks a method or uri")
    _check_url(url, f"{where}.request.uri", source)
    status_field = response.get("status")
    status = (
        status_field.get("code") if isinstance(status_field, Mapping) else None
    ) or response.get("status_code")
    if not isinstance(status, int) or not 100 <= status <= 999:
        raise _fail(source, f"{where}.response has no valid status code")
    if "body" in response:
        data = _vcr_bytes(response.get("body"))
    else:
        data = _vcr_bytes(response.get("content"))
    encoding = _header(((k.lower(), v) for k, v in headers), "content-encoding")
    if encoding and encoding.strip().lower() != "identity" and data:
        data = _decompress(data, encoding, where, source)
        headers = [(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS]
    return Interaction(
        request=RecordedRequest(
            method=method.upper(),
            url=url,
            headers=_vcr_headers(request.get("headers")),
            body=_vcr_bytes(request.get("body")),
        ),
        response=RecordedResponse(status=status, headers=headers, t=0.0),
        chunks=[Chunk(t=0.0, data=data)] if data else [],
        outcome="complete",
        ended_at=0.0,
    )


#: How much larger than the file a YAML document may be once its aliases are expanded. A
#: cassette vcrpy writes has (almost) no aliases, so its expanded size is its own; an alias
#: bomb (``&a [x, x]``, ``&b [*a, *a]``, ... 136 KB that became 1.47 GB in memory) is far past.
MAX_YAML_EXPANSION = 16
#: ... with at least this much allowed, whatever the file's size.
MIN_YAML_BUDGET = 16 * 1024 * 1024


def _check_yaml_size(root: Any, size: int, source: str) -> None:
    """Refuse a YAML document whose aliases expand it past ``MAX_YAML_EXPANSION`` times the
    file's size, or that refers to itself, before anything is built from it. The size of
    each node is counted once (aliases share nodes), without recursion."""
    if root is None:
        return
    budget = max(MAX_YAML_EXPANSION * size, MIN_YAML_BUDGET)
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        children: list[Any] = []
        if isinstance(node.value, list):
            for item in node.value:
                children.extend(item if isinstance(item, tuple) else (item,))
        if not done:
            if key in on_path:
                raise _fail(source, "broken vcrpy YAML cassette: an alias refers to itself")
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        on_path.discard(key)
        total = 1 + (len(node.value) if isinstance(node.value, str) else 0)
        total += sum(sizes[id(child)] for child in children)
        if total > budget:
            raise _fail(
                source,
                f"vcrpy YAML cassette expands past {budget // (1024 * 1024)} MiB through its "
                "aliases (a YAML alias bomb?): refused",
            )
        sizes[key] = total


def import_vcr(data: bytes, *, source: str = "<vcr>") -> Cassette:
    """Every ``text/event-stream`` interaction of a vcrpy cassette (YAML or JSON)."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        document = _load_json(data, source, "vcrpy JSON cassette")
    else:
        try:
            # PyYAML is needed only here: a missing one is a usage problem, not a crash.
            import yaml  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise UsageError(
                "reading vcrpy YAML cassettes needs PyYAML: pip install pyyaml"
            ) from None
        try:
            # The safe loader knows !!binary, the only tag vcrpy writes on Python 3; the C one
            # (libyaml, as vcrpy itself uses) is ~50x faster on large bodies.
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            _check_yaml_size(yaml.compose(data, Loader=loader), len(data), source)
            document = yaml.load(data, Loader=loader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or "invalid YAML"
            raise CassetteFormatError(
                f"broken vcrpy YAML cassette: {problem}",
                path=source,
                line=mark.line + 1 if mark is not None else None,
            ) from None
        except RecursionError:
            raise _fail(source, "broken vcrpy YAML cassette: nested too deeply") from None
        except CassetteFormatError:
            raise
        except ValueError as error:
            # A scalar the safe loader turns into a value and fails on (2024-02-30 as a date).
            raise CassetteFormatError(f"broken vcrpy YAML cassette: {error}", path=source) from None
    items = document.get("interactions") if isinstance(document, Mapping) else None
    if not isinstance(items, list):
        raise _fail(source, 'broken vcrpy cassette: no "interactions" list')
    interactions = [
        interaction
        for number, item in enumerate(items)
        if (interaction := _vcr_interaction(item, number, source)) is not None
    ]
    if not interactions:
        raise _fail(
            source, f"no text/event-stream responses among the {len(items)} vcrpy interactions"
        )
    return Cassette(
        interactions=interactions,
        note=f"imported from vcrpy cassette {Path(source).name}: each body is one chunk; "
        "timing was not recorded",
    )


# --------------------------------------------------------------------------- entry points


def import_bytes(
    data: bytes,
    *,
    source: str = "<input>",
    format: ImportFormat | None = None,
    request: RecordedRequest | None = None,
    redactor: Redactor | None = None,
) -> Cassette:
    """Import ``data`` (format detected unless given), redacted with ``redactor`` (default
    rules when None)."""
    chosen = format or detect_format(data, name=source)
    if chosen not in FORMATS:
        raise UsageError(f"unknown import format {chosen!r} (choose from {', '.join(FORMATS)})")
    if request is not None and chosen != "sse":
        raise UsageError(f"--request applies to raw .sse bodies only, not to {chosen} files")
    if chosen == "har":
        cassette = import_har(data, source=source)
    elif chosen == "vcr":
        cassette = import_vcr(data, source=source)
    else:
        cassette = import_sse(data, request=request, source=source)
    redacted = (redactor or Redactor.default()).redact_cassette(cassette)
    return redacted.model_copy(update={"raw": False, "path": None})


def import_file(
    path: str | Path,
    *,
    format: ImportFormat | None = None,
    request: RecordedRequest | None = None,
    redactor: Redactor | None = None,
) -> Cassette:
    """Import the file at ``path`` (see ``import_bytes``)."""
    name = str(path)
    data = read_named(name, "a file to import")  # a FIFO without a writer: an error, no hang
    return import_bytes(data, source=name, format=format, request=request, redactor=redactor)
