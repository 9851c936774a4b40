"""Record modes: whether a test records its cassette, replays it, or both.

The pytest plugin builds one ``CassetteSession`` per test; it decides from the mode and from
whether the cassette exists, then hands out httpx transports, clients and a server URL that
record to or replay from the cassette, and checks a freshly recorded cassette against its
contract when the test ends. The recorder, the replayer and the validator load when first
used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx

from recorder.cassette import Cassette, RecordedRequest, load_cassette
from recorder.errors import UsageError
from recorder.net.asgi import Message, read_body, request_from_scope
from recorder.record.transport import AsyncRecordingTransport, RecordingTransport
from recorder.replay.matching import NoMatch
from recorder.replay.plan import Replayer
from recorder.replay.transport import AsyncReplayTransport, ReplayTransport, recorded_request

__all__ = [
    "AsyncEpisodeTransport",
    "CassetteSession",
    "EpisodeApp",
    "EpisodeTransport",
    "MissingCassetteError",
    "RecordMode",
    "RecordedContractError",
]


class RecordMode(StrEnum):
    """When a test records its cassette and when it replays it (as in pytest-recording)."""

    #: Replay only; a missing cassette is an error.
    NONE = "none"
    #: Replay when the cassette exists, else record it.
    ONCE = "once"
    #: Replay the requests that match a recorded one; record (append) the others.
    NEW_EPISODES = "new_episodes"
    #: Record every time; the new recording replaces the cassette when the test passes.
    ALL = "all"


class MissingCassetteError(Exception):
    """Replay was asked for and the cassette does not exist (the message says how to record)."""


class RecordedContractError(Exception):
    """A cassette just recorded breaks its contract (the message lists the findings)."""


@dataclass
class CassetteSession:
    """One test's cassette: what the ``sse_cassette`` fixture hands the test.

    ``recording`` is true when this test writes the cassette (mode ``all``; ``once`` and
    ``new_episodes`` when it did not exist); ``replaying`` when it reads it. Mode ``all``
    records beside the cassette (``name.jsonl.recording``) and replaces it only when the test
    passes: a failed re-recording never destroys a good cassette (it is kept as
    ``name.jsonl.failed`` for inspection).
    """

    path: Path
    mode: RecordMode
    nodeid: str = ""
    upstream: str | None = None
    profile: str | None = None
    strict: bool = False
    validate: bool = True
    #: Replay without the recorded pauses (tests want speed; timing tests set False).
    instant: bool = True
    #: How to rerun this test to record the cassette (shown when it is missing).
    record_hint: str = ""
    #: Which request fields must match a recording (``recorder.replay.matching``; default
    #: ``method,path``).
    match_on: str | None = None
    recording: bool = field(init=False)
    replaying: bool = field(init=False)
    #: Where recorders write: the cassette, or a file beside it in mode ``all``.
    target: Path = field(init=False)
    _before: tuple[int, int] | None = field(init=False, default=None)
    _closers: list[Callable[[], None]] = field(init=False, default_factory=list)
    _spools: list[Path] = field(init=False, default_factory=list)
    _replay: Replayer | None = field(init=False, default=None)
    #: Why each request that had no recording was not matched (answered 404 in replay).
    misses: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        exists = self.path.is_file()
        if self.mode is RecordMode.NONE and not exists:
            hint = self.record_hint or f"--sse-record-mode=once {self.nodeid}".strip()
            raise MissingCassetteError(
                f"cassette {self.path} does not exist and the record mode is 'none' (replay "
                f"only); record it once with: pytest {hint}"
            )
        self.target = self.path
        if self.mode is RecordMode.ALL and exists:
            self.target = self.path.with_name(self.path.name + ".recording")
            self.target.unlink(missing_ok=True)  # left by a run that was killed
        self._before = _signature(self.target)
        self.replaying = exists and self.mode is not RecordMode.ALL
        self.recording = self.mode is not RecordMode.NONE and not (
            exists and self.mode is RecordMode.ONCE
        )

    # ---------------------------------------------------------------- building blocks

    def _replayer(self) -> Replayer:
        """One replayer per test (shared by its transports and server)."""
        if self._replay is None:
            self._replay = _WatchingReplayer(
                self.path, self.misses, instant=self.instant, matcher=self.match_on
            )
        return self._replay

    def _known(self) -> Callable[[RecordedRequest], bool]:
        """Whether a request has a recording (new_episodes replays those, records the rest)."""
        return self._replayer().queue.knows

    def transport(self, upstream: httpx.BaseTransport | None = None) -> httpx.BaseTransport:
        """An httpx transport for this test (``upstream``: where recording sends requests;
        default a real ``httpx.HTTPTransport``)."""
        transport: httpx.BaseTransport
        if self.recording:
            # append=True: keep what new_episodes replays, and what another recorder of
            # this test wrote; the target of mode all starts empty.
            recorder = RecordingTransport(
                self.target,
                upstream,
                profile=self.profile,
                append=True,
                base_url=self.upstream,
            )
            transport = recorder
            if self.replaying:
                transport = EpisodeTransport(
                    ReplayTransport(self._replayer()),
                    recorder,
                    self._known(),
                )
        else:
            transport = ReplayTransport(self._replayer())
        self._closers.append(transport.close)
        return transport

    def async_transport(
        self, upstream: httpx.AsyncBaseTransport | None = None
    ) -> httpx.AsyncBaseTransport:
        """The async twin of ``transport``; close it (or its client) inside the test's loop."""
        transport: httpx.AsyncBaseTransport
        if self.recording:
            recorder = AsyncRecordingTransport(
                self.target, upstream, profile=self.profile, append=True, base_url=self.upstream
            )
            transport = recorder
            if self.replaying:
                transport = AsyncEpisodeTransport(
                    AsyncReplayTransport(self._replayer()),
                    recorder,
                    self._known(),
                )
            # The transport closes in the test's event loop; the cassette file closes here.
            self._closers.append(recorder.recorder.close)
        else:
            transport = AsyncReplayTransport(self._replayer())
        return transport

    def client(self, **options: Any) -> httpx.Client:
        """An ``httpx.Client`` on ``transport()``; ``base_url`` defaults to the upstream."""
        if self.upstream is not None:
            options.setdefault("base_url", self.upstream)
        return httpx.Client(transport=self.transport(), **options)

    def async_client(self, **options: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on ``async_transport()``; use it as ``async with``."""
        if self.upstream is not None:
            options.setdefault("base_url", self.upstream)
        return httpx.AsyncClient(transport=self.async_transport(), **options)

    def base_url(self) -> str:
        """Start a server on 127.0.0.1 that replays the cassette, or records through to the
        upstream (``new_episodes``: replays what it has, records the rest); return its URL."""
        from recorder.net.serving import BackgroundServer

        options: dict[str, Any] = {}
        app: Any
        if not self.recording:
            app = self._replay_app()
        else:
            from recorder.record.proxy import SERVER_OPTIONS, RecordingProxy

            if not self.upstream:
                raise UsageError(
                    f"{self.nodeid}: recording through a server needs the real server's URL: "
                    "set upstream= in @pytest.mark.sse_cassette or in the sse_config fixture"
                )
            # The proxy writes one cassette per interaction; finish() joins them into ours.
            spool = Path(tempfile.mkdtemp(prefix="sse-recorder-"))
            self._spools.append(spool)
            app = RecordingProxy(self.upstream, spool, profile=self.profile)
            options = SERVER_OPTIONS
            if self.replaying:
                app = EpisodeApp(self._replay_app(), app, self._known())
        server = BackgroundServer(app, **options).start()
        self._closers.append(server.stop)
        return server.url

    def _replay_app(self) -> Any:
        from recorder.replay.server import ReplayServer

        return ReplayServer(self._replayer())

    def _join_spools(self) -> None:
        for spool in self._spools:
            files = sorted(spool.glob("*.jsonl"))
            recorded = [i for file in files for i in load_cassette(file).interactions]
            shutil.rmtree(spool, ignore_errors=True)
            if not recorded:
                continue
            if self.target.is_file():
                existing = load_cassette(self.target)
                joined = existing.interactions + recorded
                existing.model_copy(update={"interactions": joined}).save(self.target)
            else:
                Cassette(profile=self.profile, interactions=recorded).save(self.target)
        self._spools.clear()

    # ---------------------------------------------------------------- the end of the test

    def finish(self, *, passed: bool = True) -> None:
        """Stop servers and close transports; then settle and check what was recorded.

        ``passed``: whether the test itself passed. A recording made by a failing test is not
        validated (the failure says more), and in mode ``all`` does not replace the cassette.
        """
        errors: list[BaseException] = []
        for close in reversed(self._closers):
            try:
                close()
            except Exception as error:  # close everything, report the first failure
                errors.append(error)
        self._closers.clear()
        self._join_spools()
        wrote = _signature(self.target) not in (None, self._before)
        if self.target != self.path and self.target.exists():
            kept = self.path if passed else self.path.with_name(self.path.name + ".failed")
            os.replace(self.target, kept)
        if errors:
            raise errors[0]
        if self.misses:
            raise MissingCassetteError(
                f"{len(self.misses)} request(s) had no recording in {self.path} (answered 404; "
                f"record mode {self.mode.value}); to record them: pytest "
                f"{self.record_hint.replace('=once', '=new_episodes')}\n"
                + "\n".join(f"  {miss}" for miss in self.misses)
            )
        if wrote and passed and self.validate:
            self.check_recording()

    def check_recording(self) -> None:
        """Validate the cassette against its contract; raise ``RecordedContractError`` listing
        the errors (warnings are counted, not listed: ``pytest --sse-validate PATH -v`` shows
        them)."""
        from recorder.validate.assertions import applied_profiles, check, format_findings

        cassette, findings = check(self.path, profile=self.profile, strict=self.strict)
        errors = [finding for finding in findings if finding.is_error]
        if errors:
            others = len(findings) - len(errors)
            raise RecordedContractError(
                f"the stream just recorded in {self.path} breaks the "
                f"{applied_profiles(cassette, self.profile)} contract "
                f"({len(errors)} error(s)); the cassette is kept for inspection:\n"
                + format_findings(errors)
                + (
                    f"\n(and {others} warning(s) or note(s): pytest --sse-validate {self.path} "
                    "-v shows them)"
                    if others
                    else ""
                )
            )


class _WatchingReplayer(Replayer):
    """A replayer that notes why each unmatched request had no recording."""

    def __init__(self, cassette: Path, misses: list[str], **options: Any) -> None:
        super().__init__(cassette, **options)
        self.misses = misses

    def no_match(self, no_match: NoMatch) -> None:
        """Note why a request had no recording (a recorded 404 is a match, not a miss)."""
        self.misses.append(no_match.message)


def _signature(path: Path) -> tuple[int, int] | None:
    """Size and modification time: whether a test wrote the cassette."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


class EpisodeTransport(httpx.BaseTransport):
    """Replays the requests the cassette has; records (appends) the others."""

    def __init__(
        self,
        replay: httpx.BaseTransport,
        record: httpx.BaseTransport,
        known: Callable[[RecordedRequest], bool],
    ) -> None:
        self.replay, self.record, self.known = replay, record, known

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to the replayer when it was recorded, else to the recorder."""
        # The request must be read: a streamed upload cannot be matched on its body.
        body = request.read()
        target = self.replay if self.known(recorded_request(request, body)) else self.record
        return target.handle_request(request)

    def close(self) -> None:
        """Close both sides."""
        self.replay.close()
        self.record.close()


class AsyncEpisodeTransport(httpx.AsyncBaseTransport):
    """The async twin of ``EpisodeTransport``."""

    def __init__(
        self,
        replay: httpx.AsyncBaseTransport,
        record: httpx.AsyncBaseTransport,
        known: Callable[[RecordedRequest], bool],
    ) -> None:
        self.replay, self.record, self.known = replay, record, known

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to the replayer when it was recorded, else to the recorder."""
        # The request must be read: a streamed upload cannot be matched on its body.
        body = await request.aread()
        target = self.replay if self.known(recorded_request(request, body)) else self.record
        return await target.handle_async_request(request)

    async def aclose(self) -> None:
        """Close both sides."""
        await self.replay.aclose()
        await self.record.aclose()


class EpisodeApp:
    """ASGI app: replays the requests the cassette has; sends the others to the recorder."""

    def __init__(self, replay: Any, record: Any, known: Callable[[RecordedRequest], bool]):
        self.replay, self.record, self.known = replay, record, known

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            # The recording proxy holds the pooled upstream client that shutdown must close;
            # the replay side has nothing to release.
            await self.record(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if body is None:
            return
        pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive_again() -> Message:
            return pending.pop() if pending else await receive()

        request = request_from_scope(scope, body, base="http://replay")
        target = self.replay if self.known(request) else self.record
        await target(scope, receive_again, send)
