"""Text, JSON and JUnit reports of validation results."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from recorder.report.formats import render, render_json, render_junit, render_text, use_colour
from recorder.validate.findings import Finding, Severity
from recorder.validate.runner import FileResult

BAD = Finding(
    "M1",
    Severity.ERROR,
    "thread.message.delta for message m, which was never created",
    0,
    12,
    3456,
    37,
    "$.id",
    "{...}",
    "SDK",
)
WARN = Finding(
    "R6", Severity.WARNING, "created_at changes", 0, 20, 5000, 60, "$.created_at", None, "EX"
)


def results() -> list[FileResult]:
    return [
        FileResult("a.jsonl", [BAD, WARN, WARN], streams=1, events=40),
        FileResult("b.sse", [], streams=1, events=10),
        FileResult("c.jsonl", error="line 3: invalid JSON"),
    ]


def test_text_has_a_verdict_per_file_locations_and_a_summary() -> None:
    text = render_text(results())
    lines = text.splitlines()
    assert lines[0] == "FAIL a.jsonl  (1 stream, 40 events, 1 error, 2 warnings)"
    assert lines[1].split()[:2] == ["error", "M1"]
    assert "interaction 0, event 12, byte 3456 (line 37), $.id: thread.message.delta" in lines[1]
    assert lines[2].endswith("created_at changes (2 times: event 20)")
    assert lines[3] == "ok   b.sse  (1 stream, 10 events)"
    assert lines[4] == "UNREADABLE c.jsonl: line 3: invalid JSON"
    assert lines[5] == "3 files: 1 ok, 1 failed, 1 unreadable; 1 error, 2 warnings"
    assert "\x1b[" not in text


def test_text_puts_errors_before_warnings() -> None:
    text = render_text([FileResult("a", [WARN, BAD], streams=1, events=2)])
    assert text.index("M1") < text.index("R6")


def test_colour_only_when_asked_and_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "\x1b[1;31mFAIL" in render_text(results(), colour=True)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Terminal())
    assert not use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Terminal())


def test_json_has_the_documented_shape() -> None:
    data = json.loads(render_json(results()))
    assert [f["path"] for f in data["files"]] == ["a.jsonl", "b.sse", "c.jsonl"]
    assert [f["ok"] for f in data["files"]] == [False, True, False]
    first = data["files"][0]["findings"][0]
    assert {
        k: first[k]
        for k in ("rule", "severity", "message", "event_index", "offset", "line", "json_path")
    } == {
        "rule": "M1",
        "severity": "error",
        "message": BAD.message,
        "event_index": 12,
        "offset": 3456,
        "line": 37,
        "json_path": "$.id",
    }
    assert data["files"][2]["error"] == "line 3: invalid JSON"
    assert "error" not in data["files"][1]


def test_junit_parses_back_with_one_testcase_per_file() -> None:
    root = ET.fromstring(render_junit(results()))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["a.jsonl", "b.sse", "c.jsonl"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message", "").startswith("1 error: M1")
    assert "event 12" in (failure.text or "")
    assert "R6" in (cases[0].findtext("system-out") or "")
    assert cases[1].find("failure") is None and cases[1].find("error") is None
    assert cases[2].find("error") is not None


def test_junit_survives_control_characters_from_broken_streams() -> None:
    nasty = Finding("F1", Severity.ERROR, "data is \x00\x1b not JSON", None, 0)
    root = ET.fromstring(render_junit([FileResult("x.sse", [nasty])]))
    assert "\ufffd" in (root.find("testsuite/testcase/failure").text or "")  # type: ignore[union-attr]


def test_render_dispatches_on_format() -> None:
    assert render(results(), "json").startswith("{")
    assert render(results(), "junit").startswith("<?xml")
    assert render(results(), "text").startswith("FAIL")


#: A file name that is not UTF-8 (``os.fsdecode(b"bad\xff.sse")``) and one with a control character.
ODD_PATHS = ("bad\udcff.sse", "ctl\x01.sse")


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_file_names_that_are_not_text_are_shown_escaped(fmt: str) -> None:
    results = [FileResult(ODD_PATHS[0], [BAD]), FileResult(ODD_PATHS[1], error=f"{ODD_PATHS[0]}")]
    report = render(results, fmt)
    report.encode("utf-8")  # a surrogate would make writing the report fail
    if fmt == "json":
        assert json.loads(report)["files"][0]["path"] == "bad\\xff.sse"
    else:
        assert "bad\\xff.sse" in report
    if fmt == "junit":
        names = [case.get("name") for case in ET.fromstring(report).iter("testcase")]
        assert names == ["bad\\xff.sse", "ctl\ufffd.sse"]


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_lone_surrogates_from_json_escapes_in_payloads_are_shown_escaped(fmt: str) -> None:
    # '"\ud800"' is valid JSON text, so a payload value (and a message quoting it) can hold one
    odd = Finding("M1", Severity.ERROR, "thread.message.delta for message \ud800", 0, 1)
    report = render([FileResult("a.sse", [odd])], fmt)
    report.encode("utf-8")
    if fmt == "json":
        assert json.loads(report)["files"][0]["findings"][0]["message"].endswith("\\ud800")
    else:
        assert "message \\ud800" in report


def _real(interaction: int, event: int, path: str = "$.instructions") -> Finding:
    return Finding(
        "SCHEMA-REAL",
        Severity.WARNING,
        "thread.run.created: run 'instructions' is null, but the docs type it as a string",
        interaction,
        event,
        100 * event,
        3 * event + 1,
        path,
    )


def test_a_repeated_deviation_is_one_line_with_a_count() -> None:
    """The same rule, message and path on every run event of every interaction: one line."""
    repeated = [_real(0, e) for e in (0, 1, 2, 22)] + [_real(1, e) for e in (1, 2)]
    other_path = _real(0, 3, "$.model")
    text = render_text([FileResult("r.jsonl", [*repeated, other_path], streams=2, events=40)])
    lines = text.splitlines()
    assert len(lines) == 4, text  # verdict, the repeated remark, the one at another path, summary
    assert lines[1].startswith(
        "  warning SCHEMA-REAL  interaction 0, event 0, byte 0 (line 1), $.instructions: run "
        "'instructions' is null"
    )
    assert lines[1].endswith(
        "(6 times: interaction 0 events 0, 1, 2, 22; interaction 1 events 1, 2)"
    )
    assert "$.model: thread.run.created: run 'instructions'" in lines[2]
    assert "times" not in lines[2]


def test_errors_only_keeps_failed_files_error_findings_and_the_summary() -> None:
    text = render_text(results(), errors_only=True)
    assert text.splitlines() == [
        "FAIL a.jsonl  (1 stream, 40 events, 1 error, 2 warnings)",
        text.splitlines()[1],
        "UNREADABLE c.jsonl: line 3: invalid JSON",
        "3 files: 1 ok, 1 failed, 1 unreadable; 1 error, 2 warnings",
    ]
    assert "M1" in text and "R6" not in text
    data = json.loads(render(results(), "json", errors_only=True))
    assert [f["rule"] for f in data["files"][0]["findings"]] == ["M1"]
    junit = render(results(), "junit", errors_only=True)
    assert "R6" not in junit and "M1" in junit


def test_reports_redact_key_like_values_quoted_from_an_unredacted_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hand-made cassette holding a key: the reports that quote it (excerpts, messages)
    leave the process without it (issue 14, item 4)."""
    from recorder.cli import main

    key = "sk-proj-" + "A1b2C3d4" * 6
    body = tmp_path / "leak.sse"
    body.write_bytes(f'event: tick\ndata: {{"api_key": "{key}", "x": [1, \n\n'.encode())
    for fmt in ("text", "json", "junit"):
        main(["validate", "--format", fmt, str(body)])
        out = capsys.readouterr().out
        assert key not in out, fmt
        if fmt == "json":  # the text and JUnit reports quote no excerpt; JSON does
            assert "REDACTED" in out, fmt
    main(["show", str(body)])
    assert key not in capsys.readouterr().out
