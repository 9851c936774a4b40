"""The recording core shared by the transports, the proxy and the ``record`` command.

A ``CassetteRecorder`` owns one cassette file; ``start(request)`` opens an
``InteractionRecording`` that is told, as things happen, the response start, each chunk as it
arrives and how the body ended. Each is redacted and written through ``CassetteWriter`` at
once, record by record (crash-safe; with body patterns a chunk that ends inside a line waits
for the line's end). Times are seconds on the monotonic clock since ``start()`` (or the
``started`` given to it), taken just before the request is sent.

Nothing here does I/O on the network: the callers (``recorder.record.transport``,
``recorder.record.proxy``, ``sse-recorder record``) only report what they saw.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from recorder.cassette import CassetteWriter, Outcome, RecordedRequest
from recorder.record.redaction import ChunkRedactor, Redactor

__all__ = ["CassetteRecorder", "InteractionRecording", "outcome_of"]


def outcome_of(error: BaseException) -> tuple[Outcome, str]:
    """How a body ended, given the exception that ended it (httpx, httpx2 or builtin).

    Classified by class names along the exception's MRO and its causes, so the same code
    serves httpx and its fork httpx2 without importing either.
    """
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    names = {cls.__name__ for exc in chain for cls in type(exc).__mro__}
    text = " ".join(str(exc).lower() for exc in chain)
    if isinstance(error, KeyboardInterrupt):
        return "interrupted", detail
    if names & {"TimeoutException", "TimeoutError", "ReadTimeout", "ConnectTimeout"}:
        return "timeout", detail
    if names & {"ConnectionResetError", "BrokenPipeError"} or "reset" in text:
        return "upstream-reset", detail
    if names & {"RemoteProtocolError", "IncompleteRead", "EndOfStream"} or "peer closed" in text:
        return "upstream-closed", detail
    if names & {"ReadError", "ConnectionAbortedError"}:
        return "upstream-reset", detail
    return "error", detail


class CassetteRecorder:
    """One cassette being recorded; thread-safe, any number of interactions (in turn or at once).

    The file is created on the first ``start()`` (``append=True`` adds to an existing
    cassette), so constructing a recorder never truncates anything.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        redactor: Redactor | None = None,
        profile: str | None = None,
        note: str | None = None,
        append: bool = False,
        durable: bool = False,
    ) -> None:
        self.path = Path(path)
        self.redactor = redactor if redactor is not None else Redactor.default()
        self._profile = profile
        self._note = note
        self._append = append
        self._durable = durable
        self._writer: CassetteWriter | None = None
        self._lock = threading.Lock()
        #: The interaction started last (what ``sse-recorder record`` summarises, without
        #: reading the cassette back).
        self.last: InteractionRecording | None = None

    def _open(self) -> CassetteWriter:
        if self._writer is None:
            self._writer = CassetteWriter.create(
                self.path,
                profile=self._profile,
                note=self._note,
                append=self._append,
                durable=self._durable,
            )
        return self._writer

    def start(self, request: RecordedRequest, started: float | None = None) -> InteractionRecording:
        """Record ``request`` (unredacted: it is redacted here) and start its clock (or use
        ``started``, a ``time.perf_counter()`` taken when the request was sent)."""
        started = time.perf_counter() if started is None else started
        chunks = self.redactor.chunk_redactor(request)
        redacted = self.redactor.redact_request(request)
        with self._lock:
            index = self._open().request(redacted)
            self.last = InteractionRecording(self, index, started, chunks)
        return self.last

    def _write_response(
        self, index: int, status: int, headers: list[tuple[str, str]], t: float
    ) -> None:
        with self._lock:
            self._open().response(index, status=status, headers=headers, t=t)

    def _write_chunks(self, index: int, chunks: Iterable[tuple[float, bytes]]) -> None:
        with self._lock:
            writer = self._open()
            for t, data in chunks:
                writer.chunk(index, data, t=t)

    def _write_end(
        self,
        index: int,
        outcome: Outcome,
        t: float,
        detail: str | None,
        client_left: float | None = None,
    ) -> None:
        with self._lock:
            self._open().end(index, outcome, t=t, detail=detail, client_left=client_left)

    def close(self) -> None:
        """Close the file (interactions still open stay ``interrupted``)."""
        with self._lock:
            if self._writer is not None:
                self._writer.close()

    def __enter__(self) -> CassetteRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class InteractionRecording:
    """One interaction in progress: report its response, chunks and end as they happen."""

    def __init__(
        self, owner: CassetteRecorder, index: int, started: float, chunks: ChunkRedactor
    ) -> None:
        self.owner = owner
        self.index = index
        self.started = started
        self._chunks = chunks
        self.chunk_count = 0
        self.size = 0
        #: The response's status, once it arrived.
        self.status: int | None = None
        self.outcome: Outcome | None = None
        #: The ending's detail, as written (redacted).
        self.detail: str | None = None
        # chunk() and end() may race (a transport draining in a thread): never a chunk
        # record after the end record.
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the request started."""
        return time.perf_counter() - self.started

    @property
    def ended(self) -> bool:
        """True once ``end`` (or ``fail``) was called."""
        return self.outcome is not None

    def response(
        self, status: int, headers: Iterable[tuple[str, str]], t: float | None = None
    ) -> None:
        """The status line and headers arrived (they are redacted here), at ``t`` (or now)."""
        headers = self.owner.redactor.redact_response_headers(headers)
        self.status = status
        self.owner._write_response(self.index, status, headers, self.now() if t is None else t)

    def chunk(self, data: bytes, t: float | None = None) -> None:
        """A body chunk arrived (``t``: its arrival time, by default now)."""
        with self._lock:
            if not data or self.ended:
                return
            self.chunk_count += 1
            self.size += len(data)
            ready = self._chunks.feed(data, self.now() if t is None else t)
            if ready:
                self.owner._write_chunks(self.index, ready)

    def end(
        self,
        outcome: Outcome = "complete",
        detail: str | None = None,
        *,
        client_left: float | None = None,
    ) -> None:
        """The body ended; only the first call counts. ``detail`` is redacted like the body
        (an error message may quote a secret: h11 quotes a refused header's value);
        ``client_left``: when the client hung up before that (seconds), if it did."""
        with self._lock:
            if self.ended:
                return
            t = self.now()
            self.outcome = outcome
            if detail is not None:
                detail = self._chunks.redact(detail.encode(errors="backslashreplace")).decode(
                    errors="replace"
                )
            self.detail = detail
            self.owner._write_chunks(self.index, self._chunks.flush())
            self.owner._write_end(self.index, outcome, t, detail, client_left)

    def fail(self, error: BaseException, *, client_left: float | None = None) -> Outcome:
        """The body ended with ``error``: record the outcome it means and return it."""
        outcome, detail = outcome_of(error)
        self.end(outcome, detail, client_left=client_left)
        return outcome
