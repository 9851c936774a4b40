"""The command-line skeleton: dispatch, exit codes, one-line errors, ``parse``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from recorder.cli import build_parser, main
from tests.conftest import CASSETTES, REPO


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_documented_command_is_registered() -> None:
    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"parse", "show", "import"} <= set(choices)


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "COMMAND" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("sse-recorder ")


def test_parse_prints_events_with_positions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "parse", str(CASSETTES / "real" / "dotnet-streaming-run.jsonl"))
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["event"] == "thread.run.created"
    assert records[0]["offset"] == 0 and records[0]["line"] == 1
    assert records[-1]["event"] == "done" and records[-1]["data"] == "[DONE]"
    assert [r["index"] for r in records] == list(range(len(records)))


def test_parse_reports_invalid_utf8_and_cut_event_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "bad.sse"
    body.write_bytes(b"data: \xff\n\nevent: x\ndata: cut")
    code, out, err = run(capsys, "parse", str(body))
    assert code == 1
    assert json.loads(out.splitlines()[0])["data"] == "\ufffd"
    lines = err.strip().splitlines()
    assert "byte 0 (line 1): invalid UTF-8" in lines[0]
    assert "byte 9 (line 3): the body ends inside an event" in lines[1]


def test_parse_comments_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "ping.sse"
    body.write_bytes(b": ping\n\ndata: 1\n\n")
    code, out, _ = run(capsys, "parse", "--comments", str(body))
    assert code == 0
    assert [json.loads(line).get("comment") for line in out.splitlines()] == [" ping", None]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (None, "error: {path}: no such file"),
        (
            b'{"kind":"cassette","format":"sse-recorder-cassette","version":2}\n',
            "{path}:1: cassette format version 2 is newer",
        ),
        (b"<html>not a stream</html>", "{path}:1: not an sse-recorder cassette or SSE body"),
    ],
    ids=["missing", "newer version", "foreign"],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: bytes | None, expected: str
) -> None:
    path = tmp_path / "input.jsonl" if setup and setup.startswith(b"{") else tmp_path / "x.txt"
    if setup is not None:
        path.write_bytes(setup)
    code, out, err = run(capsys, "parse", str(path))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert expected.format(path=path) in err
    assert "Traceback" not in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["parse"])
    assert exited.value.code == 2


def test_console_script_and_module_run_for_real(tmp_path: Path) -> None:
    body = tmp_path / "one.sse"
    body.write_bytes(b"event: done\ndata: [DONE]\n\n")
    for command in (
        [str(Path(sys.executable).parent / "sse-recorder"), "parse", str(body)],
        [sys.executable, "-m", "recorder", "parse", str(body)],
    ):
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["event"] == "done"


def test_stdin_is_read_with_dash(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "recorder", "parse", "-"],
        input=b"data: from stdin\n\n",
        capture_output=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["data"] == "from stdin"


def test_parse_skips_plain_responses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A proxy or transport also records plain JSON answers (a GET of a run list): they are
    # not event streams, so they have no events and no "unfinished event" to report.
    from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse

    path = tmp_path / "mixed.jsonl"
    streamed = Cassette.load(CASSETTES / "real" / "dotnet-streaming-run.jsonl").interactions[0]
    listed = Interaction(
        request=RecordedRequest(method="GET", url="http://h/v1/threads/t/runs"),
        response=RecordedResponse(status=200, headers=[("content-type", "application/json")]),
        chunks=[Chunk(t=0.1, data=b'{"object": "list", "data": []}')],
        outcome="complete",
    )
    Cassette(interactions=[listed, streamed]).save(path)
    code, out, err = run(capsys, "parse", str(path))
    assert (code, err) == (0, "")
    records = [json.loads(line) for line in out.splitlines()]
    assert {r["interaction"] for r in records} == {1}


def test_closed_pipe_is_not_a_traceback() -> None:
    path = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
    producer = subprocess.Popen(
        [sys.executable, "-m", "recorder", "parse", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert producer.stdout is not None and producer.stderr is not None
    producer.stdout.readline()
    producer.stdout.close()  # the reader goes away, like `| head -1`
    err = producer.stderr.read()
    producer.wait()
    assert b"Traceback" not in err


@pytest.mark.parametrize("command", ["parse", "show", "validate", "report"])
def test_huge_event_is_one_line_with_file_and_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    from recorder.wire.sse import DEFAULT_MAX_LINE_BYTES

    body = tmp_path / "huge.sse"
    line = b"data: " + b"x" * DEFAULT_MAX_LINE_BYTES
    body.write_bytes(b"event: thread.message.delta\n" + line + b"\n\nevent: done\ndata: [DONE]\n\n")
    extra = ["-o", str(tmp_path / "report.html")] if command == "report" else []
    code, _, err = run(capsys, command, str(body), *extra)
    assert code == 2
    assert f"{body}" in err and "byte 28" in err and "a line longer than" in err
    assert err.strip().count("\n") == 0
    assert "Traceback" not in err


def test_an_internal_error_is_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import recorder.commands.parse as parse_command

    def broken(args: object) -> int:
        raise KeyError("boom")

    body = tmp_path / "x.sse"
    body.write_bytes(b"data: 1\n\n")
    parser_run = parse_command.run
    monkeypatch.setattr(parse_command, "run", broken)
    try:
        code, _, err = run(capsys, "parse", str(body))
        assert code == 2
        assert err.strip().count("\n") == 0
        assert "internal error: KeyError" in err and "SSE_RECORDER_DEBUG=1" in err
        monkeypatch.setenv("SSE_RECORDER_DEBUG", "1")
        with pytest.raises(KeyError):
            main(["parse", str(body)])
    finally:
        monkeypatch.setattr(parse_command, "run", parser_run)


def test_parse_a_directory_names_each_cassette(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "parse", str(CASSETTES / "real"))
    paths = {json.loads(line)["path"] for line in out.splitlines()}
    assert paths == {str(p) for p in sorted((CASSETTES / "real").glob("*.jsonl"))}
    assert code == 0


# --------------------------------------------------------------------------- one CLI (issue 14.9)


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    choices: dict[str, argparse.ArgumentParser] = action.choices  # type: ignore[assignment]
    return choices


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {name: action for action in parser._actions for name in action.option_strings}


def test_every_option_has_help_text() -> None:
    """``-o`` above all: record, import and report had none."""
    missing = [
        f"{command} {'/'.join(action.option_strings) or action.dest}"
        for command, parser in _subcommands().items()
        for action in parser._actions
        if action.help != argparse.SUPPRESS and not action.help
    ]
    assert missing == []
    outputs = {c for c, p in _subcommands().items() if "-o" in _options(p)}
    assert {"record", "import", "report", "validate", "proxy"} <= outputs


def test_redaction_options_are_spelled_and_explained_alike() -> None:
    wanted = ("--header-redact", "--query-redact", "--body-redact")
    helps = {}
    for command in ("record", "proxy", "redact", "import"):
        options = _options(_subcommands()[command])
        assert set(wanted) <= set(options), command
        helps[command] = tuple(options[name].help for name in wanted)
    assert len(set(helps.values())) == 1, helps


def test_old_redaction_spellings_still_work_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "b.sse"
    source.write_bytes(b'data: {"email":"jane@example.test"}\n\n')
    output = tmp_path / "c.jsonl"
    code, _, err = run(
        capsys, "import", str(source), "-o", str(output), "--body-regex", r'"email":"([^"]+)"'
    )
    assert code == 0, err
    assert "--body-regex is deprecated, use --body-redact" in err
    assert b"jane@" not in output.read_bytes()
    assert "--body-regex" not in _subcommands()["import"].format_help()  # hidden


def test_severity_means_one_thing_everywhere() -> None:
    """``--severity RULE=LEVEL`` changes a rule's severity wherever it exists; ``show``'s
    filter is ``--min-severity``."""
    having = {}
    for command, parser in _subcommands().items():
        options = _options(parser)
        if "--severity" in options:
            having[command] = (options["--severity"].metavar, options["--severity"].help)
    assert {"validate", "show", "report"} <= set(having)
    assert len(set(having.values())) == 1 and next(iter(having.values()))[0] == "RULE=LEVEL"
    assert "--min-severity" in _options(_subcommands()["show"])


@pytest.mark.parametrize("command", ["show", "validate"])
def test_color_on_every_command_that_colours(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = str(CASSETTES / "official" / "official-create-run.jsonl")
    assert main([command, cassette, "--color", "always"]) == 1
    assert "\x1b[" in capsys.readouterr().out
    assert main([command, cassette, "--color", "never"]) == 1
    assert "\x1b[" not in capsys.readouterr().out
    options = _options(_subcommands()[command])
    assert options["--color"].choices == ("auto", "always", "never")
    assert options["--color"].help == _options(_subcommands()["show"])["--color"].help
