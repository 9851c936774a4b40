"""``sse-recorder record``: live output, the cassette, --append, faults, and a SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from recorder.cassette import load_cassette
from recorder.cli import main
from tests.conftest import CASSETTES, REPO
from tests.upstream import Script, Upstream, module_upstream, reset_server

TOOL_CALL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"
SUBMIT = "/v1/threads/thread_1/runs/run_1/submit_tool_outputs"
SLOW = [f"data: {n}\n\n".encode() for n in range(3)]

SCRIPTS = {
    ("POST", "/v1/threads/runs"): Script.from_cassette(TOOL_CALL, 0, gap=0.005),
    ("POST", SUBMIT): Script.from_cassette(TOOL_CALL, 1, gap=0.005),
    ("GET", "/v1/threads/thread_1/runs"): Script.json({"data": []}),
    ("GET", "/hang-up"): Script([b"data: 1\n\n"], end="hang-up"),
    ("GET", "/slow"): Script(SLOW, end="hold"),
}


upstream = module_upstream(SCRIPTS)


def record(*argv: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "recorder", "record", *argv]
    return subprocess.run(command, cwd=REPO, capture_output=True, timeout=60, check=False)


def test_prints_the_body_and_records_then_appends(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    url, app = upstream
    path = tmp_path / "run.jsonl"
    body = json.dumps({"assistant_id": "asst_1", "stream": True})
    first = record(url + "/v1/threads/runs", "-d", body, "-o", str(path),
                   "-H", "Authorization: Bearer sk-cli-secret-1234",
                   "-H", "OpenAI-Beta: assistants=v2", "--profile", "assistants")  # fmt: skip
    sent = list(SCRIPTS[("POST", "/v1/threads/runs")].chunks)
    assert first.returncode == 0, first.stderr
    assert first.stdout == b"".join(sent)
    assert b"200, " in first.stderr and b"complete" in first.stderr
    seen = app.requests[-1]
    assert (seen.method, seen.header("content-type")) == ("POST", "application/json")
    assert seen.header("authorization") == "Bearer sk-cli-secret-1234"
    outputs = tmp_path / "outputs.json"
    outputs.write_text('{"tool_outputs": [{"tool_call_id": "call_1", "output": "42"}]}')
    second = record(url + SUBMIT, "-d", f"@{outputs}", "-o", str(path), "--append", "-q")
    assert second.returncode == 0, second.stderr
    assert second.stdout == b""
    cassette = load_cassette(path)
    assert cassette.profile == "assistants"
    assert [i.request.path for i in cassette.interactions] == ["/v1/threads/runs", SUBMIT]
    assert [c.data for c in cassette.interactions[0].chunks] == sent
    assert cassette.interactions[1].request.body == outputs.read_bytes()
    assert cassette.interactions[0].request.header("authorization") == "Bearer REDACTED"
    assert b"sk-cli-secret-1234" not in path.read_bytes()


def test_get_without_data(
    tmp_path: Path, upstream: tuple[str, Upstream], capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = upstream
    path = tmp_path / "list.jsonl"
    code = main(["record", url + "/v1/threads/thread_1/runs?api_key=q-secret-9876", "-o",
                 str(path), "-q"])  # fmt: skip
    assert code == 0
    assert app.requests[-1].method == "GET"
    interaction = load_cassette(path).interactions[0]
    assert json.loads(interaction.body) == {"data": []}
    assert interaction.request.url.endswith("?api_key=REDACTED")
    assert "wrote interaction 0" in capsys.readouterr().err


def test_hang_up_exits_1_and_keeps_what_arrived(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    url, _ = upstream
    path = tmp_path / "cut.jsonl"
    result = record(url + "/hang-up", "-o", str(path))
    assert result.returncode == 1
    assert result.stdout == b"data: 1\n\n"
    assert b"upstream-closed" in result.stderr
    interaction = load_cassette(path).interactions[0]
    assert (interaction.body, interaction.outcome) == (b"data: 1\n\n", "upstream-closed")


def test_timeout_exits_1(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    path = tmp_path / "slow.jsonl"
    assert main(["record", url + "/slow", "-o", str(path), "--timeout", "0.2", "-q"]) == 1
    interaction = load_cassette(path).interactions[0]
    assert interaction.body == b"".join(SLOW)
    assert interaction.outcome == "timeout"


def test_sigkill_loses_nothing_written(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    """Killed mid-stream, the cassette still loads with every chunk the command printed (each
    chunk is on disk before it is printed)."""
    url, _ = upstream
    path = tmp_path / "killed.jsonl"
    command = [sys.executable, "-m", "recorder", "record", url + "/slow", "-o", str(path)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        expected = b"".join(SLOW)
        printed = b""
        while len(printed) < len(expected):
            data = process.stdout.read1(65536)
            assert data, "record exited early"
            printed += data
        assert printed == expected
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    cassette = load_cassette(path)
    interaction = cassette.interactions[0]
    assert interaction.body == expected
    assert interaction.outcome == "interrupted"
    assert interaction.response is not None and interaction.response.status == 200


def test_unreachable_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with reset_server(b"", b"") as dead:
        pass
    assert main(["record", dead + "/x", "-o", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sse-recorder record: error: ") and err.count("\n") == 1
    assert "ConnectError" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ftp://x/y"], "URL must be http(s)"),
        (["http://127.0.0.1:9/x", "-H", "no colon"], "-H expects 'Name: value'"),
        (["http://127.0.0.1:9/x", "-H", "bad name: v"], "-H expects 'Name: value'"),
        (["http://127.0.0.1:9/x", "-d", "@/nonexistent/body.json"], "cannot read"),
        (["http://127.0.0.1:9/x", "-X", "GE T"], "is not an HTTP method"),
        (["http://127.0.0.1:9/x", "--timeout", "0"], "--timeout must be positive"),
        (["http://127.0.0.1:9/x", "--timeout", "nan"], "--timeout must be positive"),
        (["http://127.0.0.1:9/x", "--timeout", "inf"], "--timeout must be positive"),
        (["http://127.0.0.1:9/x", "--body-redact", "(["], "--body-redact"),
        # a valid str regex that bodies (bytes) cannot use
        (["http://127.0.0.1:9/x", "--body-redact", r"\u0041"], "--body-redact"),
        (["http://127.0.0.1:9/x", "-H", "X-Tenant: é"], "-H X-Tenant: the value must be"),
        # a control character: named without echoing the (secret) value
        (["http://127.0.0.1:9/x", "-H", "Authorization: sk-1\x01"], "-H Authorization: the"),
    ],
)
def test_argument_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["record", *argv, "-o", str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert "sk-1" not in err
    assert not (tmp_path / "out.jsonl").exists()


def test_existing_output_needs_append_or_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "old.jsonl"
    existing.write_bytes((CASSETTES / "real" / "dotnet-streaming-run.jsonl").read_bytes())
    assert main(["record", "http://127.0.0.1:9/x", "-o", str(existing)]) == 2
    assert "exists (use --append" in capsys.readouterr().err
    raw = tmp_path / "body.sse"
    raw.write_bytes(b"data: 1\n\n")
    assert main(["record", "http://127.0.0.1:9/x", "-o", str(raw), "--append"]) == 2
    assert "cannot --append" in capsys.readouterr().err
    assert raw.read_bytes() == b"data: 1\n\n"


def test_redaction_through_the_command(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, app = upstream
    path = tmp_path / "secret.jsonl"
    secrets = ["sk-header-AAAA1111", "pk-portkey-BBBB2222", "cookie-CCCC3333", "q-DDDD4444",
               "body-EEEE5555", "tenant-FFFF6666"]  # fmt: skip
    code = main([
        "record", url + f"/v1/threads/thread_1/runs?api_key={secrets[3]}", "-X", "GET",
        "-d", json.dumps({"note": secrets[4]}), "-o", str(path), "-q",
        "-H", f"Authorization: Bearer {secrets[0]}", "-H", f"x-portkey-api-key: {secrets[1]}",
        "-H", "x-portkey-provider: openai", "-H", f"Cookie: s={secrets[2]}",
        "-H", f"X-Tenant: {secrets[5]}", "--header-redact", "x-tenant",
        "--body-redact", r"body-[A-Z]{4}\d{4}",
    ])  # fmt: skip
    assert code == 0
    data = path.read_bytes()
    assert [s for s in secrets if s.encode() in data] == []
    seen = app.requests[-1]
    assert all(s in str(seen.headers) + seen.query + seen.body.decode() for s in secrets)
    request = load_cassette(path).interactions[0].request
    assert (request.method, request.path) == ("GET", "/v1/threads/thread_1/runs")
    assert request.header("x-portkey-provider") == "openai"
    assert json.loads(request.body) == {"note": "REDACTED"}


def test_the_summary_comes_from_the_stream_not_from_reading_the_cassette_back(
    tmp_path: Path, upstream: tuple[str, Upstream], capsys: pytest.CaptureFixture[str]
) -> None:
    # Reading a 300 MB cassette back took 969 MB; the summary now comes from what streamed,
    # so even an output that cannot be read back (/dev/null) records and reports.
    url, _ = upstream
    assert main(["record", url + "/hang-up", "-o", os.devnull, "-q"]) == 1
    err = capsys.readouterr().err
    assert "200, 1 chunks, 9 bytes, upstream-closed" in err and err.count("\n") == 1


def test_deeply_nested_json_body_is_sent_and_recorded(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    url, app = upstream
    body = tmp_path / "deep.json"
    body.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    result = record(url + "/v1/threads/runs", "-d", f"@{body}", "-o", str(tmp_path / "r.jsonl"))
    assert result.returncode == 0, result.stderr
    assert app.requests[-1].header("content-type") == "application/json"


def test_a_url_that_does_not_parse_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "http://[::1/v1?api_key=sk-abcdefghijklmnopqrstuv"
    assert main(["record", url, "-o", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "does not parse" in err and err.count("\n") == 1
    assert "sk-abcdefghijklmnopqrstuv" not in err and "internal error" not in err
