"""Repeated findings as one: the same rule, severity, message and JSON path, with a count.

A deviation every real server makes (a ``SCHEMA-REAL`` remark on every run event, say) is one
fact about the stream, not twenty-four; the text and HTML reports show it once, at its first
location, with how many times and on which events it occurred.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from recorder.validate.findings import Finding

__all__ = ["FindingGroup", "group_findings", "message_of"]

#: A schema message starts with the name of the event it is about; grouping ignores it.
_EVENT_PREFIX = re.compile(r"^[\w.-]+: ")


def message_of(finding: Finding) -> str:
    """The message without its leading event name (``thread.run.created: ...``)."""
    return _EVENT_PREFIX.sub("", finding.message)


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """Findings that say the same thing; ``first`` is where it was found first."""

    findings: tuple[Finding, ...]

    @property
    def first(self) -> Finding:
        """The first occurrence (its location is the one shown)."""
        return self.findings[0]

    @property
    def count(self) -> int:
        """How many times it occurred."""
        return len(self.findings)

    @property
    def message(self) -> str:
        """The message: as found when it occurred once, without its event name when more."""
        return self.first.message if self.count == 1 else message_of(self.first)

    def events(self) -> list[tuple[int | None, int]]:
        """``(interaction, event index)`` of every occurrence located at an event."""
        return [
            (finding.interaction, finding.event_index)
            for finding in self.findings
            if finding.event_index is not None
        ]

    def where(self, limit: int = 8) -> str:
        """``4 times: events 0, 1, 2, 22`` (``interaction 1 events 3, 4`` across several)."""
        by_interaction: dict[int | None, list[int]] = {}
        for interaction, event in self.events():
            events = by_interaction.setdefault(interaction, [])
            if event not in events:  # the same event twice (two chunks of one stream): once
                events.append(event)
        times = f"{self.count} times"
        if not by_interaction:
            return times
        parts: list[str] = []
        room = limit
        for interaction, events in by_interaction.items():
            if room <= 0:
                parts.append("...")
                break
            listed = ", ".join(map(str, events[:room])) + (", ..." if len(events) > room else "")
            room -= len(events)
            word = "event" if len(events) == 1 else "events"
            prefix = f"interaction {interaction} " if len(by_interaction) > 1 else ""
            parts.append(f"{prefix}{word} {listed}")
        return f"{times}: {'; '.join(parts)}"


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """Findings grouped by rule, severity, message (less its event name) and JSON path, in
    order of first appearance."""
    groups: dict[tuple[str, str, str, str | None], list[Finding]] = {}
    for finding in findings:
        key = (finding.rule, finding.severity.value, message_of(finding), finding.json_path)
        groups.setdefault(key, []).append(finding)
    return [FindingGroup(tuple(members)) for members in groups.values()]
