"""Findings: what a check says about a stream, located to the event, byte and JSON path.

Checks *yield* findings (in the style of jsonschema's ``iter_errors``); raising is a
convenience built on top (``assert_conforms``). A finding is plain data: hot paths make many.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Finding", "Severity"]


class Severity(StrEnum):
    """How bad a finding is. Only errors make a stream fail (exit code 1)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or notable fact) about one stream.

    ``rule`` is the rule id (``M1``, ``F2``, ``SCHEMA``...); ``source`` says where the rule
    comes from (``SPEC``, ``SDK``, ``EX``). ``interaction`` is the index of the interaction in
    its cassette; ``event_index`` the 0-based position among the events dispatched from that
    body (``done`` included); ``offset``/``line`` locate the event's first line in the body;
    ``json_path`` points inside the payload (``$.delta.content[0].text.value``).
    """

    rule: str
    severity: Severity
    message: str
    interaction: int | None = None
    event_index: int | None = None
    offset: int | None = None
    line: int | None = None
    json_path: str | None = None
    excerpt: str | None = None
    source: str | None = None

    @property
    def is_error(self) -> bool:
        """True when this finding makes the stream fail."""
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (severity as its string value)."""
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def location(self) -> str:
        """``interaction 0, event 12, byte 3456 (line 37), $.status``: whatever is known."""
        parts: list[str] = []
        if self.interaction is not None:
            parts.append(f"interaction {self.interaction}")
        if self.event_index is not None:
            parts.append(f"event {self.event_index}")
        if self.offset is not None:
            parts.append(
                f"byte {self.offset}" + (f" (line {self.line})" if self.line is not None else "")
            )
        if self.json_path:
            parts.append(self.json_path)
        return ", ".join(parts)
