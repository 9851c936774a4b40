"""Cassettes as pytest items: what ``pytest --sse-validate PATH`` collects.

Each cassette or ``.sse`` file is a ``CassetteFile`` holding one ``contract`` item, so its node
id is its path (``fixtures/cassettes/real/run.jsonl::contract``), xdist spreads the files over
its workers, and ``--junitxml`` gets one test case per file with the findings as the failure.
Loaded by the plugin (``recorder.plugin``) only when ``--sse-validate`` is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CassetteContractFailure", "CassetteFile", "CassetteItem"]


class CassetteContractFailure(Exception):
    """A validated cassette breaks its contract (or cannot be read); the message says how."""


class CassetteFile(pytest.File):
    """A cassette or ``.sse`` file under ``--sse-validate``: holds one ``contract`` item."""

    def collect(self) -> Iterator[pytest.Item]:
        """The one contract test of this file."""
        yield CassetteItem.from_parent(self, name="contract")


class CassetteItem(pytest.Item):
    """Validates one file against its contract; fails with the findings."""

    def runtest(self) -> None:
        """Load and validate; raise ``CassetteContractFailure`` with the report on errors."""
        from recorder.errors import RecorderError
        from recorder.validate.assertions import format_findings
        from recorder.validate.runner import validate_file

        chosen: str | None = self.config.getoption("sse_profile")
        strict: bool = self.config.getoption("sse_strict")
        try:
            # Raw bodies are read in blocks, never whole; each stream's profile is the one
            # chosen, else recognised (the cassette's, its request's, its first events').
            result = validate_file(self.path, profile=chosen, strict=strict)
            findings = result.findings
            profile = ", ".join(dict.fromkeys(result.profiles)) or chosen or "auto"
        except RecorderError as error:
            raise CassetteContractFailure(str(error)) from None
        errors = sum(finding.is_error for finding in findings)
        self.user_properties.append(("profile", profile))
        self.user_properties.append(("errors", str(errors)))
        self.user_properties.append(("findings", str(len(findings))))
        if errors:
            verbose = self.config.get_verbosity() > 0
            shown = findings if verbose else [f for f in findings if f.is_error]
            hidden = len(findings) - len(shown)
            raise CassetteContractFailure(
                f"breaks the {'strict ' if strict else ''}{profile} contract: "
                f"{errors} error(s)\n{format_findings(shown)}"
                + (f"\n(and {hidden} warning(s) or note(s): -v shows them)" if hidden else "")
            )

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        """The findings report, without a traceback."""
        if isinstance(excinfo.value, CassetteContractFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the item comes from, for reports."""
        return self.path, None, f"sse-validate {self.path.name}"
