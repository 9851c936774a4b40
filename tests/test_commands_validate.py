"""``sse-recorder validate``: exit codes and messages for every path, and a real subprocess."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from recorder.cli import main
from tests.assistants_streams import body, message_run
from tests.conftest import CASSETTES


def broken_body() -> bytes:
    events = message_run()
    del events[5]  # message.created: the delta and completed events break M1
    return body(events)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "good.sse").write_bytes(body(message_run()))
    (tmp_path / "bad.sse").write_bytes(broken_body())
    return tmp_path


def test_a_good_file_exits_0(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(files / "good.sse")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok   ") and "1 file: 1 ok, 0 failed" in out


def test_a_broken_file_exits_1_with_rule_and_location(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(files / "bad.sse")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL ")
    assert "error   M1" in out and "event 5, byte" in out and "$.id" in out


def test_the_readme_first_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(CASSETTES)]) == 1
    out = capsys.readouterr().out
    assert "16 files: 8 ok, 8 failed" in out


def test_disable_and_severity_options(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(files / "bad.sse"), "--disable", "M1,P5,M4"]) == 0
    assert (
        main(
            [
                "validate",
                str(files / "bad.sse"),
                "--severity",
                "M1=warning",
                "--severity",
                "m4=info",
                "--disable",
                "P5",
            ]
        )
        == 0
    )
    capsys.readouterr()


def test_strict_mode(capsys: pytest.CaptureFixture[str]) -> None:
    real = str(CASSETTES / "real" / "dotnet-streaming-run.jsonl")
    assert main(["validate", real]) == 0
    assert main(["validate", "--strict", real]) == 1
    assert "SCHEMA-REAL" in capsys.readouterr().out


def test_json_and_junit_to_a_file(files: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    assert main(["validate", str(files), "--format", "json", "-o", str(report)]) == 1
    data = json.loads(report.read_text("utf-8"))
    assert [(Path(f["path"]).name, f["ok"]) for f in data["files"]] == [
        ("bad.sse", False),
        ("good.sse", True),
    ]
    junit = tmp_path / "junit.xml"
    assert main(["validate", str(files), "--format", "junit", "--output", str(junit)]) == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(broken_body()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["validate", "-"]) == 1
    assert capsys.readouterr().out.startswith("FAIL <stdin>")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "/nonexistent/x.sse"], "/nonexistent/x.sse: no such file"),
        (["validate", "--profile", "nope", "x.sse"], "unknown profile 'nope'"),
        (["validate", "--disable", "Z9", "x.sse"], "unknown rule 'Z9'"),
        (["validate", "--severity", "M1", "x.sse"], "--severity takes RULE=LEVEL"),
        (["validate", "--severity", "M1=loud", "x.sse"], "unknown severity 'loud'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("sse-recorder validate: error: ")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_empty_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert "no cassettes or .sse files under" in capsys.readouterr().err


def test_an_unreadable_file_among_good_ones(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (files / "torn.jsonl").write_text("not a cassette\n", "utf-8")
    assert main(["validate", str(files)]) == 2
    captured = capsys.readouterr()
    assert "FAIL " in captured.out and "ok   " in captured.out  # the others were validated
    assert "UNREADABLE" in captured.out and "torn.jsonl" in captured.out
    assert captured.err.startswith("sse-recorder validate: error: ")
    assert "torn.jsonl" in captured.err


def test_unwritable_output_exits_2(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = files / "missing-dir" / "report.txt"
    assert main(["validate", str(files / "good.sse"), "-o", str(target)]) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_a_real_subprocess_run(files: Path) -> None:
    executable = Path(sys.executable).with_name("sse-recorder")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "recorder"]
    done = subprocess.run(
        [*command, "validate", str(files), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"NO_COLOR": "1", "PATH": ""},
    )
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert [f["ok"] for f in data["files"]] == [False, True]
    missing = subprocess.run(
        [*command, "validate", str(files / "nope.sse")], capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith("nope.sse: no such file")


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--list-rules"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("anthropic: ")  # every installed profile, by name
    assert "\nassistants: " in out
    assert "  M1            SDK   error    message events come between" in out
    assert "  R6            EX    warning" in out


def test_no_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 2
    assert "give at least one PATH" in capsys.readouterr().err


def test_a_file_name_that_is_not_utf8_is_reported(files: Path, tmp_path: Path) -> None:
    (files / os.fsdecode(b"odd\xff.sse")).write_bytes(body(message_run()))
    for fmt in ("text", "json", "junit"):
        report = tmp_path / f"report.{fmt}"
        assert main(["validate", str(files), "--format", fmt, "-o", str(report)]) == 1
        text = report.read_text("utf-8")
        shown = text if fmt != "json" else " ".join(f["path"] for f in json.loads(text)["files"])
        assert "odd\\xff.sse" in shown


def test_a_payload_with_an_escaped_lone_surrogate_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = message_run()
    events[5][1]["id"] = events[6][1]["id"] = "\ud800"  # json.dumps writes it as "\ud800"
    (tmp_path / "odd.sse").write_bytes(body(events))
    for fmt in ("text", "json", "junit"):
        report = tmp_path / f"report.{fmt}"
        assert (
            main(["validate", str(tmp_path / "odd.sse"), "--format", fmt, "-o", str(report)]) == 1
        )
        report.read_text("utf-8")


@pytest.mark.parametrize("flag", ["--errors-only", "-q"])
def test_errors_only_for_ci_logs(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Only the error findings (under their file's line) and the summary."""
    assert main(["validate", str(CASSETTES), flag]) == 1
    lines = capsys.readouterr().out.splitlines()
    summary = re.fullmatch(
        r"\d+ files: \d+ ok, (\d+) failed; (\d+) errors, \d+ warnings", lines[-1]
    )
    assert summary is not None, lines[-1]
    files = [line for line in lines[:-1] if not line.startswith("  ")]
    findings = [line for line in lines[:-1] if line.startswith("  ")]
    assert len(files) == int(summary[1]) and all(line.startswith("FAIL ") for line in files)
    assert findings and all(line.split()[0] == "error" for line in findings)
    assert main(["validate", str(CASSETTES), flag, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    severities = {f["severity"] for entry in data["files"] for f in entry["findings"]}
    assert severities == {"error"}


def test_a_torn_last_line_is_a_warning_as_in_the_other_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import CASSETTES

    torn = tmp_path / "torn.jsonl"
    whole = (CASSETTES / "real" / "dotnet-streaming-run.jsonl").read_bytes()
    torn.write_bytes(whole + b'{"kind":"chunk","i":0,"t":9.9,"te')
    lines = whole.count(b"\n") + 1
    code = main(["validate", str(torn)])
    err = capsys.readouterr().err
    assert code in (0, 1)
    assert f"sse-recorder validate: warning: {torn}:{lines}: last line is incomplete" in err
