"""The debugging commands end to end: show, diff, report, import, redact.

Every bad input is checked for its one-line message and exit code 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recorder.cassette import CassetteWriter, RecordedRequest, load_cassette
from recorder.cli import main
from tests.conftest import CASSETTES, REPO

REAL = CASSETTES / "real"
OFFICIAL = CASSETTES / "official"
SUBMIT = REAL / "dotnet-tool-call-then-submit.jsonl"
BODY = b'event: thread.run.created\ndata: {"id":"run_Abc123"}\n\nevent: done\ndata: [DONE]\n\n'
SECRET = "sk-live-abcdefghijklmnop"


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI expecting exit 2 and return its single error line."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert lines[0].startswith(f"sse-recorder {argv[0]}: error: ")
    return lines[0]


def _file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("command", ["show", "report", "import", "redact", "diff"])
def test_missing_file(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.jsonl")
    argv = {
        "show": ["show", missing],
        "report": ["report", missing, "-o", str(tmp_path / "r.html")],
        "import": ["import", missing, "-o", str(tmp_path / "c.jsonl")],
        "redact": ["redact", missing],
        "diff": ["diff", str(SUBMIT), missing],
    }[command]
    line = _error(capsys, argv)
    assert line.endswith(f"{missing}: no such file")
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "c.jsonl").exists()


@pytest.mark.parametrize("command", ["show", "report", "diff", "redact"])
def test_foreign_formats_point_to_import(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    har = _file(tmp_path, "capture.har", b'{"log": {"version": "1.2", "entries": []}}')
    argv = {
        "show": ["show", har],
        "report": ["report", har, "-o", str(tmp_path / "r.html")],
        "diff": ["diff", har, str(SUBMIT)],
        "redact": ["redact", har],
    }[command]
    line = _error(capsys, argv)
    assert f"{har}:1: not an sse-recorder cassette" in line
    assert "looks like a HAR file: use 'sse-recorder import'" in line


@pytest.mark.parametrize(
    ("name", "data", "extra", "message"),
    [
        ("shot.png", b"\x89PNG\r\n\x1a\n\0\0", [], "not a HAR file, a vcrpy cassette or an SSE"),
        ("broken.har", b'{"log": {"entries": [}', [], "broken HAR file: invalid JSON"),
        ("empty.har", b'{"log": {}}', [], 'broken HAR file: no "log.entries" list'),
        ("broken.yaml", b"interactions:\n  - {request: [\n", [], "broken vcrpy YAML cassette"),
        ("body.sse", BODY, ["--format", "vcr"], 'broken vcrpy cassette: no "interactions"'),
        ("c.jsonl", b'{"kind":"cassette"}\n', [], "already an sse-recorder cassette"),
        ("x.har", b'{"log": {"entries": []}}', ["--request", "GET /"], "raw .sse bodies only"),
        ("b.sse", BODY, ["--request", "A B C"], "--request takes 'METHOD PATH-OR-URL'"),
        ("b.sse", BODY, ["--body-redact", "(unclosed"], "--body-redact '(unclosed'"),
    ],
)
def test_import_bad_inputs(
    name: str,
    data: bytes,
    extra: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = _file(tmp_path, name, data)
    output = tmp_path / "out.jsonl"
    line = _error(capsys, ["import", source, "-o", str(output), *extra])
    assert message in line
    assert not output.exists()


def test_import_unknown_format_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _file(tmp_path, "b.sse", BODY)
    with pytest.raises(SystemExit) as caught:
        main(["import", source, "-o", str(tmp_path / "o.jsonl"), "--format", "warc"])
    assert caught.value.code == 2
    assert "invalid choice: 'warc'" in capsys.readouterr().err


def test_import_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _file(tmp_path, "b.sse", BODY)
    output = tmp_path / "o.jsonl"
    output.write_text("keep me")
    assert "exists (use --force to overwrite)" in _error(
        capsys, ["import", source, "-o", str(output)]
    )
    assert output.read_text() == "keep me"
    assert main(["import", source, "-o", str(output), "--force"]) == 0
    assert load_cassette(output).interactions[0].body == BODY
    directory = tmp_path / "out"
    directory.mkdir()
    to_directory = ["import", source, "-o", str(directory), "--force"]
    assert _error(capsys, to_directory).endswith(f"{directory}: is a directory, not a cassette")
    assert not list(tmp_path.glob(".out.*"))  # nothing written beside it


def test_other_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "unknown" in _error(capsys, ["show", str(SUBMIT), "--profile", "nonsense"]).lower()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no cassettes or .sse files under" in _error(
        capsys, ["report", str(empty), "-o", str(tmp_path / "r.html")]
    )
    corrupt = _file(
        tmp_path, "corrupt.jsonl", SUBMIT.read_bytes().replace(b'"kind":"chunk"', b"{", 1)
    )
    assert f"{corrupt}:" in _error(capsys, ["diff", corrupt, str(SUBMIT)])
    raw = _file(tmp_path, "body.sse", BODY)
    assert "raw SSE body, not a cassette" in _error(capsys, ["redact", raw])
    # In place means a file: a cassette read from stdin was written to a file named "-".
    assert "rewrites a cassette file in place" in _error(capsys, ["redact", "-"])
    report = ["report", str(SUBMIT), "-o", str(tmp_path)]
    assert _error(capsys, report).endswith(f"{tmp_path}: is a directory, not a report file")
    assert not list(tmp_path.parent.glob(f".{tmp_path.name}.*"))  # nothing written beside it


def test_bad_input_in_a_real_subprocess(tmp_path: Path) -> None:
    broken = _file(tmp_path, "broken.har", b'{\n "log": {\n  "entries": [,\n')
    done = subprocess.run(
        [sys.executable, "-m", "recorder", "import", broken, "-o", str(tmp_path / "o.jsonl")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"sse-recorder import: error: {broken}:3: broken HAR file: invalid JSON "
        "(Expecting value, column 15)\n"
    )


# --------------------------------------------------------------------------- working paths


def test_show_timeline_with_findings_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    broken = OFFICIAL / "official-create-run.jsonl"
    assert main(["show", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "error A1" in out and "\x1b[" not in out  # no colour into a pipe
    assert main(["show", str(broken), "--min-severity", "error"]) == 1
    assert "SCHEMA-REAL" not in capsys.readouterr().out
    assert main(["show", str(broken), "--no-validate"]) == 0
    assert "▲" not in capsys.readouterr().out
    assert main(["show", str(SUBMIT), "--color", "always", "--no-validate"]) == 0
    assert "\x1b[" in capsys.readouterr().out


def test_show_and_diff_print_lone_surrogates_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _file(tmp_path, "a.sse", b'event: x\ndata: {"id":"run_\\udcff","delta":"y\\ud800"}\n\n')
    b = _file(tmp_path, "b.sse", b'event: x\ndata: {"id":"run_1"}\n\n')
    assert main(["show", a, "--no-validate"]) == 0
    assert '"y\\ud800"' in capsys.readouterr().out
    assert main(["diff", a, b, "--exact"]) == 1
    out = capsys.readouterr().out
    out.encode("utf-8")
    assert '"run_\\xff" in A' in out


def test_show_raw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _file(tmp_path, "crlf.sse", b"data: caf\xe9\r\n\r\n")
    assert main(["show", "--raw", source]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2] == "       0  data: caf\\xe9\\r\\n"
    assert out[3] == "      12  \\r\\n"


def test_show_a_raw_body_prints_findings_under_their_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = load_cassette(OFFICIAL / "official-create-run.jsonl").interactions[0].body
    source = _file(tmp_path, "run.sse", body)
    assert main(["show", source, "--min-severity", "error"]) == 1
    lines = capsys.readouterr().out.splitlines()
    row = next(i for i, line in enumerate(lines) if "thread.message.completed" in line)
    assert "error A1: the text deltas of content part 0" in lines[row + 1]
    assert lines[-1].split()[:2] == ["13", "0.0"]  # done is last: no heap of findings after it


def test_show_a_directory_names_each_file_and_goes_on_past_an_unreadable_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.jsonl").write_bytes(SUBMIT.read_bytes())
    (tmp_path / "b.jsonl").write_bytes(b'{"kind":"cassette"\n')
    (tmp_path / "c.sse").write_bytes(BODY)
    assert main(["show", str(tmp_path), "--no-validate"]) == 2
    captured = capsys.readouterr()
    headers = [line for line in captured.out.splitlines() if line.startswith("### ")]
    assert headers == [f"### {tmp_path / name}" for name in ("a.jsonl", "b.jsonl", "c.sse")]
    assert "run_Abc123" in captured.out  # the file after the unreadable one is shown
    [error] = captured.err.strip().splitlines()
    assert error.startswith(f"sse-recorder show: error: {tmp_path / 'b.jsonl'}")
    # one file: no name line, as before
    assert main(["show", str(tmp_path / "c.sse"), "--no-validate"]) == 0
    assert not capsys.readouterr().out.startswith("###")


def test_show_severity_changes_a_rule_as_in_validate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = str(OFFICIAL / "official-create-run.jsonl")
    argv = ["show", broken, "--severity", "A1=info", "--disable", "F1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "info A1" in out and "error F1" not in out
    line = _error(capsys, ["show", broken, "--severity", "error"])
    assert "--severity takes RULE=LEVEL" in line and "--min-severity" in line


def test_import_takes_the_same_redaction_options_as_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _file(tmp_path, "b.sse", b'data: {"email":"jane@example.test"}\n\n')
    output = tmp_path / "c.jsonl"
    argv = ["import", source, "-o", str(output), "--request", "GET /v1/x?tenant=acme"]
    argv += ["--query-redact", "tenant", "--body-redact", '"email":"([^"]+)"']
    assert main(argv) == 0, capsys.readouterr().err
    [interaction] = load_cassette(output).interactions
    assert interaction.request.url.endswith("tenant=REDACTED")
    assert interaction.body == b'data: {"email":"REDACTED"}\n\n'


def test_diff_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(SUBMIT.read_bytes().replace(b"run_oyfV44CrJXYJkvb2qsd80LvJ", b"run_NEW999"))
    assert main(["diff", str(SUBMIT), str(copy)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "equal (ids and timestamps ignored)"
    assert main(["diff", "--exact", str(SUBMIT), str(copy)]) == 1
    assert "run_NEW999" in capsys.readouterr().out
    assert main(["diff", str(SUBMIT), str(REAL / "dotnet-streaming-run.jsonl")]) == 1
    assert "differences (" in capsys.readouterr().out.splitlines()[-1]


def test_report_writes_one_file_and_exits_1_on_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "deep" / "report.html"
    assert main(["report", str(OFFICIAL), "-o", str(output)]) == 1
    assert "wrote" in capsys.readouterr().out
    html = output.read_text(encoding="utf-8")
    assert html.count("<h2 ") == 7 and "http" not in html.split("<body>")[0].replace(
        "http-equiv", ""
    )
    assert main(["report", str(REAL / "dotnet-streaming-run.jsonl"), "-o", str(output)]) == 0
    assert [p.name for p in output.parent.iterdir()] == ["report.html"]


def test_import_then_show_in_subprocesses(tmp_path: Path) -> None:
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "Firefox", "version": "133.0"},
            "entries": [
                {
                    "startedDateTime": "2026-11-22T01:00:00.000+01:00",
                    "time": 250,
                    "request": {
                        "method": "POST",
                        "url": "https://gateway.test/v1/threads/runs?api_key=" + SECRET,
                        "httpVersion": "HTTP/1.1",
                        "headers": [{"name": "x-portkey-api-key", "value": SECRET}],
                        "cookies": [],
                        "queryString": [{"name": "api_key", "value": SECRET}],
                        "headersSize": 200,
                        "bodySize": 0,
                    },
                    "response": {
                        "status": 200,
                        "statusText": "OK",
                        "httpVersion": "HTTP/1.1",
                        "headers": [{"name": "Content-Type", "value": "text/event-stream"}],
                        "cookies": [],
                        "content": {
                            "mimeType": "text/event-stream",
                            "size": len(BODY),
                            "text": BODY.decode(),
                        },
                        "redirectURL": "",
                        "headersSize": 100,
                        "bodySize": len(BODY),
                    },
                    "cache": {},
                    "timings": {
                        "blocked": 0,
                        "dns": 1,
                        "connect": 2,
                        "send": 1,
                        "wait": 40,
                        "receive": 206,
                        "ssl": -1,
                    },
                }
            ],
        }
    }
    source = _file(tmp_path, "firefox-export.json", json.dumps(har).encode())
    cassette_path = tmp_path / "imported.jsonl"
    run = [sys.executable, "-m", "recorder"]
    done = subprocess.run(
        [*run, "import", source, "-o", str(cassette_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert SECRET not in cassette_path.read_text()
    shown = subprocess.run(
        [*run, "show", "--no-validate", str(cassette_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    rows = shown.stdout.splitlines()
    assert "api_key=REDACTED" in rows[0]
    assert rows[2].split()[:5] == ["0", "44.0", "+44.0", "0", "thread.run.created"]


def _cassette_with_secrets(path: Path) -> None:
    with CassetteWriter.create(path, profile="assistants") as writer:
        index = writer.request(
            RecordedRequest(
                method="POST",
                url="http://127.0.0.1/v1/threads/runs?tenant=acme",
                headers=[("X-Tenant-Token", "tok-123456789"), ("Accept", "text/event-stream")],
            )
        )
        writer.response(index, status=200, headers=[("content-type", "text/event-stream")], t=0.01)
        writer.chunk(index, b'data: {"email":"jane@example.test"}\n\n', t=0.02)
        writer.end(index, "complete", t=0.03)


def test_redact_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.jsonl"
    _cassette_with_secrets(path)
    before = path.read_bytes()
    assert main(["redact", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: nothing to redact"
    assert path.read_bytes() == before
    argv = [
        "redact",
        str(path),
        "--header-redact",
        "x-tenant-token",
        "--query-redact",
        "tenant",
        "--body-redact",
        r'"email":"([^"]+)"',
    ]
    assert main([*argv, "--dry-run"]) == 0
    assert "would be redacted" in capsys.readouterr().out and path.read_bytes() == before
    assert main(argv) == 0
    cassette = load_cassette(path)
    [interaction] = cassette.interactions
    assert interaction.request.header("x-tenant-token") == "REDACTED"
    assert interaction.request.url.endswith("?tenant=REDACTED")
    assert interaction.body == b'data: {"email":"REDACTED"}\n\n'
    assert [chunk.t for chunk in interaction.chunks] == [0.02]
    assert cassette.profile == "assistants"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]  # no temporary left


def test_redact_leaves_the_original_untouched_on_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.jsonl"
    _cassette_with_secrets(path)
    before = path.read_bytes()
    _error(capsys, ["redact", str(path), "--body-redact", "[unclosed"])
    assert path.read_bytes() == before
    # the new file cannot be written (its name is taken by a directory): nothing is replaced
    blocker = tmp_path / f".c.jsonl.{os.getpid()}.tmp"
    blocker.mkdir()
    line = _error(capsys, ["redact", str(path), "--header-redact", "x-tenant-token"])
    assert "directory" in line.lower()
    assert path.read_bytes() == before


def test_redact_keeps_an_interrupted_interaction_open(tmp_path: Path) -> None:
    """A cassette whose recording was interrupted keeps its open interaction through redact."""
    path = tmp_path / "c.jsonl"
    with CassetteWriter.create(path) as writer:
        index = writer.request(
            RecordedRequest(method="GET", url="http://127.0.0.1/?api_key=k1234567")
        )
        writer.chunk(index, b"data: 1\n\n", t=0.1)
    assert main(["redact", str(path)]) == 0
    cassette = load_cassette(path)
    assert cassette.interactions[0].outcome == "interrupted"
    assert cassette.interactions[0].request.url.endswith("api_key=REDACTED")
