"""Reports of validation results: text for a person, JSON for tools, JUnit XML for CI.

Every format takes the same ``FileResult`` list (see ``recorder.validate.runner``) and returns a
string. Text groups repeated findings (same rule, severity, message and JSON path; see
``recorder.report.grouping``) into one line with a count, so a stream with a thousand identical
warnings stays one screen long.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from recorder.report.grouping import group_findings
from recorder.report.timeline import escape_surrogates, use_colour
from recorder.validate.findings import Severity
from recorder.validate.runner import FileResult

__all__ = ["FORMATS", "render", "render_json", "render_junit", "render_text", "use_colour"]

FORMATS = ("text", "json", "junit")

_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_COLOURS = {
    "fail": "\x1b[1;31m",
    "ok": "\x1b[32m",
    "error": "\x1b[31m",
    "warning": "\x1b[33m",
    "info": "\x1b[2m",
    "dim": "\x1b[2m",
    "reset": "\x1b[0m",
}


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _xml(text: str) -> str:
    """Text XML 1.0 can hold: lone surrogates escaped, control characters from a broken stream
    as U+FFFD."""
    return _NOT_XML.sub("\ufffd", escape_surrogates(text))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _profile_text(result: FileResult) -> str:
    """The profile applied: ``chat``, or ``assistants, generic`` when the streams differ."""
    return ", ".join(dict.fromkeys(result.profiles))


def _counts(result: FileResult) -> str:
    parts = [_plural(result.streams, "stream"), _plural(result.events, "event")]
    if result.profiles:
        parts.insert(0, _profile_text(result))
    errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
    if errors:
        parts.append(_plural(errors, "error"))
    if warnings:
        parts.append(_plural(warnings, "warning"))
    return ", ".join(parts)


def render_text(
    results: Sequence[FileResult], *, colour: bool = False, errors_only: bool = False
) -> str:
    """One verdict line per file, its findings with locations, and a summary line.

    A finding repeated in a file (same rule, severity, message and JSON path) is one line:
    its first location and ``(24 times: events 0, 1, ...)``. ``errors_only`` (for CI logs)
    keeps the error findings, the lines of the files they are in, and the summary.
    """

    def paint(text: str, style: str) -> str:
        return f"{_COLOURS[style]}{text}{_COLOURS['reset']}" if colour else text

    lines: list[str] = []
    for result in results:
        if result.error is not None:
            lines.append(f"{paint('UNREADABLE', 'fail')} {result.path}: {result.error}")
            continue
        if errors_only and result.ok:
            continue
        verdict = paint("ok  ", "ok") if result.ok else paint("FAIL", "fail")
        lines.append(f"{verdict} {result.path}  ({_counts(result)})")
        shown = [f for f in result.findings if f.is_error] if errors_only else result.findings
        groups = group_findings(shown)
        groups.sort(key=lambda group: _RANK[group.first.severity])  # errors first; stable
        for group in groups:
            severity = group.first.severity.value
            where = group.first.location() or "stream"
            lines.append(
                f"  {paint(f'{severity:<7}', severity)} {group.first.rule:<12} {where}: "
                + group.message
                + (paint(f" ({group.where()})", "dim") if group.count > 1 else "")
            )
    files = len(results)
    unreadable = sum(1 for r in results if r.error is not None)
    failed = sum(1 for r in results if r.error is None and not r.ok)
    passed = files - unreadable - failed
    errors = sum(r.count(Severity.ERROR) for r in results)
    warnings = sum(r.count(Severity.WARNING) for r in results)
    summary = f"{_plural(files, 'file')}: {passed} ok, {failed} failed"
    if unreadable:
        summary += f", {unreadable} unreadable"
    summary += f"; {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    style = "ok" if not failed and not unreadable else "fail"
    lines.append(paint(summary, style))
    return escape_surrogates("\n".join(lines) + "\n")


def render_json(results: Sequence[FileResult]) -> str:
    """``{"files": [{"path", "ok", "profile", "findings": [...]}]}`` (plus ``error`` when
    unreadable); ``profile`` is the one applied, or a list (one per stream) when they differ."""
    files: list[dict[str, Any]] = []
    for result in results:
        entry: dict[str, Any] = {
            "path": result.path,
            "ok": result.ok,
            "profile": result.profile,
            "findings": [f.to_dict() for f in result.findings],
        }
        if result.error is not None:
            entry["error"] = result.error
        files.append(entry)
    text = json.dumps({"files": files}, ensure_ascii=False, indent=2) + "\n"
    # A surrogate only stands inside a JSON string: its escape, with the backslash escaped too.
    return _SURROGATE.sub(lambda match: "\\" + escape_surrogates(match.group()), text)


def render_junit(results: Sequence[FileResult], *, suite: str = "sse-recorder validate") -> str:
    """JUnit XML: one testcase per file; errors as <failure>, unreadable files as <error>."""
    root = ET.Element("testsuites", name=suite)
    failures = sum(1 for r in results if r.error is None and not r.ok)
    errors = sum(1 for r in results if r.error is not None)
    testsuite = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
    )
    root.set("tests", str(len(results)))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    for result in results:
        case = ET.SubElement(
            testsuite, "testcase", classname="sse-recorder.validate", name=_xml(result.path)
        )
        if result.profiles:
            properties = ET.SubElement(case, "properties")
            ET.SubElement(properties, "property", name="profile", value=_profile_text(result))
        if result.error is not None:
            error = _xml(result.error)
            ET.SubElement(case, "error", message=error, type="unreadable").text = error
            continue
        bad = [f for f in result.findings if f.severity is Severity.ERROR]
        if bad:
            failure = ET.SubElement(
                case,
                "failure",
                type="contract",
                message=_xml(f"{_plural(len(bad), 'error')}: {bad[0].rule} {bad[0].message}"[:500]),
            )
            failure.text = _xml("\n".join(f"{f.rule} {f.location()}: {f.message}" for f in bad))
        others = [f for f in result.findings if f.severity is not Severity.ERROR]
        if others:
            ET.SubElement(case, "system-out").text = _xml(
                "\n".join(
                    f"{f.severity.value} {f.rule} {f.location()}: {f.message}" for f in others
                )
            )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def render(
    results: Sequence[FileResult], fmt: str, *, colour: bool = False, errors_only: bool = False
) -> str:
    """Render in ``fmt`` (one of ``FORMATS``); ``errors_only`` leaves out warnings and notes.

    The report leaves the process: key-like values quoted in it (a finding's excerpt of a
    cassette nobody redacted) are redacted by the default rules, as error messages are."""
    from recorder.record.redaction import Redactor

    if fmt == "text":
        text = render_text(results, colour=colour, errors_only=errors_only)
    else:
        if errors_only:
            results = [
                replace(result, findings=[f for f in result.findings if f.is_error])
                for result in results
            ]
        text = render_json(results) if fmt == "json" else render_junit(results)
    return Redactor.default().redact_text(text)
