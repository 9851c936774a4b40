"""The replay server: a plain ASGI app that serves cassettes over real HTTP.

>>> app = ReplayServer("fixtures/cassettes/real", instant=True)     # doctest: +SKIP
>>> with BackgroundServer(app) as server:                          # doctest: +SKIP
...     openai.OpenAI(base_url=server.url + "/v1", api_key="x")

Every request is answered from the cassettes loaded at startup (``recorder.replay.plan.Replayer``):
request paths are only compared, never opened. The body is written chunk by chunk exactly as
recorded (never re-encoded through an SSE library), each chunk at its planned time measured on
a monotonic clock from the request's arrival. Each response runs in its own task, and a client
that hangs up only ends its own response.
"""

from __future__ import annotations

import asyncio
import logging
import time

from recorder.net.asgi import Receive, Scope, request_from_scope
from recorder.net.asgi import Send as SendMessage
from recorder.net.limits import MAX_BODY_BYTES, BodyTooLarge, read_limited_body, refuse_body
from recorder.replay.faults import FaultSpec
from recorder.replay.matching import Matcher
from recorder.replay.plan import CassetteSource, Replayer, ReplayPlan

__all__ = ["ReplayServer"]


# uvicorn's only way to drop a connection mid-body is an app that returns without finishing
# the response; it then logs this line as an error. Here that is the intended fault, not a bug.
_ABORT_MESSAGE = "ASGI callable returned without completing response."


class _IntendedAbort(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _ABORT_MESSAGE


def _install_abort_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, _IntendedAbort) for existing in logger.filters):
        logger.addFilter(_IntendedAbort())


class ReplayServer:
    """ASGI app replaying ``cassettes`` (a cassette, paths to files or directories, or a list).

    ``speed`` scales recorded timing (2.0: twice as fast), ``instant`` drops it; ``faults`` is
    a fault spec (``recorder.replay.faults``); ``matcher`` a match spec
    (``recorder.replay.matching``). A request body over ``max_body_bytes`` is answered
    ``413`` unread (headers are bounded by ``recorder.net.limits.BoundedHttpProtocol``).
    """

    def __init__(
        self,
        cassettes: CassetteSource | Replayer,
        *,
        speed: float = 1.0,
        instant: bool = False,
        faults: FaultSpec | str | None = None,
        matcher: Matcher | str | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        self.replayer = (
            cassettes
            if isinstance(cassettes, Replayer)
            else Replayer(cassettes, speed=speed, instant=instant, faults=faults, matcher=matcher)
        )
        _install_abort_filter()

    async def __call__(self, scope: Scope, receive: Receive, send: SendMessage) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # websockets: not ours to serve; uvicorn rejects the handshake
        start = time.monotonic()
        try:
            body = await read_limited_body(scope, receive, self.max_body_bytes)
        except BodyTooLarge as error:
            await refuse_body(scope, send, error)
            return
        if body is None:
            return
        await _execute(self.replayer.respond(request_from_scope(scope, body)), start, receive, send)


async def _execute(plan: ReplayPlan, start: float, receive: Receive, send: SendMessage) -> None:
    """Send ``plan``: headers, chunks and end, each at ``start + at``; stop if the client goes."""

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    # Done when the client hangs up: waits below end early on it, and no task is made per wait.
    gone = asyncio.create_task(watch())

    async def until(at: float) -> bool:
        delay = start + at - time.monotonic()
        if delay > 0 and not gone.done():
            await asyncio.wait((gone,), timeout=delay)
        return not gone.done()

    try:
        if not await until(plan.head_at):
            return
        await send(
            {
                "type": "http.response.start",
                "status": plan.status,
                "headers": [
                    (name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in plan.headers
                ],
            }
        )
        for chunk in plan.sends:
            # A chunk due at once (every chunk under --instant) costs no clock read and no
            # coroutine: 17% of the server's time per chunk went there (cProfile, issue 15.2).
            if chunk.at > 0.0:
                if not await until(chunk.at):
                    return
            elif gone.done():
                return
            await send({"type": "http.response.body", "body": chunk.data, "more_body": True})
        if not await until(plan.end_at):
            return
        if plan.ending == "complete":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        # An abort returns without ending the body: uvicorn closes the connection mid-body.
    finally:
        gone.cancel()


async def _lifespan(receive: Receive, send: SendMessage) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
