"""The profile registry and recognition: which contract each stream is judged by.

Detection is by the recorded request (method and path), else the cassette's header, else the
first events; a stream nobody claims is ``generic`` and gets no contract error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse
from recorder.cli import main
from recorder.errors import ProfileError
from recorder.profiles import (
    GENERIC,
    detect,
    first_events,
    get_profile,
    installed_profiles,
    profile_for,
    profile_names,
    resolve_profile_option,
)
from recorder.validate.runner import NO_STREAM, validate_cassette, validate_file
from tests.conftest import CASSETTES, REAL_STREAMS

SSE = [("content-type", "text/event-stream")]


def _cassette(
    body: bytes, url: str = "http://127.0.0.1/x", *, profile: str | None = None
) -> Cassette:
    return Cassette(
        profile=profile,
        interactions=[
            Interaction(
                request=RecordedRequest(method="POST", url=url),
                response=RecordedResponse(status=200, headers=SSE),
                chunks=[Chunk(t=0.0, data=body)],
                outcome="complete",
            )
        ],
    )


def test_builtin_profiles_are_installed() -> None:
    names = profile_names()
    assert {"assistants", GENERIC} <= set(names)
    origins = dict(installed_profiles())
    assert "built-in" in origins[GENERIC] and "profile.toml" in origins[GENERIC]


def test_an_unknown_profile_name_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="unknown profile 'nope'"):
        get_profile("nope")
    with pytest.raises(ProfileError, match="unknown profile 'nope'"):
        resolve_profile_option("nope")
    assert resolve_profile_option(None) == resolve_profile_option("auto") == "auto"


def test_an_assistants_request_is_recognised_by_its_path() -> None:
    cassette = _cassette(b"data: {}\n\n", "https://api.openai.com/v1/threads/runs")
    assert profile_for(cassette, cassette.interactions[0]).name == "assistants"


def test_a_raw_assistants_body_is_recognised_by_its_events() -> None:
    body = (REAL_STREAMS / "assistants" / "dotnet-streamingrunworks-runs-20251030.sse").read_bytes()
    assert detect(None, first_events([body])).name == "assistants"


def test_the_cassette_header_names_the_profile_over_detection() -> None:
    cassette = _cassette(b"data: {}\n\n", "https://api.openai.com/v1/threads/runs", profile=GENERIC)
    assert profile_for(cassette, cassette.interactions[0]).name == GENERIC
    assert profile_for(cassette, cassette.interactions[0], "assistants").name == "assistants"


def test_a_stream_nobody_claims_is_generic_with_a_note_and_no_contract_error() -> None:
    body = b'event: tick\ndata: {"n": 1}\n\nevent: tick\ndata: plain text\n\n'
    findings = validate_cassette(_cassette(body))
    assert not [f for f in findings if f.is_error]
    (note,) = [f for f in findings if f.rule == "G0"]
    assert note.severity.value == "info" and "tried: " in note.message
    assert "assistants" in note.message


def test_generic_still_checks_sse_framing_and_json_that_looks_like_json() -> None:
    body = b'data: {"broken": \n\ndata: \xff\xfe\n\n'
    findings = validate_cassette(_cassette(body))
    rules = {(f.rule, f.severity.value) for f in findings}
    assert ("G2", "warning") in rules  # '{' that does not parse
    assert ("G1", "error") in rules  # invalid UTF-8 breaks the SSE spec itself


def test_the_json_report_names_the_profile_of_each_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generic = tmp_path / "ticks.sse"
    generic.write_bytes(b"event: tick\ndata: 1\n\n")
    assistants = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
    code = main(["validate", "--format", "json", str(generic), str(assistants)])
    files = {Path(f["path"]).name: f for f in json.loads(capsys.readouterr().out)["files"]}
    assert code == 0
    assert files["ticks.sse"]["profile"] == GENERIC
    assert files["dotnet-streaming-run.jsonl"]["profile"] == "assistants"


def test_a_list_of_profiles_when_the_streams_of_a_file_differ(tmp_path: Path) -> None:
    runs = _cassette(b"data: {}\n\n", "https://api.openai.com/v1/threads/runs").interactions
    ticks = _cassette(b"event: tick\ndata: 1\n\n").interactions
    path = tmp_path / "mixed.jsonl"
    Cassette(interactions=[*runs, *ticks]).save(path)
    result = validate_file(path)
    assert result.profile == ["assistants", GENERIC]


def test_the_text_and_junit_reports_name_the_profile(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
    main(["validate", str(path)])
    assert "(assistants, 1 stream" in capsys.readouterr().out
    main(["validate", "--format", "junit", "-o", str(tmp_path / "r.xml"), str(path)])
    assert '<property name="profile" value="assistants"' in (tmp_path / "r.xml").read_text()


def test_a_cassette_without_an_event_stream_is_an_error(tmp_path: Path) -> None:
    failed = Cassette(
        interactions=[
            Interaction(
                request=RecordedRequest(method="POST", url="https://api.openai.com/v1/responses"),
                response=RecordedResponse(
                    status=500, headers=[("content-type", "application/json")]
                ),
                chunks=[Chunk(t=0.1, data=b'{"error": {"message": "boom"}}')],
                outcome="complete",
            )
        ]
    )
    (finding,) = validate_cassette(failed)
    assert finding.rule == NO_STREAM and finding.is_error
    assert "500 application/json" in finding.message and "POST /v1/responses" in finding.message
    header_only = tmp_path / "empty.jsonl"
    Cassette().save(header_only)
    (finding,) = validate_file(header_only).findings
    assert finding.rule == NO_STREAM and "only a header line" in finding.message


def test_no_stream_through_the_cli_and_assert_conforms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from recorder import ContractError, assert_conforms

    path = tmp_path / "empty.jsonl"
    Cassette().save(path)
    assert main(["validate", str(path)]) == 1
    assert "NO-STREAM" in capsys.readouterr().out
    with pytest.raises(ContractError, match="no event stream was recorded"):
        assert_conforms(path)


@pytest.mark.parametrize("command", ["validate", "show", "report", "final", "diff", "import"])
def test_an_unknown_profile_is_a_usage_error_everywhere(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(CASSETTES / "real" / "dotnet-streaming-run.jsonl")
    argv = {
        "validate": ["validate", path],
        "show": ["show", path],
        "report": ["report", path, "-o", str(tmp_path / "r.html")],
        "final": ["final", path],
        "diff": ["diff", path, path],
        "import": ["import", path, "-o", str(tmp_path / "out.jsonl")],
    }[command]
    assert main([*argv, "--profile", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown profile 'nope'" in err


def test_profiles_command_lists_each_with_its_origin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    for name in profile_names():
        assert any(line.startswith(name) for line in out.splitlines())
    assert "from built-in" in out


def test_list_rules_of_one_profile_or_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--list-rules", "--profile", GENERIC]) == 0
    out = capsys.readouterr().out
    assert out.startswith("generic:") and "G1" in out and "R6" not in out
    assert main(["validate", "--list-rules"]) == 0
    out = capsys.readouterr().out
    assert "assistants:" in out and "generic:" in out


def test_final_prints_one_json_object_per_stream(capsys: pytest.CaptureFixture[str]) -> None:
    path = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"
    assert main(["final", "--format", "json", str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["interaction"] for line in lines] == [0, 1]
    assert {tuple(sorted(line)) for line in lines} == {("final", "interaction", "path", "profile")}
    assert {line["profile"] for line in lines} == {"assistants"}


def test_a_body_that_never_ends_a_block_is_recognised_and_broken(tmp_path: Path) -> None:
    # Events written without the blank line that dispatches them: a client sees nothing.
    body = tmp_path / "undispatched.sse"
    body.write_bytes(
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"content":"hi"}}]}\ndata: [DONE]\n'
    )
    result = validate_file(body)
    assert result.profile == "chat" and result.events == 0
    first = result.findings[0]
    assert first.is_error and first.offset == 0
    assert first.message.startswith("no event was dispatched")
