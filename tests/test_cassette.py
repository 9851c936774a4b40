"""The cassette format: lossless round trips, crash safety, exact errors, its JSON Schema."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jsonschema
import pytest

from recorder.cassette import (
    FORMAT_VERSION,
    Cassette,
    CassetteWriter,
    Chunk,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    iter_cassette_paths,
    load_cassette,
    record_schema,
)
from recorder.cassette.resources import load_schema
from recorder.errors import CassetteFormatError, CassetteNotFoundError
from tests.conftest import CASSETTES, REPO

EURO = "€".encode()  # three bytes: a chunk boundary can split it


def sample() -> Cassette:
    return Cassette(
        profile="assistants",
        interactions=[
            Interaction(
                request=RecordedRequest(
                    method="POST",
                    url="http://127.0.0.1:9/v1/threads/runs",
                    headers=[("OpenAI-Beta", "assistants=v2")],
                    body=b'{"stream":true}',
                ),
                response=RecordedResponse(
                    status=200, headers=[("content-type", "text/event-stream")], t=0.01
                ),
                chunks=[
                    Chunk(t=0.011, data=b"data: " + EURO[:2]),
                    Chunk(t=0.0125, data=EURO[2:] + b"\n\n"),
                    Chunk(t=0.5, data=b"event: done\ndata: [DONE]\n\n"),
                ],
                outcome="complete",
                ended_at=0.5,
            )
        ],
    )


def test_round_trip_is_byte_exact(tmp_path: Path) -> None:
    original = sample()
    path = original.save(tmp_path / "a.jsonl")
    loaded = load_cassette(path)
    assert loaded.interactions[0].chunks == original.interactions[0].chunks
    assert loaded.interactions[0].body == "data: €\n\nevent: done\ndata: [DONE]\n\n".encode()
    assert loaded.interactions[0].request == original.interactions[0].request
    assert loaded.interactions[0].outcome == "complete"
    assert loaded.warnings == []
    assert loaded.dumps() == original.dumps()


def test_one_record_per_line_readable_where_possible(tmp_path: Path) -> None:
    lines = sample().dumps().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["kind"] for r in records] == [
        "cassette",
        "request",
        "response",
        "chunk",
        "chunk",
        "chunk",
        "end",
    ]
    # A chunk that splits a UTF-8 character is base64; whole text stays readable.
    assert "b64" in records[3] and "b64" in records[4]
    assert records[5]["text"] == "event: done\ndata: [DONE]\n\n"
    assert list(records[0])[:3] == ["kind", "format", "version"]


def test_every_line_matches_the_published_schema() -> None:
    validator = jsonschema.Draft202012Validator(load_schema("cassette.schema.json"))
    for path in sorted(CASSETTES.rglob("*.jsonl")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            errors = list(validator.iter_errors(json.loads(line)))
            assert errors == [], f"{path}:{number}: {errors[0].message}"


def test_schema_file_is_generated_from_the_models() -> None:
    on_disk = json.loads((REPO / "schemas" / "cassette.schema.json").read_text("utf-8"))
    assert on_disk == record_schema(), (
        "schemas/cassette.schema.json is stale: "
        "regenerate it from recorder.cassette.record_schema()"
    )
    jsonschema.Draft202012Validator.check_schema(on_disk)


def test_writer_is_incremental_and_appendable(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    with CassetteWriter.create(path, profile="assistants") as writer:
        index = writer.request(RecordedRequest(method="POST", url="/v1/threads/runs"))
        writer.response(index, status=200, headers=[("content-type", "text/event-stream")], t=0.1)
        writer.chunk(index, b"data: 1\n\n", t=0.2)
        # Flushed as written: a reader sees the chunk before the writer is closed.
        assert load_cassette(path).interactions[0].chunks[0].data == b"data: 1\n\n"
        writer.end(index, "complete", t=0.3)
    with CassetteWriter.create(path, append=True) as writer:
        second = writer.request(RecordedRequest(method="POST", url="/v1/x/submit_tool_outputs"))
        assert second == 1
        writer.end(second, "upstream-closed", t=0.0, detail="no response")
    loaded = load_cassette(path)
    assert [i.outcome for i in loaded.interactions] == ["complete", "upstream-closed"]
    assert loaded.interactions[1].outcome_detail == "no response"


def test_appending_to_a_torn_cassette_keeps_it_loadable(tmp_path: Path) -> None:
    # A recorder killed mid-write leaves a torn last line; appending after it must not leave
    # that fragment in the middle of the file, where it would make every line unloadable.
    path = tmp_path / "torn.jsonl"
    path.write_text(sample().dumps().rstrip("\n")[:-7], encoding="utf-8")
    with CassetteWriter.create(path, append=True) as writer:
        index = writer.request(RecordedRequest(method="POST", url="/v1/x/submit_tool_outputs"))
        writer.end(index, "complete", t=0.1)
    loaded = load_cassette(path)
    assert [i.outcome for i in loaded.interactions] == ["interrupted", "complete"]
    assert len(loaded.interactions[0].chunks) == 3
    assert loaded.warnings == [
        f"{path}: interaction 0 has no end record (the recording was interrupted)"
    ]


def test_appending_to_a_file_without_final_newline_keeps_its_last_record(tmp_path: Path) -> None:
    path = tmp_path / "edited.jsonl"
    path.write_text(sample().dumps().rstrip("\n"), encoding="utf-8")  # hand-edited: no final LF
    with CassetteWriter.create(path, append=True) as writer:
        writer.end(writer.request(RecordedRequest(method="GET", url="/")), "complete", t=0.0)
    loaded = load_cassette(path)
    assert [i.outcome for i in loaded.interactions] == ["complete", "complete"]
    assert loaded.warnings == []


def test_unended_interaction_loads_as_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "open.jsonl"
    writer = CassetteWriter.create(path)
    index = writer.request(RecordedRequest(method="GET", url="/stream"))
    writer.chunk(index, b"data: 1\n\n", t=0.1)
    writer.close()
    loaded = load_cassette(path)
    assert loaded.interactions[0].outcome == "interrupted"
    assert "no end record" in loaded.warnings[0]


def test_torn_last_line_is_dropped_with_a_warning(tmp_path: Path) -> None:
    text = sample().dumps()
    path = tmp_path / "torn.jsonl"
    path.write_text(text.rstrip("\n")[:-7], encoding="utf-8")  # cut inside the last record
    loaded = load_cassette(path)
    assert loaded.interactions[0].outcome == "interrupted"
    assert len(loaded.interactions[0].chunks) == 3
    assert any(":7: last line is incomplete" in w for w in loaded.warnings)


def test_recorder_killed_mid_write_keeps_every_flushed_chunk(tmp_path: Path) -> None:
    path = tmp_path / "killed.jsonl"
    script = textwrap.dedent(
        f"""
        import sys, time
        from recorder.cassette import CassetteWriter, RecordedRequest
        writer = CassetteWriter.create({str(path)!r})
        i = writer.request(RecordedRequest(method="POST", url="/v1/threads/runs"))
        n = 0
        while True:
            writer.chunk(i, b"data: %d\\n\\n" % n, t=n / 1000)
            n += 1
            if n == 50:
                print("ready", flush=True)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    loaded = load_cassette(path)
    chunks = loaded.interactions[0].chunks
    assert len(chunks) >= 50
    assert [c.data for c in chunks] == [b"data: %d\n\n" % n for n in range(len(chunks))]
    assert loaded.interactions[0].outcome == "interrupted"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (
            b'{"kind":"request","i":0,"method":"GET","url":"/"}\n',
            ":1: first line is not a cassette header",
        ),
        (
            b'{"kind":"cassette","format":"sse-recorder-cassette","version":99}\n',
            ":1: cassette format version 99 is newer",
        ),
        (
            b'{"kind":"cassette","format":"sse-recorder-cassette","version":1}\n{"kind":"chunk","i":0,"t":0,"text":"x"}\n',
            ":2: chunk for interaction 0 before its request",
        ),
        (
            b'{"kind":"cassette","format":"sse-recorder-cassette","version":1}\n{not json\n'
            b'{"kind":"request","i":0,"method":"GET","url":"/"}\n',
            ":2: invalid JSON",
        ),
        (
            b'{"kind":"cassette","format":"sse-recorder-cassette","version":1}\n{"kind":"tape"}\n',
            ":2: unknown record kind",
        ),
        (
            b'{"kind":"cassette","format":"sse-recorder-cassette","version":1}\n{"kind":"request","i":0,"method":"GET","url":"/"}\n{"kind":"chunk","i":0,"t":0,"b64":"***"}\n',
            ":3: invalid base64",
        ),
        (
            b'{"kind":"cassette","format":"sse-recorder-cassette","version":1}\n{"kind":"request","i":0,"method":"GET","url":"/"}\n{"kind":"chunk","i":0,"t":-1,"text":"x"}\n',
            ":3: bad record: chunk.t",
        ),
        (b"interactions:\n- request:\n    body: null\n", "vcrpy YAML cassette"),
        (b'{"log": {"entries": []}}', "HAR file"),
    ],
)
def test_bad_cassettes_name_file_line_and_cause(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.json"
    if content.startswith(b'{"kind"') or not content:
        path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(CassetteFormatError) as caught:
        load_cassette(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file() -> None:
    with pytest.raises(CassetteNotFoundError, match="no such file"):
        load_cassette("/nonexistent/cassette.jsonl")


def test_raw_sse_loads_as_one_interaction(tmp_path: Path) -> None:
    path = tmp_path / "body.sse"
    path.write_bytes(b"event: done\ndata: [DONE]\n\n")
    loaded = load_cassette(path)
    assert loaded.raw
    assert loaded.interactions[0].body == b"event: done\ndata: [DONE]\n\n"


def test_format_version_constant() -> None:
    assert FORMAT_VERSION == 1


def test_iter_cassette_paths_recurses_directories() -> None:
    found = list(iter_cassette_paths([CASSETTES]))
    assert len(found) >= 11
    assert found == sorted(found)


def test_save_onto_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CassetteFormatError, match="is a directory"):
        sample().save(tmp_path)
    assert list(tmp_path.iterdir()) == []


def _bad_url_cassette(directory: Path) -> Path:
    source = (CASSETTES / "real" / "dotnet-streaming-run.jsonl").read_text()
    lines = source.splitlines(keepends=True)
    request = json.loads(lines[1])
    request["url"] = "http://[::1"
    lines[1] = json.dumps(request) + "\n"
    path = directory / "bad-url.jsonl"
    path.write_text("".join(lines))
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "{path}"],
        ["diff", "{path}", "{path}"],
        ["redact", "{path}"],
        ["show", "{path}"],
        ["parse", "{path}"],
        ["report", "{path}", "-o", "{dir}/r.html"],
        ["serve", "{path}", "--port", "0"],
    ],
)
def test_a_recorded_url_that_does_not_parse_is_one_line_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    from recorder.cli import main

    path = _bad_url_cassette(tmp_path)
    argv = [arg.format(path=path, dir=tmp_path) for arg in command]
    assert main(argv) == 2  # serve refuses to start, instead of answering 500 to everything
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" not in err[0]
    assert f"{path}" in err[0] and "'http://[::1' does not parse" in err[0]


def test_a_time_that_is_not_finite_is_a_load_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1e999 loaded as infinity, and parse printed "t": Infinity, which is not JSON.
    from recorder.cli import main

    lines = (CASSETTES / "real" / "dotnet-streaming-run.jsonl").read_text().splitlines()
    number = next(n for n, line in enumerate(lines) if '"kind":"chunk"' in line)
    chunk = json.loads(lines[number])
    lines[number] = json.dumps(chunk).replace(f'"t": {json.dumps(chunk["t"])}', '"t": 1e999')
    assert "1e999" in lines[number]
    path = tmp_path / "inf.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert main(["parse", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Infinity" not in captured.err
    assert f"{path}:{number + 1}: bad record: chunk.t: Input should be a finite number" in (
        captured.err
    )
