"""The cassette format: what arrived, byte for byte, with arrival times.

A cassette is a JSON Lines file (UTF-8, one record a line, keys in a fixed order):

    {"kind":"cassette","format":"sse-recorder-cassette","version":1,...}   header, line 1
    {"kind":"request","i":0,"method":"POST","url":"...","headers":[[name,value],...],...}
    {"kind":"response","i":0,"t":0.0121,"status":200,"headers":[...]}
    {"kind":"chunk","i":0,"t":0.0125,"text":"event: thread.created\\ndata: {...}\\n\\n"}
    {"kind":"chunk","i":0,"t":0.0311,"b64":"ZGF0YTog4oI="}   a chunk that is not UTF-8 on its own
    {"kind":"end","i":0,"t":1.2040,"outcome":"complete"}

``i`` is the interaction index, ``t`` seconds since the request was sent. Chunks are stored
exactly as they arrived (a chunk boundary may split a UTF-8 character: such a chunk is kept as
base64, every other as readable text), one per line so that git diffs stay readable.

The format is written incrementally and flushed record by record (``CassetteWriter``): a
recorder killed at any moment leaves a file whose complete lines all load. A torn last line
(the one being written at the kill) is dropped with a warning in ``Cassette.warnings``, and an
interaction without an ``end`` record reports the outcome ``interrupted``. Anything else that
does not fit (a corrupt line in the middle, a foreign file, a newer version) raises
``CassetteFormatError`` naming the file, the line and the cause.

Raw ``.sse`` files (a response body alone) load as a cassette with one interaction whose body
is a single chunk and whose request is unknown.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated, Any, Final, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from recorder._version import __version__
from recorder.cassette.reading import read_named
from recorder.errors import CassetteFormatError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Cassette",
    "CassetteWriter",
    "Chunk",
    "Interaction",
    "Outcome",
    "RecordedRequest",
    "RecordedResponse",
    "load_cassette",
    "record_schema",
]

FORMAT_NAME: Final = "sse-recorder-cassette"
FORMAT_VERSION = 1

#: How an interaction's body ended.
#: complete: the peer ended the body normally; upstream-closed: the connection closed before the
#: announced end (or mid-event); upstream-reset / timeout / error: transport failures;
#: client-disconnected: the client hung up and the rest of the body was not read (a transport
#: caller closing early; a proxy past its bounds for reading on); interrupted: the recorder itself
#: stopped before it could write an end record (a crash or kill).
Outcome = Literal[
    "complete",
    "upstream-closed",
    "upstream-reset",
    "timeout",
    "error",
    "client-disconnected",
    "interrupted",
]

Headers = list[tuple[str, str]]

# allow_inf_nan=False: a time of 1e999 (infinity) loaded, and parse then printed Infinity,
# which is not JSON.
_RECORD_CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class HeaderRecord(BaseModel):
    """Line 1: what the file is and how it was made."""

    model_config = _RECORD_CONFIG
    kind: Literal["cassette"] = "cassette"
    format: Literal["sse-recorder-cassette"] = FORMAT_NAME
    version: int = FORMAT_VERSION
    tool: str = f"sse-recorder {__version__}"
    recorded_at: str = Field(default_factory=lambda: _now_iso())
    profile: str | None = None
    note: str | None = None


def _parsable_url(url: str) -> str:
    """A recorded URL must parse (``http://[::1`` made every command that reads the cassette
    fail later, and the replay server answer 500 to every request)."""
    try:
        urlsplit(url)
    except ValueError as error:
        raise ValueError(f"the URL {url[:80]!r} does not parse ({error})") from None
    return url


class RequestRecord(BaseModel):
    """The request of interaction ``i`` (its body as text, or base64 when not UTF-8)."""

    model_config = _RECORD_CONFIG
    kind: Literal["request"] = "request"
    i: int = Field(ge=0)
    method: str
    url: Annotated[str, AfterValidator(_parsable_url)]
    #: The path the client asked for, when it is not ``url``'s path: a recording proxy or a
    #: transport with a ``base_url`` forwarded it under the upstream's base path.
    client_path: str | None = None
    headers: Headers = []
    text: str | None = None
    b64: str | None = None


class ResponseRecord(BaseModel):
    """Status and headers of interaction ``i``, ``t`` seconds after the request."""

    model_config = _RECORD_CONFIG
    kind: Literal["response"] = "response"
    i: int = Field(ge=0)
    t: float = Field(ge=0)
    status: int = Field(ge=100, le=999)
    headers: Headers = []


class ChunkRecord(BaseModel):
    """One body chunk as it arrived: ``text`` when it is valid UTF-8 on its own, else ``b64``."""

    model_config = _RECORD_CONFIG
    kind: Literal["chunk"] = "chunk"
    i: int = Field(ge=0)
    t: float = Field(ge=0)
    text: str | None = None
    b64: str | None = None


class EndRecord(BaseModel):
    """How and when the body of interaction ``i`` ended."""

    model_config = _RECORD_CONFIG
    kind: Literal["end"] = "end"
    i: int = Field(ge=0)
    t: float = Field(ge=0)
    outcome: Outcome
    detail: str | None = None
    #: When the client (of a recording proxy) hung up, if it did before the body ended. A
    #: fact about the client, not the stream: the proxy reads on to the upstream's end, and
    #: replay ignores it.
    client_left: float | None = Field(default=None, ge=0)


Record = Annotated[
    HeaderRecord | RequestRecord | ResponseRecord | ChunkRecord | EndRecord,
    Field(discriminator="kind"),
]
_RECORD_ADAPTER: TypeAdapter[Any] = TypeAdapter(Record)


def record_schema() -> dict[str, Any]:
    """The JSON Schema of one cassette line (``schemas/cassette.schema.json`` is this)."""
    schema = _RECORD_ADAPTER.json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://sse-recorder.invalid/schemas/cassette.schema.json",
        "title": "sse-recorder cassette line",
        "description": "Each line of a cassette (JSON Lines) is one of these records; "
        "line 1 is the 'cassette' header.",
        **schema,
    }


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _encode_bytes(data: bytes) -> tuple[str | None, str | None]:
    """``(text, None)`` when ``data`` is UTF-8 on its own, else ``(None, base64)``."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, base64.b64encode(data).decode("ascii")


def _decode_bytes(text: str | None, b64: str | None) -> bytes:
    if b64 is not None:
        return base64.b64decode(b64, validate=True)
    return (text or "").encode("utf-8")


# --------------------------------------------------------------------------- in-memory model


def _first_header(headers: Headers, name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers if k.lower() == lowered), None)


class RecordedRequest(BaseModel):
    """A request as recorded (after redaction).

    ``url`` is where the request went (for a recording proxy: the upstream's full URL);
    ``client_path`` the path the client asked for when that differs from ``url``'s path (a
    proxy or a ``base_url`` in front of an upstream mounted under a path, such as
    ``https://gateway.ai.cloudflare.com/v1/{account}/{gateway}/openai``). Replay answers
    either.
    """

    model_config = ConfigDict(frozen=True)
    method: str
    url: str
    headers: Headers = []
    body: bytes = b""
    client_path: str | None = None

    @property
    def path(self) -> str:
        """The URL's path (``/v1/threads/runs``), without query."""
        return urlsplit(self.url).path or "/"

    @property
    def requested_path(self) -> str:
        """The path the client asked for: ``client_path``, else ``path``."""
        return self.client_path or self.path

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        return _first_header(self.headers, name)


class RecordedResponse(BaseModel):
    """Status line and headers of a recorded response."""

    model_config = ConfigDict(frozen=True)
    status: int
    headers: Headers = []
    t: float = 0.0

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        return _first_header(self.headers, name)


class Chunk(BaseModel):
    """One body chunk and its arrival time, in seconds since the request was sent."""

    model_config = ConfigDict(frozen=True)
    t: float
    data: bytes


class Interaction(BaseModel):
    """One request and its response, with the body as the chunks that arrived."""

    request: RecordedRequest
    response: RecordedResponse | None = None
    chunks: list[Chunk] = []
    outcome: Outcome = "interrupted"
    outcome_detail: str | None = None
    ended_at: float | None = None
    #: When the client of a recording proxy hung up before the body ended (None: it did not).
    client_left_at: float | None = None

    @property
    def body(self) -> bytes:
        """The whole body: every chunk joined."""
        return b"".join(chunk.data for chunk in self.chunks)

    @property
    def complete(self) -> bool:
        """True when the body ended normally."""
        return self.outcome == "complete"

    @property
    def is_event_stream(self) -> bool:
        """True when the response says ``text/event-stream`` (or is unknown: a raw body)."""
        if self.response is None:
            return True
        content_type = self.response.header("content-type")
        return content_type is None or "text/event-stream" in content_type.lower()


class Cassette(BaseModel):
    """A loaded cassette: header fields, interactions in order, and load warnings."""

    format_version: int = FORMAT_VERSION
    tool: str = f"sse-recorder {__version__}"
    recorded_at: str = Field(default_factory=_now_iso)
    profile: str | None = None
    note: str | None = None
    interactions: list[Interaction] = []
    #: Where it was loaded from (None when built in memory).
    path: str | None = None
    #: True when it came from a raw ``.sse`` body rather than a cassette file.
    raw: bool = False
    #: Non-fatal load problems: a torn last line, interactions that never ended.
    warnings: list[str] = []

    # ---------------------------------------------------------------- reading

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cassette:
        """Load a cassette file or a raw ``.sse`` body; ``-`` reads standard input."""
        return load_cassette(path)

    @classmethod
    def from_sse(
        cls,
        body: bytes,
        *,
        request: RecordedRequest | None = None,
        path: str | None = None,
        status: int = 200,
    ) -> Cassette:
        """Wrap a raw response body as a one-interaction cassette (a single chunk, time 0)."""
        interaction = Interaction(
            request=request or RecordedRequest(method="POST", url="/"),
            response=RecordedResponse(
                status=status, headers=[("content-type", "text/event-stream")]
            ),
            chunks=[Chunk(t=0.0, data=body)] if body else [],
            outcome="complete",
            ended_at=0.0,
        )
        return cls(interactions=[interaction], path=path, raw=True)

    @classmethod
    def loads(cls, data: bytes, *, path: str = "<cassette>") -> Cassette:
        """Parse cassette JSON Lines from memory."""
        return _Loader(path).load(data.split(b"\n"))

    # ---------------------------------------------------------------- writing

    def records(self) -> Iterator[BaseModel]:
        """The file's records in order: header, then each interaction's lines."""
        yield HeaderRecord(
            version=self.format_version,
            tool=self.tool,
            recorded_at=self.recorded_at,
            profile=self.profile,
            note=self.note,
        )
        for index, interaction in enumerate(self.interactions):
            yield _request_record(index, interaction.request)
            if interaction.response is not None:
                yield ResponseRecord(
                    i=index,
                    t=interaction.response.t,
                    status=interaction.response.status,
                    headers=interaction.response.headers,
                )
            for chunk in interaction.chunks:
                text, b64 = _encode_bytes(chunk.data)
                yield ChunkRecord(i=index, t=round(chunk.t, 6), text=text, b64=b64)
            if interaction.outcome != "interrupted":
                yield EndRecord(
                    i=index,
                    t=round(
                        interaction.ended_at
                        if interaction.ended_at is not None
                        else (interaction.chunks[-1].t if interaction.chunks else 0.0),
                        6,
                    ),
                    outcome=interaction.outcome,
                    detail=interaction.outcome_detail,
                    client_left=(
                        None
                        if interaction.client_left_at is None
                        else round(interaction.client_left_at, 6)
                    ),
                )

    def dumps(self) -> str:
        """The cassette as JSON Lines text."""
        return "".join(_dump_record(record) for record in self.records())

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the cassette atomically (a temporary file, then a rename)."""
        target = Path(path)
        if target.is_dir():
            raise CassetteFormatError("is a directory, not a cassette file", path=target)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(self.dumps())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return target


def _request_record(index: int, request: RecordedRequest) -> RequestRecord:
    text, b64 = _encode_bytes(request.body) if request.body else (None, None)
    return RequestRecord(
        i=index,
        method=request.method,
        url=request.url,
        client_path=request.client_path if request.client_path != request.path else None,
        headers=request.headers,
        text=text,
        b64=b64,
    )


def _dump_record(record: BaseModel) -> str:
    # exclude_none keeps lines short; field order is the model's, so keys are stable.
    payload = record.model_dump(mode="json", exclude_none=True)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n"


# --------------------------------------------------------------------------- loading


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Load a cassette or a raw SSE body from ``path`` (``-``: standard input).

    A raw body is recognised by the ``.sse`` suffix, or, for standard input and files with
    other suffixes, by not starting with a cassette header line.
    """
    name = os.fspath(path)
    if name == "-":
        data = sys.stdin.buffer.read()
        return _load_bytes(data, "<stdin>", suffix="")
    file = Path(name)
    data = read_named(file)  # a FIFO without a writer: an error, not a hang
    return _load_bytes(data, name, suffix=file.suffix.lower())


_HEADER_PREFIX = b'{"kind":"cassette"'


def _load_bytes(data: bytes, name: str, *, suffix: str) -> Cassette:
    if suffix == ".sse":
        return Cassette.from_sse(data, path=name)
    if data.lstrip().startswith(_HEADER_PREFIX) or suffix in (".jsonl", ".cassette"):
        return _Loader(name).load(data.split(b"\n"))
    if _looks_like_sse(data):
        return Cassette.from_sse(data, path=name)
    raise CassetteFormatError(
        f"not an sse-recorder cassette or SSE body ({_describe_foreign(data)})", path=name, line=1
    )


def _looks_like_sse(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf")
    if not head.strip():
        return True
    first = head.split(b"\n", 1)[0].strip()
    return first.startswith((b"event:", b"data:", b"id:", b"retry:", b":")) or first in (
        b"event",
        b"data",
    )


def _describe_foreign(data: bytes) -> str:
    head = data[:200].lstrip()
    if head.startswith(b"interactions:") or b"\ninteractions:" in data[:4096]:
        return "looks like a vcrpy YAML cassette: use 'sse-recorder import'"
    if head.startswith(b"{") and b'"log"' in data[:4096]:
        return "looks like a HAR file: use 'sse-recorder import'"
    if head.startswith((b"{", b"[")):
        return "JSON without a cassette header line"
    return "first line is neither a cassette header nor an SSE field"


class _Loader:
    """Turns JSON Lines into a Cassette, with exact locations in every error."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, line: int, message: str) -> CassetteFormatError:
        return CassetteFormatError(message, path=self.name, line=line)

    def load(self, lines: list[bytes]) -> Cassette:
        """Load ``data.split(b"\\n")``: every line but a torn last one must be a valid record."""
        # A file written by CassetteWriter always ends with LF, so the piece after the last
        # LF is empty; anything else there is a record a crash cut short (or a hand-edited
        # file without a final newline, which loads if it parses).
        tail = lines.pop() if lines else b""
        if not lines and not tail.strip():
            raise self.fail(1, "empty file: no cassette header")
        cassette: Cassette | None = None
        interactions: dict[int, Interaction] = {}
        warnings: list[str] = []
        for number, raw in enumerate(lines, start=1):
            record = self._parse(raw, number)
            if number == 1:
                cassette = self._header(record, number)
            else:
                self._apply(record, interactions, number)
        if tail.strip():
            number = len(lines) + 1
            try:
                record = self._parse(tail, number)
            except CassetteFormatError:
                if number == 1:
                    raise
                warnings.append(
                    f"{self.name}:{number}: last line is incomplete (the recording was "
                    "interrupted while writing it); it was dropped"
                )
            else:
                if number == 1:
                    cassette = self._header(record, number)
                else:
                    self._apply(record, interactions, number)
        assert cassette is not None
        ordered = [interactions[i] for i in sorted(interactions)]
        if sorted(interactions) != list(range(len(ordered))):
            raise self.fail(len(lines), "interaction indexes are not 0, 1, 2, ...")
        warnings.extend(
            f"{self.name}: interaction {index} has no end record (the recording was interrupted)"
            for index, interaction in enumerate(ordered)
            if interaction.outcome == "interrupted"
        )
        return cassette.model_copy(update={"interactions": ordered, "warnings": warnings})

    def _parse(self, raw: bytes, number: int) -> Any:
        if not raw.strip():
            raise self.fail(number, "empty line inside a cassette")
        try:
            record = _RECORD_ADAPTER.validate_json(raw)
        except ValidationError as error:
            raise self.fail(number, _explain(error)) from None
        if number > 1 and isinstance(record, HeaderRecord):
            raise self.fail(number, "a second cassette header")
        return record

    def _header(self, record: object, number: int) -> Cassette:
        if not isinstance(record, HeaderRecord):
            raise self.fail(number, "first line is not a cassette header")
        if record.version > FORMAT_VERSION:
            raise self.fail(
                number,
                f"cassette format version {record.version} is newer than this sse-recorder "
                f"reads (up to {FORMAT_VERSION}); upgrade sse-recorder",
            )
        if record.version < 1:
            raise self.fail(number, f"unknown cassette format version {record.version}")
        return Cassette(
            format_version=record.version,
            tool=record.tool,
            recorded_at=record.recorded_at,
            profile=record.profile,
            note=record.note,
            path=self.name,
        )

    def _apply(self, record: object, interactions: dict[int, Interaction], number: int) -> None:
        if isinstance(record, RequestRecord):
            if record.i in interactions:
                raise self.fail(number, f"interaction {record.i} has two requests")
            body = self._bytes(record.text, record.b64, number)
            interactions[record.i] = Interaction(
                request=RecordedRequest(
                    method=record.method,
                    url=record.url,
                    headers=record.headers,
                    body=body,
                    client_path=record.client_path,
                )
            )
            return
        assert isinstance(record, ResponseRecord | ChunkRecord | EndRecord)
        interaction = interactions.get(record.i)
        if interaction is None:
            raise self.fail(number, f"{record.kind} for interaction {record.i} before its request")
        if interaction.outcome != "interrupted":
            raise self.fail(number, f"{record.kind} after the end of interaction {record.i}")
        if isinstance(record, ResponseRecord):
            if interaction.response is not None:
                raise self.fail(number, f"interaction {record.i} has two responses")
            interaction.response = RecordedResponse(
                status=record.status, headers=record.headers, t=record.t
            )
        elif isinstance(record, ChunkRecord):
            if (record.text is None) == (record.b64 is None):
                raise self.fail(number, "a chunk needs exactly one of 'text' and 'b64'")
            interaction.chunks.append(
                Chunk(t=record.t, data=self._bytes(record.text, record.b64, number))
            )
        else:
            interaction.outcome = record.outcome
            interaction.outcome_detail = record.detail
            interaction.ended_at = record.t
            interaction.client_left_at = record.client_left

    def _bytes(self, text: str | None, b64: str | None, number: int) -> bytes:
        try:
            return _decode_bytes(text, b64)
        except (binascii.Error, ValueError):
            raise self.fail(number, "invalid base64 in 'b64'") from None


def _is_record(line: bytes) -> bool:
    try:
        _RECORD_ADAPTER.validate_json(line)
    except ValidationError:
        return False
    return True


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    if first["type"] == "json_invalid":
        return f"invalid JSON ({first['msg'].removeprefix('Invalid JSON: ')})"
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "union_tag_invalid" or first["type"] == "union_tag_not_found":
        return f"unknown record kind ({first['msg']})"
    return f"bad record: {where}: {first['msg']}" if where else f"bad record: {first['msg']}"


# --------------------------------------------------------------------------- incremental writer


class CassetteWriter:
    """Writes a cassette record by record, flushing each, so a crash loses nothing written.

    >>> with CassetteWriter.create(path) as writer:            # doctest: +SKIP
    ...     index = writer.request(RecordedRequest(method="POST", url=url))
    ...     writer.response(index, status=200, headers=[...], t=0.01)
    ...     writer.chunk(index, b"data: 1\\n\\n", t=0.02)
    ...     writer.end(index, "complete", t=0.03)

    ``durable=True`` also fsyncs every record (survives power loss, not just a killed process;
    costs a disk flush per chunk).
    """

    def __init__(self, handle: IO[bytes], path: str, next_index: int, durable: bool) -> None:
        self._handle = handle
        self.path = path
        self._next_index = next_index
        self._durable = durable
        self._open: set[int] = set()

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        profile: str | None = None,
        note: str | None = None,
        append: bool = False,
        durable: bool = False,
    ) -> Self:
        """Start a new cassette at ``path`` (``append=True`` adds to an existing one)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if append and target.exists() and target.stat().st_size > 0:
            data = target.read_bytes()
            existing = _load_bytes(data, str(target), suffix=target.suffix.lower())
            if existing.raw:
                raise CassetteFormatError("cannot append to a raw .sse body", path=target)
            handle = open(target, "ab")  # noqa: SIM115 - closed by close()
            tail = data[data.rfind(b"\n") + 1 :]
            if tail and _is_record(tail):
                handle.write(b"\n")  # a hand-edited last line without its LF: keep it
            elif tail:
                # A torn last line (a kill mid-write; the loader dropped it): cut it off, or
                # the records appended after it would put it mid-file, where it cannot load.
                handle.truncate(len(data) - len(tail))
            return cls(handle, str(target), len(existing.interactions), durable)
        handle = open(target, "wb")  # noqa: SIM115 - closed by close()
        writer = cls(handle, str(target), 0, durable)
        writer._write(HeaderRecord(profile=profile, note=note))
        return writer

    def _write(self, record: BaseModel) -> None:
        self._handle.write(_dump_record(record).encode("utf-8"))
        self._handle.flush()
        if self._durable:
            os.fsync(self._handle.fileno())

    def request(self, request: RecordedRequest) -> int:
        """Record a request; return the index of the interaction it opens."""
        index = self._next_index
        self._next_index += 1
        self._open.add(index)
        self._write(_request_record(index, request))
        return index

    def response(self, index: int, *, status: int, headers: Headers, t: float) -> None:
        """Record the status line and headers of interaction ``index``."""
        self._write(ResponseRecord(i=index, t=round(t, 6), status=status, headers=headers))

    def chunk(self, index: int, data: bytes, *, t: float) -> None:
        """Record one body chunk exactly as it arrived."""
        if data:
            text, b64 = _encode_bytes(data)
            self._write(ChunkRecord(i=index, t=round(t, 6), text=text, b64=b64))

    def end(
        self,
        index: int,
        outcome: Outcome,
        *,
        t: float,
        detail: str | None = None,
        client_left: float | None = None,
    ) -> None:
        """Record how the body of interaction ``index`` ended (``client_left``: when the
        client hung up before that, if it did)."""
        if index in self._open:
            self._open.discard(index)
            left = None if client_left is None else round(client_left, 6)
            self._write(
                EndRecord(i=index, t=round(t, 6), outcome=outcome, detail=detail, client_left=left)
            )

    def close(self) -> None:
        """Close the file. Interactions still open stay without an end (``interrupted``)."""
        if not self._handle.closed:
            self._handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def iter_cassette_paths(paths: Sequence[str | os.PathLike[str]]) -> Iterator[str]:
    """Expand files and directories (recursively) into cassette and ``.sse`` paths, sorted."""
    for entry in paths:
        name = os.fspath(entry)
        if name != "-" and Path(name).is_dir():
            found = sorted(
                str(p)
                for p in Path(name).rglob("*")
                if p.is_file() and p.suffix.lower() in (".jsonl", ".sse", ".cassette")
            )
            yield from found
        else:
            yield name
