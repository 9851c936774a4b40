"""``assert_conforms``: the contract check as an assertion, for use inside any test.

>>> assert_conforms("fixtures/cassettes/real/dotnet-streaming-run.jsonl")   # doctest: +SKIP
>>> assert_conforms(response.content, strict=True)                         # doctest: +SKIP

Failing raises ``ContractError`` (an ``AssertionError``) whose message lists every error
finding, one a line, located to the interaction, event, byte and JSON path; warnings are listed
after them. The findings themselves are on ``error.findings``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from recorder.cassette import Cassette, Interaction, load_cassette
from recorder.cassette.stream import ParsedStream
from recorder.errors import ContractError
from recorder.validate.findings import Finding, Severity
from recorder.wire.sse import ServerSentEvent, encode_event

__all__ = ["as_cassette", "assert_conforms", "format_findings"]

_SEVERITY_MARK = {Severity.ERROR: "E", Severity.WARNING: "W", Severity.INFO: "I"}


def as_cassette(target: Any) -> Cassette:
    """A cassette from whatever a test holds: a ``Cassette``, an ``Interaction``, a path (a
    ``str`` without a line end is one), a raw body (``bytes``, or a ``str`` with line ends), a
    ``ParsedStream`` or parsed ``ServerSentEvent`` objects."""
    if isinstance(target, Cassette):
        return target
    if isinstance(target, os.PathLike):
        return load_cassette(target)
    if isinstance(target, Interaction):
        return Cassette(interactions=[target])
    if isinstance(target, bytes | bytearray):
        return Cassette.from_sse(bytes(target))
    if isinstance(target, str):
        # A str without a line end is a path (a missing file is an error, not an empty
        # stream): no event ends without one, so such a body could not be a stream anyway.
        if "\n" not in target and "\r" not in target and target != "-":
            return load_cassette(target)
        return Cassette.from_sse(target.encode("utf-8"))
    events = target.events if isinstance(target, ParsedStream) else target
    body = b"".join(_encode(event) for event in events)
    return Cassette.from_sse(body)


def _encode(event: Any) -> bytes:
    if isinstance(event, ServerSentEvent):
        return encode_event(event.data, event=event.event, id=event.id or None)
    if isinstance(event, bytes):
        return event
    raise TypeError(
        "assert_conforms takes a Cassette, Interaction, path, body or ServerSentEvent objects, "
        f"not {type(event).__name__}"
    )


def format_findings(findings: Sequence[Finding], *, path: str | None = None) -> str:
    """Findings as text, one a line, errors first: ``E M1 [SDK] event 3, byte 120: ...``."""
    ordered = sorted(findings, key=lambda f: (not f.is_error, f.severity is Severity.INFO))
    lines: list[str] = []
    for finding in ordered:
        where = finding.location()
        source = f" [{finding.source}]" if finding.source else ""
        prefix = f"{path}: " if path else ""
        line = f"{_SEVERITY_MARK[finding.severity]} {finding.rule}{source} {prefix}{where}"
        lines.append(f"{line.rstrip()}: {finding.message}")
        if finding.excerpt:
            lines.append(f"    {finding.excerpt}")
    return "\n".join(lines)


def _summary(findings: Iterable[Finding]) -> tuple[int, int]:
    errors = warnings = 0
    for finding in findings:
        errors += finding.is_error
        warnings += finding.severity is Severity.WARNING
    return errors, warnings


def check(
    target: Any, *, profile: str | None = None, strict: bool = False
) -> tuple[Cassette, list[Finding]]:
    """Load ``target`` as a cassette and return it with the validator's findings."""
    from recorder.validate.runner import validate_cassette

    cassette = as_cassette(target)
    return cassette, list(validate_cassette(cassette, profile=profile, strict=strict))


def applied_profiles(cassette: Cassette, profile: str | None = None) -> str:
    """The profile(s) the validator applies to ``cassette``'s streams, for messages."""
    from recorder.profiles import profile_for

    names = [
        profile_for(cassette, interaction, profile).name
        for interaction in cassette.interactions
        if interaction.is_event_stream
    ]
    return ", ".join(dict.fromkeys(names)) or (profile or "auto")


def assert_conforms(target: Any, profile: str | None = None, strict: bool = False) -> list[Finding]:
    """Assert that ``target`` keeps its contract; return the (non-error) findings.

    ``profile`` names the contract (a profile name or file); by default each stream's is
    recognised as ``sse-recorder validate`` does.

    ``target`` is a ``Cassette``, an ``Interaction``, a path to a cassette or ``.sse`` file, a
    raw body, a ``ParsedStream`` or parsed events. ``strict`` checks the docs as written
    (real-world relaxations off). Raises ``ContractError`` listing the findings on failure.
    """
    cassette, findings = check(target, profile=profile, strict=strict)
    errors, warnings = _summary(findings)
    if errors:
        mode = "strict " if strict else ""
        applied = applied_profiles(cassette, profile)
        head = (
            f"stream breaks the {mode}{applied} contract: {errors} error(s), {warnings} warning(s)"
        )
        raise ContractError(
            f"{head}\n{format_findings(findings)}", findings=findings, path=cassette.path
        )
    return findings
