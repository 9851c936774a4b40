"""Schema checks for a profile's checker, held back until the payload version is known.

A stream says its version in a request header or, for a raw body, only through the shape of
its payloads; the first payloads wait (a few at most) until one is decisive. On the common
valid path a check costs one Rust call (``recorder.validate.schemas``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from recorder.profiles import StreamSetup
from recorder.validate.findings import Finding
from recorder.wire.sse import ServerSentEvent

__all__ = ["SchemaGate", "excerpt_of"]

#: Payloads held back at most before the version is decided from what has arrived.
HOLD = 16


def excerpt_of(text: str, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters for a finding's excerpt."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class SchemaGate:
    """Checks payloads against ``schemas/<profile>/<version>/`` and turns issues into findings."""

    def __init__(
        self,
        profile: str,
        setup: StreamSetup,
        events: frozenset[str],
        *,
        version_header: str | None,
        decisive: Callable[[Any], bool],
        sources: Mapping[str, str],
    ) -> None:
        self.profile = profile
        self.setup = setup
        self.strict = setup.strict
        self.events = events
        self.decisive = decisive
        self.sources = sources
        self.schemas: Any = None
        #: Event names both the profile and its schemas know (filled once decided).
        self.known: frozenset[str] = frozenset()
        self.pending: list[tuple[int, ServerSentEvent, Any]] = []
        request = setup.request
        if request is not None and version_header and request.header(version_header):
            self._decide([])

    def _decide(self, payloads: list[Any]) -> None:
        from recorder.validate.schemas import SchemaSet, infer_version

        version = infer_version(self.profile, self.setup.request, payloads)
        self.schemas = SchemaSet.load(self.profile, version)
        self.known = frozenset(name for name in self.events if self.schemas.knows(name))

    def check(self, index: int, ev: ServerSentEvent, payload: Any) -> list[Finding]:
        """Findings of one payload (held back while the version is still unknown)."""
        if self.schemas is None:
            self.pending.append((index, ev, payload))
            if len(self.pending) < HOLD and not self.decisive(payload):
                return []
            return list(self.flush())
        return self._issues(index, ev, payload)

    def flush(self) -> Iterator[Finding]:
        """The findings of the payloads held back, deciding the version if still open."""
        if not self.pending:
            return
        if self.schemas is None:
            self._decide([payload for _, _, payload in self.pending])
        pending, self.pending = self.pending, []
        for index, ev, payload in pending:
            yield from self._issues(index, ev, payload)

    def _issues(self, index: int, ev: ServerSentEvent, payload: Any) -> list[Finding]:
        name = ev.event
        if name not in self.known:
            return []
        return self.findings(index, ev, self.schemas.check(name, payload, strict=self.strict))

    def findings(self, index: int, ev: ServerSentEvent, issues: list[Any]) -> list[Finding]:
        """Schema issues of event ``index`` as findings."""
        name = ev.event
        interaction = self.setup.interaction
        return [
            Finding(
                issue.rule,
                issue.severity,
                f"{name}: {issue.message}",
                interaction,
                index,
                ev.offset,
                ev.line,
                issue.json_path,
                excerpt_of(ev.data),
                self.sources.get(issue.rule, "SPEC"),
            )
            for issue in issues
        ]
