"""Validation: cassettes and raw bodies in, findings out, streaming.

Each interaction's body is fed to the sans-I/O parser chunk by chunk and every event goes
straight to the profile's checker, which keeps only per-open-object state: memory follows the
open messages' text, not the number of events. The interactions of one cassette are checked
as a sequence (a ``submit_tool_outputs`` stream continues the run its predecessor left at
``requires_action``). Raw ``.sse`` files are read in blocks (:func:`validate_file`).

>>> findings = validate_cassette(Cassette.load("run.jsonl"))      # doctest: +SKIP
>>> [f.rule for f in findings if f.is_error]                       # doctest: +SKIP
['M1']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from recorder.cassette import Cassette, Interaction, iter_cassette_paths, load_cassette
from recorder.cassette.reading import is_fifo
from recorder.errors import CassetteFormatError, CassetteNotFoundError, ProfileError, RecorderError
from recorder.profiles import (
    AUTO,
    Profile,
    StreamSetup,
    detect,
    first_events,
    get_profile,
    profile_for,
    profile_names,
)
from recorder.validate.findings import Finding, Severity
from recorder.validate.framing import BetweenEvents, line_after
from recorder.wire.sse import SSEParser

__all__ = [
    "FileResult",
    "RuleConfig",
    "iter_findings",
    "validate_cassette",
    "validate_file",
    "validate_paths",
]

#: Raw .sse files are read in blocks of this size (never whole). Small enough that the events
#: parsed from one block (a few hundred) stay under the cyclic GC's young-generation
#: threshold while they are checked: with 1 MiB blocks (~4,000 events alive at once) every
#: block set off collections that promoted them, and full collections walked every compiled
#: schema object, ~12% of the time on a 100,000-event stream; with 64 KiB, none.
BLOCK_SIZE = 1 << 16
_SEVERITIES = {severity.value: severity for severity in Severity}


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """Which rules run and how loud they are.

    ``disabled``: rule ids to drop; ``severities``: rule id -> new severity; ``strict``: the
    documented schemas as written instead of the real-world default; ``schemas``: False skips
    JSON Schema checks (rules only); ``max_per_rule``: findings of one rule kept per stream
    (the rest are counted in one info finding, so a broken million-event stream stays readable).
    """

    disabled: frozenset[str] = frozenset()
    severities: Mapping[str, Severity] = field(default_factory=dict)
    strict: bool = False
    schemas: bool = True
    max_per_rule: int = 50
    #: A provider dialect to apply (else each stream's is recognised from its recording).
    dialect: str | None = None

    @classmethod
    def from_options(
        cls,
        *,
        profile: str | None = AUTO,
        disable: Iterable[str] = (),
        severity: Iterable[str] = (),
        strict: bool = False,
        dialect: str | None = None,
    ) -> RuleConfig:
        """Build from command-line style options (``"F3,R4"``, ``"R6=error"``), checking ids."""
        known = _known_rules(profile)
        disabled: set[str] = set()
        for item in disable:
            for rule in filter(None, (part.strip().upper() for part in item.split(","))):
                _check_rule(rule, known, profile)
                disabled.add(rule)
        severities: dict[str, Severity] = {}
        for item in severity:
            rule, equals, level = item.partition("=")
            rule = rule.strip().upper()
            if not equals or not rule:
                raise ProfileError(f"--severity takes RULE=LEVEL, got {item!r}")
            _check_rule(rule, known, profile)
            if level.strip().lower() not in _SEVERITIES:
                raise ProfileError(
                    f"unknown severity {level!r} for {rule} (use error, warning or info)"
                )
            severities[rule] = _SEVERITIES[level.strip().lower()]
        return cls(frozenset(disabled), severities, strict, dialect=dialect)

    def apply(self, finding: Finding) -> Finding | None:
        """The finding as configured (None when its rule is disabled)."""
        if finding.rule in self.disabled:
            return None
        severity = self.severities.get(finding.rule)
        if severity is not None and severity is not finding.severity:
            return replace(finding, severity=severity)
        return finding


def _known_rules(profile: str | None) -> Mapping[str, Any]:
    """The rules of ``profile``; with ``auto``, those of every installed profile."""
    known: dict[str, Any] = {NO_STREAM: None}
    if profile and profile != AUTO:
        return {**known, **get_profile(profile).rules}
    for name in profile_names():
        try:
            known.update(get_profile(name).rules)
        except ProfileError:
            continue  # a broken plugin profile: reported when it is asked for by name
    return known


def _check_rule(rule: str, known: Mapping[str, Any], profile: str | None) -> None:
    if rule not in known:
        which = f"profile {profile}" if profile and profile != AUTO else "any installed profile"
        raise ProfileError(f"unknown rule {rule!r} for {which} (known: {', '.join(known)})")


@dataclass(slots=True)
class FileResult:
    """The verdict on one file: ``ok`` unless it holds an error finding or cannot be read."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    #: Why the file could not be read (then ``findings`` is empty), else None.
    error: str | None = None
    streams: int = 0
    events: int = 0
    #: The profile applied to each stream, in order.
    profiles: list[str] = field(default_factory=list)
    #: Load warnings (a torn last line, an interaction without an end), as other commands
    #: print them.
    warnings: list[str] = field(default_factory=list)

    @property
    def profile(self) -> str | list[str] | None:
        """The profile applied: one name, or the list when the streams' profiles differ."""
        names = list(dict.fromkeys(self.profiles))
        if not names:
            return None
        return names[0] if len(names) == 1 else list(self.profiles)

    @property
    def ok(self) -> bool:
        """True when the file was read and no finding is an error."""
        return self.error is None and not any(f.severity is Severity.ERROR for f in self.findings)

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return sum(1 for f in self.findings if f.severity is severity)


class _Stats:
    __slots__ = ("events", "profiles", "streams")

    def __init__(self) -> None:
        self.streams = 0
        self.events = 0
        self.profiles: list[str] = []


def _cut_reason(outcome: str, detail: str | None, unfinished: tuple[int, int] | None) -> str | None:
    parts: list[str] = []
    if unfinished is not None:
        parts.append(
            f"the body ends inside an unfinished event at byte {unfinished[0]} "
            f"(line {unfinished[1]})"
        )
    if outcome != "complete":
        parts.append(
            f"the recording ended with outcome {outcome}" + (f": {detail}" if detail else "")
        )
    return "; ".join(parts) or None


def _check_stream(
    profile: Profile,
    chunks: Iterable[bytes],
    setup: StreamSetup,
    config: RuleConfig,
    stats: _Stats,
    outcome: tuple[str, str | None] = ("complete", None),
) -> Iterator[Finding | object]:
    """Findings of one body; the last item yielded is the checker's carry (not a Finding)."""
    checker = profile.checker(setup)
    parser = SSEParser(keep_comments=False)
    counts: dict[str, int] = {}
    suppressed: dict[str, int] = {}
    limit = config.max_per_rule
    apply = config.apply
    interaction = setup.interaction

    def keep(finding: Finding) -> Finding | None:
        kept = apply(finding)
        if kept is None:
            return None
        seen = counts.get(kept.rule, 0) + 1
        counts[kept.rule] = seen
        if seen > limit:
            suppressed[kept.rule] = suppressed.get(kept.rule, 0) + 1
            return None
        return kept

    index = 0
    size = 0
    decode_seen = 0
    event = checker.event
    gaps = BetweenEvents(profile.framing_rule, interaction)
    for chunk in chunks:
        size += len(chunk)
        gaps.add(chunk)
        events = parser.feed(chunk)
        if events:
            expected = gaps.expected_line
            previous = gaps.previous
            for sse_event in events:
                found = event(index, sse_event)
                index += 1
                if sse_event.line != expected:
                    found = [*gaps.between(sse_event, previous), *found]
                previous = sse_event
                expected = line_after(sse_event)
                if found:
                    for finding in found:
                        kept = keep(finding)
                        if kept is not None:
                            yield kept
            gaps.passed(events[-1])
        if len(parser.decode_errors) > decode_seen:
            for issue in parser.decode_errors[decode_seen:]:
                kept = keep(
                    Finding(
                        profile.framing_rule,
                        Severity.ERROR,
                        "bytes that are not valid UTF-8 (replaced with U+FFFD)",
                        interaction,
                        None,
                        issue.offset,
                        issue.line,
                        None,
                        None,
                        "SPEC",
                    )
                )
                if kept is not None:
                    yield kept
            decode_seen = len(parser.decode_errors)
    parser.close()
    for finding in gaps.after_last():
        kept = keep(finding)
        if kept is not None:
            yield kept
    if index == 0 and parser.unfinished is not None:
        # Bytes, but not one event a client would see (no blank line ever ended a block):
        # whatever the contract, such a stream delivers nothing (WHATWG: discarded at EOF).
        offset, line = parser.unfinished
        kept = keep(
            Finding(
                profile.framing_rule,
                Severity.ERROR,
                f"no event was dispatched: the body ({size} bytes) ends inside an unfinished "
                "event (an event ends with a blank line)",
                interaction,
                None,
                offset,
                line,
                None,
                None,
                "SPEC",
            )
        )
        if kept is not None:
            yield kept
    stats.streams += 1
    stats.events += index
    cut = _cut_reason(outcome[0], outcome[1], parser.unfinished)
    for finding in checker.finish(end_offset=size, cut=cut):
        kept = keep(finding)
        if kept is not None:
            yield kept
    for rule, more in suppressed.items():
        yield Finding(
            rule,
            Severity.INFO,
            f"{more} more {rule} finding(s) in this stream not shown",
            interaction,
            source=None,
        )
    yield _Carry(checker.carry())


@dataclass(slots=True)
class _Carry:
    value: object | None


#: The runner's own rule: a cassette that holds no event stream at all.
NO_STREAM = "NO-STREAM"


def _no_stream(cassette: Cassette) -> Finding:
    """What a cassette without any event stream recorded instead."""
    if not cassette.interactions:
        what = "no interaction at all (only a header line)"
    else:
        described = []
        for interaction in cassette.interactions[:3]:
            response = interaction.response
            status = response.status if response is not None else "no response"
            kind = (response.header("content-type") if response is not None else None) or "?"
            size = sum(len(chunk.data) for chunk in interaction.chunks)
            described.append(
                f"{interaction.request.method} {interaction.request.path}: "
                f"{status} {kind}, {size} bytes"
            )
        what = "; ".join(described)
    return Finding(
        NO_STREAM, Severity.ERROR, f"no event stream was recorded: {what}", None, source="EX"
    )


def _iter(
    cassette: Cassette, chosen: str | None, config: RuleConfig, stats: _Stats
) -> Iterator[Finding]:
    previous: object | None = None
    last_profile: str | None = None
    streams = 0
    for number, interaction in enumerate(cassette.interactions):
        if not interaction.is_event_stream:
            # a plain JSON response (list, retrieve): checked where a profile lists its endpoint
            if not cassette.raw:
                yield from _json_response(cassette, interaction, number, chosen, config, previous)
            continue
        streams += 1
        request = None if cassette.raw else interaction.request
        profile = profile_for(cassette, interaction, chosen)
        stats.profiles.append(profile.name)
        if profile.name != last_profile:
            previous, last_profile = None, profile.name
        shape, facts = profile.endpoint_for(request)
        response = interaction.response
        setup = StreamSetup(
            interaction=None if cassette.raw else number,
            request=request,
            shape=shape,
            facts=facts,
            strict=config.strict,
            schemas=config.schemas,
            previous=previous,
            dialect_spec=profile.dialect_for(
                request, response.headers if response is not None else (), config.dialect
            ),
        )
        try:
            for item in _check_stream(
                profile,
                _chunks(interaction),
                setup,
                config,
                stats,
                (interaction.outcome, interaction.outcome_detail),
            ):
                if isinstance(item, _Carry):
                    previous = item.value
                else:
                    assert isinstance(item, Finding)
                    yield item
        except RecorderError as error:  # the parser's (a huge line): say which interaction
            if error.interaction is None:
                error.interaction = setup.interaction
            raise
    if not streams:
        kept = config.apply(_no_stream(cassette))
        if kept is not None:
            yield kept


def _json_response(
    cassette: Cassette,
    interaction: Interaction,
    number: int,
    chosen: str | None,
    config: RuleConfig,
    previous: object | None,
) -> Iterator[Finding]:
    """``[[json_endpoints]]``: the findings of a plain JSON response of an endpoint that the
    chosen profile (else the cassette's, else any installed one) lists."""
    from recorder.profiles import get_profile, profile_names
    from recorder.validate.json_endpoints import check_json_response, json_endpoint_for

    name = chosen if chosen and chosen != AUTO else cassette.profile
    names = [name] if name and name != AUTO else list(profile_names())
    for candidate in names:
        profile = get_profile(candidate)
        endpoint = json_endpoint_for(profile, interaction)
        if endpoint is None:
            continue
        if config.schemas or endpoint.final_path:
            for finding in check_json_response(profile, endpoint, interaction, number, previous):
                kept = config.apply(finding)
                if kept is not None:
                    yield kept
        return


def _chunks(interaction: Interaction) -> Iterator[bytes]:
    for chunk in interaction.chunks:
        yield chunk.data


def _resolve(
    profile: str | None, config: RuleConfig | None, strict: bool
) -> tuple[str | None, RuleConfig]:
    if profile and profile != AUTO:
        get_profile(profile)  # an unknown name fails before any file is read
    return profile, config if config is not None else RuleConfig(strict=strict)


def iter_findings(
    cassette: Cassette,
    *,
    profile: str | None = None,
    strict: bool = False,
    config: RuleConfig | None = None,
) -> Iterator[Finding]:
    """Yield the findings of every event stream in ``cassette``, as they are found.

    ``profile`` (a name or a profile file) defaults to ``auto``: each stream's profile is
    recognised from its request, the cassette's header, or its first events
    (:func:`recorder.profiles.detect`); ``config`` (when given) wins over ``strict``.
    """
    chosen, settings = _resolve(profile, config, strict)
    yield from _iter(cassette, chosen, settings, _Stats())


def _order(finding: Finding) -> tuple[int, int, int]:
    # Body order: by byte offset (findings between events sit where they are), then event.
    return (
        finding.interaction if finding.interaction is not None else -1,
        finding.offset if finding.offset is not None else 1 << 62,
        finding.event_index if finding.event_index is not None else 1 << 62,
    )


def validate_cassette(
    cassette: Cassette,
    *,
    profile: str | None = None,
    strict: bool = False,
    config: RuleConfig | None = None,
) -> list[Finding]:
    """All findings of ``cassette``, in stream order."""
    return sorted(
        iter_findings(cassette, profile=profile, strict=strict, config=config), key=_order
    )


def _read_blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK_SIZE):
            yield block


def validate_file(
    path: str | os.PathLike[str],
    *,
    profile: str | None = None,
    strict: bool = False,
    config: RuleConfig | None = None,
) -> FileResult:
    """Validate a cassette, a raw ``.sse`` body (read in blocks) or ``-`` (standard input).

    Unreadable input raises a ``RecorderError`` subclass (``CassetteNotFoundError``...).
    """
    name = os.fspath(path)
    stats = _Stats()
    file = Path(name)
    load_warnings: list[str] = []
    # A .sse body is read twice, in blocks; a pipe can be read once: loaded whole instead.
    if name != "-" and file.suffix.lower() == ".sse" and not is_fifo(file):
        if not file.exists():
            raise CassetteNotFoundError("no such file", path=name)
        if file.is_dir():
            raise CassetteFormatError("is a directory, not a cassette", path=name)
        chosen, settings = _resolve(profile, config, strict)
        try:
            if chosen and chosen != AUTO:
                applied = get_profile(chosen)
            else:
                applied = detect(None, first_events(_read_blocks(file)))
            stats.profiles.append(applied.name)
            setup = StreamSetup(
                interaction=None,
                request=None,
                shape=None,
                strict=settings.strict,
                schemas=settings.schemas,
                dialect_spec=applied.dialect_for(None, (), settings.dialect),
            )
            findings = [
                item
                for item in _check_stream(applied, _read_blocks(file), setup, settings, stats)
                if isinstance(item, Finding)
            ]
        except OSError as error:
            raise CassetteFormatError(f"cannot read: {error.strerror}", path=name) from None
    else:
        cassette = load_cassette(name)
        load_warnings = list(cassette.warnings)
        chosen, settings = _resolve(profile, config, strict)
        findings = list(_iter(cassette, chosen, settings, stats))
    findings.sort(key=_order)
    return FileResult(
        name if name != "-" else "<stdin>",
        findings,
        None,
        stats.streams,
        stats.events,
        stats.profiles,
        load_warnings,
    )


def validate_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    profile: str | None = None,
    strict: bool = False,
    config: RuleConfig | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> Iterator[FileResult]:
    """Validate files, directories (recursively) and ``-``; one result per file, in order.

    A file that cannot be read gives a result with ``error`` set; the others still run.
    ``progress(number, path)`` is called before each file.
    """
    for number, name in enumerate(iter_cassette_paths(paths)):
        if progress is not None:
            progress(number, name)
        try:
            yield validate_file(name, profile=profile, strict=strict, config=config)
        except RecorderError as error:  # unreadable, or a profile this installation lacks
            if not error.path:
                yield FileResult(name, error=str(error))
            else:  # the result names the file already
                where = f"line {error.line}: " if error.line else ""
                yield FileResult(name, error=where + error.message)
        except OSError as error:
            yield FileResult(name, error=f"{name}: {error.strerror or error}")
