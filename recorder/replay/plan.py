"""The replay plan: what to send, when, and how to end. Pure and sans-I/O.

``plan(interaction, speed=, instant=, faults=)`` turns a recorded interaction into a status,
headers and a list of ``Send(at, data)``, where ``at`` is seconds after the request arrived.
The replay server (``recorder.replay.server``) and the in-process transports
(``recorder.replay.transport``) only execute a plan: they wait until ``start + at`` on a
monotonic clock (never by adding up sleeps, so scheduling errors do not accumulate) and write
``data`` exactly as it is, one chunk per ``Send``.

Recorded chunks keep their boundaries and bytes; only faults change them. Timing is the
recorded one divided by ``speed``, or none at all with ``instant``. A recorded body that ended
normally (``complete``, or ``interrupted``: the recorder stopped, not the peer) ends normally;
one that ended in a reset, a timeout or an early close ends with an abort, as it did then.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from recorder.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    iter_cassette_paths,
    load_cassette,
)
from recorder.errors import UsageError
from recorder.net.asgi import HOP_BY_HOP
from recorder.replay.faults import FaultSpec, Piece, apply_event_faults, rechunk
from recorder.replay.matching import InteractionQueue, Matcher, NoMatch

if TYPE_CHECKING:
    from recorder.profiles import ProfileView

__all__ = [
    "NOT_REPLAYED",
    "CassetteSource",
    "ReplayPlan",
    "Replayer",
    "Send",
    "load_cassettes",
    "plan",
    "replay_headers",
]

#: What a replayer accepts: a loaded cassette, a path (file or directory), or several.
CassetteSource = Cassette | str | os.PathLike[str] | Sequence[Cassette | str | os.PathLike[str]]

#: Never replayed: connection headers, and the length, which the server's own framing
#: replaces. ``content-encoding`` stays: a cassette keeps the bytes as they came, compressed if
#: the upstream compressed them.
NOT_REPLAYED = HOP_BY_HOP | {"content-length"}


@dataclass(frozen=True, slots=True)
class Send:
    """Write ``data`` as one chunk at ``at`` seconds after the request arrived."""

    at: float
    data: bytes


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """Everything a server or transport needs to replay one response."""

    status: int
    headers: list[tuple[str, str]]
    #: When to send the status line and headers (seconds after the request).
    head_at: float
    sends: list[Send]
    #: When the body ends (normally or by an abort).
    end_at: float
    #: ``complete``: end the body normally; ``abort``: drop the connection mid-body.
    ending: Literal["complete", "abort"]
    #: Why it aborts (a fault, or the recorded outcome).
    detail: str | None = None
    #: Faults that changed nothing in this response, each with why (``truncate-after=999``
    #: on 40 events; ``disconnect-after-ms`` past the end, or under ``--instant``).
    idle_faults: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> bytes:
        """Every chunk joined: what a client reads."""
        return b"".join(send.data for send in self.sends)


def replay_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Recorded headers minus ``NOT_REPLAYED`` (hop-by-hop ones such as
    ``transfer-encoding``, and ``content-length``); ``content-encoding`` is kept."""
    return [(name, value) for name, value in headers if name.lower() not in NOT_REPLAYED]


def plan(
    interaction: Interaction,
    *,
    speed: float = 1.0,
    instant: bool = False,
    faults: FaultSpec | str | None = None,
    view: ProfileView | None = None,
) -> ReplayPlan:
    """Build the replay plan of one interaction (see the module docstring).

    ``view`` is the stream's profile view (its sentinel and error event, for ``drop-done`` and
    ``error-event``); when a fault needs it and none is given, the profile is recognised from
    the recorded request and first events, as ``validate`` does."""
    if not instant and not speed > 0:
        raise UsageError(f"speed must be a positive number, got {speed}")
    spec = FaultSpec.parse(faults)
    response = interaction.response
    if response is None:
        return _no_response(interaction)

    def scale(t: float) -> float:
        return 0.0 if instant else t / speed

    pieces = [Piece(chunk.t, chunk.data) for chunk in interaction.chunks]
    applies = bool(spec) and interaction.is_event_stream
    idle: dict[str, str] = {}
    if applies:
        if view is None and spec.needs_view:
            from recorder.profiles import detect, first_events

            view = detect(interaction.request, first_events(interaction.chunks)).view
        pieces = apply_event_faults(pieces, spec, idle=idle, view=view)
        for fault in spec.of("rechunk"):
            assert fault.value is not None
            pieces = rechunk(pieces, fault.value)
    head_at = scale(response.t)
    sends: list[Send] = []
    at = head_at
    for piece in pieces:
        # Never earlier than the previous chunk: reordered events go out back to back.
        at = max(at, scale(piece.t) + piece.shift)
        sends.append(Send(at, piece.data))
    ended = interaction.ended_at if interaction.ended_at is not None else 0.0
    shift = pieces[-1].shift if pieces else 0.0
    end_at = max(at, scale(ended) + shift)
    ending: Literal["complete", "abort"] = "complete"
    detail = None
    if interaction.outcome not in ("complete", "interrupted"):
        ending = "abort"
        detail = f"recorded outcome {interaction.outcome}" + (
            f": {interaction.outcome_detail}" if interaction.outcome_detail else ""
        )
    if applies:
        for fault in spec.of("disconnect-after-ms"):
            assert fault.value is not None
            cut = fault.value / 1000
            # Whatever is planned at or after the cut is never sent.
            if cut <= end_at:
                sends = [send for send in sends if send.at < cut]
                end_at, ending, detail = cut, "abort", f"fault {fault}"
            elif instant:
                idle[str(fault)] = "--instant replays the whole response at 0 ms"
            else:
                idle[str(fault)] = f"the response ends at {end_at * 1000:.0f} ms, before the cut"
    return ReplayPlan(
        status=response.status,
        headers=replay_headers(response.headers),
        head_at=head_at,
        sends=sends,
        end_at=end_at,
        ending=ending,
        detail=detail,
        idle_faults=idle,
    )


def _no_response(interaction: Interaction) -> ReplayPlan:
    message = (
        "sse-recorder: the recorded interaction has no response "
        f"(outcome {interaction.outcome}); nothing to replay"
    )
    body = ('{"error":{"message":"' + message + '","type":"sse_recorder_no_response"}}').encode()
    return ReplayPlan(
        status=502,
        headers=[("content-type", "application/json")],
        head_at=0.0,
        sends=[Send(0.0, body)],
        end_at=0.0,
        ending="complete",
    )


def _not_found(no_match: NoMatch) -> ReplayPlan:
    return ReplayPlan(
        status=404,
        headers=[("content-type", "application/json")],
        head_at=0.0,
        sends=[Send(0.0, no_match.body())],
        end_at=0.0,
        ending="complete",
    )


def load_cassettes(source: CassetteSource) -> list[Cassette]:
    """Load cassettes from a cassette, a path (files, directories: recursively) or a list."""
    items = [source] if isinstance(source, Cassette | str | os.PathLike) else list(source)
    cassettes: list[Cassette] = []
    names: list[str] = []
    for item in items:
        if isinstance(item, Cassette):
            cassettes.append(item)
            continue
        names.append(os.fspath(item))
        cassettes.extend(load_cassette(path) for path in iter_cassette_paths([item]))
    if not cassettes:
        raise UsageError(f"no cassettes or .sse files under {', '.join(names) or 'nothing'}")
    return cassettes


class Replayer:
    """Answers requests with replay plans: matching, timing and faults in one place.

    The replay server and the replay transports each own one and only execute its plans.
    Cassettes are loaded once, here; nothing in a request ever names a file to open.
    An unmatched request gets a 404 plan whose JSON body explains why (``NoMatch``).
    """

    def __init__(
        self,
        cassettes: CassetteSource,
        *,
        speed: float = 1.0,
        instant: bool = False,
        faults: FaultSpec | str | None = None,
        matcher: Matcher | str | None = None,
    ) -> None:
        if not instant and not speed > 0:
            raise UsageError(f"speed must be a positive number, got {speed}")
        self.cassettes = load_cassettes(cassettes)
        self.queue = InteractionQueue(self.cassettes, matcher)
        self.speed = speed
        self.instant = instant
        self.faults = FaultSpec.parse(faults)
        self._plans: dict[int, ReplayPlan] = {}
        self._lock = threading.Lock()
        if self.faults:
            self._check_faults()

    def _check_faults(self) -> None:
        """A fault that changes no recorded response is a usage error naming why, not a
        replay that silently has no fault in it."""
        idle: dict[str, str] | None = None
        for cassette in self.cassettes:
            for interaction in cassette.interactions:
                if interaction.response is None or not interaction.is_event_stream:
                    continue
                planned = plan(
                    interaction, speed=self.speed, instant=self.instant, faults=self.faults
                )
                self._plans[id(interaction)] = planned
                if idle is None:
                    idle = dict(planned.idle_faults)
                else:  # idle only if idle everywhere
                    idle = {f: why for f, why in idle.items() if f in planned.idle_faults}
        if idle:
            fault, why = next(iter(idle.items()))
            raise UsageError(f"fault {fault} would do nothing: {why}")

    @property
    def matcher(self) -> Matcher:
        """The matcher in use."""
        return self.queue.matcher

    def reset(self) -> None:
        """Serve the recordings from the first again (e.g. between two tests)."""
        self.queue.reset()

    def no_match(self, no_match: NoMatch) -> None:
        """Called for each request nothing matches, before its 404 plan is returned; does
        nothing here (the pytest plugin notes the misses)."""

    def respond(self, request: RecordedRequest) -> ReplayPlan:
        """The plan that answers ``request`` (a 404 plan when nothing matches)."""
        found = self.queue.find(request)
        if isinstance(found, NoMatch):
            self.no_match(found)
            return _not_found(found)
        key = id(found.interaction)
        cached = self._plans.get(key)
        if cached is None:
            cached = plan(
                found.interaction, speed=self.speed, instant=self.instant, faults=self.faults
            )
            with self._lock:
                self._plans[key] = cached
        return cached
