"""The exception tree: one root, each subclass also inheriting the builtin it resembles.

RecorderError
├── SSEError (ValueError)                    a body that is not SSE at all
├── CassetteError
│   ├── CassetteNotFoundError (FileNotFoundError)
│   └── CassetteFormatError (ValueError)     corrupt, foreign, or newer-version cassette
├── ProfileError (LookupError)               an unknown profile or rule id
├── ContractError (AssertionError)           raised by assert_conforms with the findings
└── UsageError (ValueError)                  a bad argument (command line, marker, fault spec)

Every error renders as one line that says where: ``str(error)`` is what the command line prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recorder.validate.findings import Finding


class RecorderError(Exception):
    """Root of every error sse-recorder raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        interaction: int | None = None,
        event_index: int | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.interaction = interaction
        self.event_index = event_index
        self.offset = offset

    @property
    def location(self) -> str:
        """``path:line`` plus whatever else is known, or '' when nothing is."""
        parts: list[str] = []
        if self.path is not None:
            parts.append(self.path if self.line is None else f"{self.path}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.interaction is not None:
            parts.append(f"interaction {self.interaction}")
        if self.event_index is not None:
            parts.append(f"event {self.event_index}")
        if self.offset is not None:
            parts.append(f"byte {self.offset}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.message}" if where else self.message


class SSEError(RecorderError, ValueError):
    """A body that cannot be read as an event stream."""


class CassetteError(RecorderError):
    """Base for problems with a cassette file."""


class CassetteNotFoundError(CassetteError, FileNotFoundError):
    """The cassette file does not exist."""


class CassetteFormatError(CassetteError, ValueError):
    """The file is not a cassette this version can read: corrupt, foreign or newer."""


class ProfileError(RecorderError, LookupError):
    """An unknown profile, rule id or severity."""


class ContractError(RecorderError, AssertionError):
    """A stream breaks its contract (raised by ``assert_conforms``); ``findings`` says how."""

    def __init__(self, message: str, *, findings: Sequence[Finding] = (), **where: Any) -> None:
        super().__init__(message, **where)
        self.findings: list[Finding] = list(findings)


class UsageError(RecorderError, ValueError):
    """A bad argument: command line, pytest marker, fault spec, matcher."""
