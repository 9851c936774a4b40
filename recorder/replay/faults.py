"""Fault injection: one small spec language, shared by the replay server and transport.

A spec is a list of faults separated by commas or semicolons::

    truncate-after=12;stall=500@3
    rechunk=1, drop-done
    swap@5,6            (the number after swap@A is its partner B, not a new fault)

Event numbers are 0-based positions among the events dispatched from the *recorded* body,
``done`` included: the numbering the validator's findings use. They always refer to the
recording, whatever other faults do, so ``duplicate@5,swap@5,6`` means what it says. A fault
whose event a stream does not have leaves that stream alone (one spec serves every interaction
of a directory of cassettes). Faults apply to event streams only; plain JSON responses are
served as recorded. Times are replay times, after ``--speed`` / ``--instant``.

=========================  ====================================================================
fault                      what it does, and the failure it models
=========================  ====================================================================
``truncate-after=N``       keep the first N events, then end the body cleanly: an upstream that
                           closes the stream early (no terminal run event, no ``done``)
``drop-done``              remove the ``done`` event: a proxy that swallows the ``[DONE]``
                           sentinel, so a client waits for an end that never comes
``disconnect-after-ms=T``  cut the connection T ms into the response, without ending the body:
                           a network drop or a killed upstream (the client sees a reset)
``rechunk=N``              re-split the body every N bytes (``rechunk=1``: one byte per chunk):
                           a proxy or TCP splitting events anywhere, even inside UTF-8
                           characters and CRLF pairs; events must not change
``stall=MS@E``             pause MS milliseconds before event E: a slow model or a stalled
                           proxy, for read timeouts and keep-alive handling
``corrupt-json@E``         cut event E's data in half: a payload mangled in transit, so the
                           data is no longer JSON
``duplicate@E``            send event E twice in a row: an at-least-once relay re-sending
``swap@A,B``               exchange events A and B: out-of-order delivery
``error-event@E``          replace events E onward by an ``event: error`` (a server_error
                           payload): an upstream failing mid-run and saying so in-band
=========================  ====================================================================
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from recorder.errors import UsageError
from recorder.wire.sse import SSEParser

if TYPE_CHECKING:
    from recorder.profiles import ProfileView

__all__ = ["FAULT_HELP", "Fault", "FaultSpec", "Piece", "apply_event_faults", "rechunk"]

#: One line per fault, as the usage error and ``--help`` list them.
FAULT_HELP: dict[str, str] = {
    "truncate-after": "truncate-after=N  keep the first N events, then end the body",
    "drop-done": "drop-done  remove the done event",
    "disconnect-after-ms": "disconnect-after-ms=T  cut the connection T ms into the response",
    "rechunk": "rechunk=N  re-split the body every N bytes",
    "stall": "stall=MS@E  pause MS milliseconds before event E",
    "corrupt-json": "corrupt-json@E  cut event E's data in half",
    "duplicate": "duplicate@E  send event E twice",
    "swap": "swap@A,B  exchange events A and B",
    "error-event": "error-event@E  replace events E onward by an error event",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One parsed fault: its name and integer arguments (see the module table)."""

    name: str
    value: int | None = None
    event: int | None = None
    other: int | None = None

    def __str__(self) -> str:
        if self.name == "swap":
            return f"swap@{self.event},{self.other}"
        if self.name == "stall":
            return f"stall={self.value}@{self.event}"
        if self.event is not None:
            return f"{self.name}@{self.event}"
        if self.value is not None:
            return f"{self.name}={self.value}"
        return self.name


_VALUE_FAULTS = ("truncate-after", "disconnect-after-ms", "rechunk")
_EVENT_FAULTS = ("corrupt-json", "duplicate", "error-event")


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A parsed fault spec: ``FaultSpec.parse("rechunk=1,stall=200@3")``."""

    faults: tuple[Fault, ...] = ()
    text: str = field(default="", compare=False)

    @classmethod
    def parse(cls, spec: str | FaultSpec | None) -> FaultSpec:
        """Parse ``spec``; a bad one raises ``UsageError`` listing the allowed faults."""
        if isinstance(spec, FaultSpec):
            return spec
        if not spec or not spec.strip():
            return cls()
        faults: list[Fault] = []
        for token in (part.strip() for part in re.split(r"[,;]", spec)):
            if not token:
                continue
            if (
                _is_number(token)
                and faults
                and faults[-1].name == "swap"
                and faults[-1].other is None
            ):
                faults[-1] = Fault("swap", event=faults[-1].event, other=int(token))
                continue
            faults.append(_parse_one(token, spec))
        for fault in faults:
            if fault.name == "swap" and fault.other is None:
                raise _usage(f"swap needs two events (swap@A,B), got {fault}", spec)
        return cls(tuple(faults), spec.strip())

    def __bool__(self) -> bool:
        return bool(self.faults)

    def __str__(self) -> str:
        return ",".join(str(fault) for fault in self.faults)

    def of(self, name: str) -> list[Fault]:
        """The faults named ``name``, in spec order."""
        return [fault for fault in self.faults if fault.name == name]

    @property
    def needs_view(self) -> bool:
        """True when a fault depends on the stream's API (its sentinel, its error event)."""
        return bool(self.of("drop-done") or self.of("error-event"))

    @property
    def needs_events(self) -> bool:
        """True when some fault works on events (the body must be split into events)."""
        return any(f.name not in ("rechunk", "disconnect-after-ms") for f in self.faults)


def _usage(message: str, spec: str) -> UsageError:
    allowed = "; ".join(FAULT_HELP.values())
    return UsageError(f"bad fault spec {spec!r}: {message}. Allowed faults: {allowed}")


def _is_number(text: str) -> bool:
    # ASCII only: str.isdigit() also accepts "²", which int() then refuses with a traceback.
    return text.isascii() and text.isdigit()


def _number(text: str, what: str, spec: str) -> int:
    if not _is_number(text):
        raise _usage(f"{what} must be a non-negative integer, got {text!r}", spec)
    return int(text)


#: The longest stall or disconnect time: a day. Beyond some 10^11 ms, time.sleep overflows.
_MAX_MILLISECONDS = 86_400_000


def _duration(milliseconds: int, what: str, spec: str) -> int:
    if milliseconds > _MAX_MILLISECONDS:
        raise _usage(f"{what} is at most {_MAX_MILLISECONDS} ms (a day)", spec)
    return milliseconds


def _parse_one(token: str, spec: str) -> Fault:
    name, _, rest = token.partition("=") if "=" in token else token.partition("@")
    name = name.strip().lower()
    if name not in FAULT_HELP:
        raise _usage(f"unknown fault {name!r}", spec)
    if name == "drop-done":
        if rest or token.lower() != name:
            raise _usage("drop-done takes no argument", spec)
        return Fault(name)
    if name in _VALUE_FAULTS:
        if "=" not in token:
            raise _usage(f"{name} needs a value ({FAULT_HELP[name].split()[0]})", spec)
        value = _number(rest.strip(), name, spec)
        if name == "rechunk" and value == 0:
            raise _usage("rechunk needs at least 1 byte per chunk", spec)
        if name == "disconnect-after-ms":
            _duration(value, name, spec)
        return Fault(name, value=value)
    if name == "stall":
        milliseconds, at, event = rest.partition("@")
        if "=" not in token or not at:
            raise _usage("stall needs a duration and an event (stall=MS@E)", spec)
        return Fault(
            name,
            value=_duration(_number(milliseconds.strip(), "stall", spec), name, spec),
            event=_number(event.strip(), "stall event", spec),
        )
    if "@" not in token:
        raise _usage(f"{name} needs an event ({FAULT_HELP[name].split()[0]})", spec)
    if name == "swap":
        return Fault(name, event=_number(rest.strip(), "swap event", spec))
    assert name in _EVENT_FAULTS
    return Fault(name, event=_number(rest.strip(), f"{name} event", spec))


# --------------------------------------------------------------------------- applying


class Piece(NamedTuple):
    """A run of body bytes: recorded arrival ``t`` (s), and extra replay delay ``shift`` (s)."""

    t: float
    data: bytes
    shift: float = 0.0


# The blank line that ends a block: a line end followed by a line end. A lone CR only counts
# when no LF follows, so the CRLF of one line is never read as two line ends.
_BLANK_LINE = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r|\n)")
_LINE_END = re.compile(rb"\r\n|\r|\n")


def _event_ends(body: bytes, view: ProfileView | None) -> tuple[list[int], list[bool]]:
    """End offsets (after the dispatching blank line) of every event, and which close the
    stream (the profile's sentinel, such as ``data: [DONE]``)."""
    parser = SSEParser(keep_comments=False)
    events = parser.feed(body)
    events.extend(parser.close())
    ends: list[int] = []
    done: list[bool] = []
    for event in events:
        match = _BLANK_LINE.search(body, event.offset)
        ends.append(match.end() if match else len(body))
        done.append(view.is_sentinel(event) if view is not None else False)
    return ends, done


def _split(pieces: list[Piece], cuts: list[int]) -> list[list[Piece]]:
    """Split pieces at absolute byte offsets ``cuts`` (ascending): len(cuts) + 1 groups."""
    groups: list[list[Piece]] = [[]]
    position = 0
    remaining = iter(cuts)
    cut = next(remaining, None)
    for piece in pieces:
        data = piece.data
        while cut is not None and position + len(data) >= cut and data:
            head = cut - position
            if head:
                groups[-1].append(piece._replace(data=data[:head]))
            data = data[head:]
            position = cut
            groups.append([])
            cut = next(remaining, None)
        if data:
            groups[-1].append(piece._replace(data=data))
            position += len(data)
    while len(groups) < len(cuts) + 1:
        groups.append([])
    return groups


def _line_end_of(body: bytes) -> bytes:
    match = _LINE_END.search(body)
    return match.group() if match else b"\n"


def _corrupt(pieces: list[Piece]) -> list[Piece]:
    """Cut the first data value of an event in half (at a UTF-8 character boundary)."""
    data = b"".join(piece.data for piece in pieces)
    match = re.search(rb"(?:^|[\r\n])data:[ ]?", data)
    if match is None:
        return pieces
    start = match.end()
    end = _LINE_END.search(data, start)
    stop = end.start() if end else len(data)
    cut = start + (stop - start) // 2
    while cut > start and 0x80 <= data[cut] <= 0xBF:
        cut -= 1
    if cut == stop:
        return pieces
    return [Piece(pieces[-1].t, data[:cut] + data[stop:], pieces[-1].shift)]


def _error_event(fault: Fault, line_end: bytes, t: float, view: ProfileView | None) -> Piece:
    """The in-band error the profile's view says its API sends (and what follows it), else an
    ``event: error`` with an OpenAI-style server_error."""
    if view is not None and view.error_event:
        sse = view.error_event + (view.error_follow or "")
        return Piece(t, sse.replace("\n", line_end.decode()).encode())
    payload = {
        "type": "server_error",
        "code": "server_error",
        "message": f"The server had an error while processing your request ({fault} injected "
        "by sse-recorder).",
        "param": None,
    }
    text = json.dumps(payload, separators=(",", ":")).encode()
    return Piece(t, b"event: error" + line_end + b"data: " + text + line_end + line_end)


def apply_event_faults(
    pieces: list[Piece],
    spec: FaultSpec,
    *,
    idle: dict[str, str] | None = None,
    view: ProfileView | None = None,
) -> list[Piece]:
    """Apply the event-level faults of ``spec`` to a body given as timed pieces (``idle``
    gets each fault that changed nothing, with why).

    Order is fixed, whatever the spec's order: corrupt, duplicate, error-event, swap,
    drop-done, truncate-after, then stall (event numbers always name recorded events).
    """
    if not spec.needs_events:
        return pieces
    body = b"".join(piece.data for piece in pieces)
    if spec.of("drop-done") and (view is None or view.sentinel is None):
        raise UsageError(
            "drop-done has no meaning here: this stream's profile has no closing sentinel "
            "(such as data: [DONE]); it ends with its terminal event (try truncate-after)"
        )
    ends, is_done = _event_ends(body, view)
    groups = _split(pieces, ends)
    tail = groups.pop()
    # (recorded index, origin, pieces): an injected entry has index -1 and, as its origin, the
    # recorded event it copies or replaces, so truncate-after drops it with that event.
    entries: list[tuple[int, int, list[Piece]]] = [(i, i, g) for i, g in enumerate(groups)]
    count = len(groups)

    def position(index: int) -> int | None:
        return next((p for p, (i, _, _) in enumerate(entries) if i == index), None)

    for fault in spec.of("corrupt-json"):
        if fault.event is not None and fault.event < count:
            entries[fault.event] = (fault.event, fault.event, _corrupt(entries[fault.event][2]))
    for fault in spec.of("duplicate"):
        where = position(fault.event) if fault.event is not None else None
        if where is not None:
            original = entries[where][2]
            last = original[-1] if original else Piece(0.0, b"")
            copy = [Piece(last.t, b"".join(p.data for p in original), last.shift)]
            entries.insert(where + 1, (-1, entries[where][0], copy))
    for fault in spec.of("error-event"):
        where = position(fault.event) if fault.event is not None else None
        if where is not None:
            first = entries[where][2][0] if entries[where][2] else Piece(0.0, b"")
            error = _error_event(fault, _line_end_of(body), first.t, view)
            entries[where:] = [(-1, entries[where][0], [error])]
            tail = []
    for fault in spec.of("swap"):
        a = position(fault.event) if fault.event is not None else None
        b = position(fault.other) if fault.other is not None else None
        if a is not None and b is not None:
            entries[a], entries[b] = entries[b], entries[a]
    if spec.of("drop-done"):
        entries = [entry for entry in entries if entry[0] < 0 or not is_done[entry[0]]]
    for fault in spec.of("truncate-after"):
        assert fault.value is not None
        if fault.value < count:
            entries = [entry for entry in entries if entry[1] < fault.value]
            tail = []
        elif idle is not None:
            idle[str(fault)] = f"the stream has only {count} events, so it keeps them all"
    for fault in spec.of("stall"):
        where = position(fault.event) if fault.event is not None else None
        if where is not None and fault.value is not None:
            delay = fault.value / 1000
            entries[where:] = [
                (i, origin, [p._replace(shift=p.shift + delay) for p in g])
                for i, origin, g in entries[where:]
            ]
            tail = [p._replace(shift=p.shift + delay) for p in tail]
    return [piece for _, _, group in entries for piece in group] + tail


def rechunk(pieces: list[Piece], size: int) -> list[Piece]:
    """Re-split the body every ``size`` bytes; each new piece takes the time of its last byte."""
    out: list[Piece] = []
    pending = bytearray()
    for piece in pieces:
        data = piece.data
        while data:
            take = size - len(pending)
            pending += data[:take]
            data = data[take:]
            if len(pending) == size:
                out.append(Piece(piece.t, bytes(pending), piece.shift))
                pending.clear()
    if pending:
        out.append(Piece(pieces[-1].t, bytes(pending), pieces[-1].shift))
    return out
