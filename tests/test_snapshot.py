"""Regression snapshots: the rendering (placeholders, folding, accepted inputs) and the syrupy
extension through pytester (creation, match, mismatch, ``--snapshot-update``)."""

from __future__ import annotations

import json
import re
import shutil
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from recorder.cassette import Cassette, load_cassette
from recorder.testing.snapshot import normalize_for_snapshot, render_snapshot
from recorder.wire.sse import parse_bytes
from tests.conftest import CASSETTES

pytest_plugins = ["pytester"]

RUN = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
TOOL_CALL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"
ANSWER = (
    "Hello! I'm just a program, so I don't have feelings, but I'm here and ready to help you "
    "with whatever you need. How can I assist you today?"
)


def _body(path: Path = RUN) -> bytes:
    return load_cassette(path).interactions[0].body


def _fresh_ids(body: bytes) -> bytes:
    """The same stream as another recording would give it: new ids, later timestamps."""
    text = body.decode()
    for old in sorted(set(re.findall(r'"((?:run|thread|msg|step|asst)_[A-Za-z0-9]{8,})"', text))):
        text = text.replace(old, old[:-6] + "ZZZZZZ")
    text = re.sub(r'("[a-z_]+_at"):(\d+)', lambda m: f"{m[1]}:{int(m[2]) + 86400}", text)
    return text.encode()


def _rechunked_deltas(body: bytes) -> bytes:
    """The same answer cut into twice as many message deltas (what a slower model sends)."""
    out: list[bytes] = []
    events, _ = parse_bytes(body)
    for event in events:
        data = event.data
        if event.event == "thread.message.delta":
            payload = json.loads(data)
            value = payload["delta"]["content"][0]["text"]["value"]
            for piece in (value[: len(value) // 2], value[len(value) // 2 :]):
                payload["delta"]["content"][0]["text"]["value"] = piece
                out.append(f"event: {event.event}\ndata: {json.dumps(payload)}\n\n".encode())
            continue
        out.append(f"event: {event.event}\ndata: {data}\n\n".encode())
    return b"".join(out)


# --------------------------------------------------------------------------- rendering


def test_ids_become_placeholders_that_keep_the_structure() -> None:
    text = render_snapshot(TOOL_CALL)
    assert re.search(r"(run|thread|msg|step|asst|call)_[A-Za-z0-9]{8}", text) is None
    # The submit_tool_outputs continuation (interaction 1) is the same run: same placeholder.
    sections = normalize_for_snapshot(TOOL_CALL)
    assert [title for title, _ in sections] == [
        "interaction 0: POST /v1/threads/runs",
        "interaction 1: POST /v1/threads/<thread_1>/runs/<run_1>/submit_tool_outputs",
    ]
    runs = {
        payload["id"]
        for _, events in sections
        for name, payload in events
        if name.startswith("thread.run.") and "step" not in name and isinstance(payload, dict)
    }
    assert runs == {"<run_1>"}
    assert '"created_at": "<timestamp>"' in text


def test_fresh_ids_and_clocks_render_the_same() -> None:
    assert render_snapshot(_body()) == render_snapshot(_fresh_ids(_body()))


def test_folding_joins_the_deltas_into_the_text() -> None:
    plain = render_snapshot(_body())
    folded = render_snapshot(_body(), fold=True)
    assert plain.count("] thread.message.delta\n") == 33
    assert "[7] thread.message.delta (folded)" in folded
    assert json.dumps(ANSWER) in folded
    assert render_snapshot(_rechunked_deltas(_body()), fold=True) == folded


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda: RUN, id="path"),
        pytest.param(lambda: str(RUN), id="path as str"),
        pytest.param(lambda: _body().decode(), id="str"),
        pytest.param(lambda: load_cassette(RUN), id="cassette"),
        pytest.param(lambda: load_cassette(RUN).interactions[0], id="interaction"),
        pytest.param(lambda: _body(), id="bytes"),
        pytest.param(lambda: parse_bytes(_body())[0], id="parsed events"),
        pytest.param(
            lambda: [{"event": e.event, "data": e.data} for e in parse_bytes(_body())[0]],
            id="dicts",
        ),
    ],
)
def test_every_form_of_a_stream_renders_its_events(given: object) -> None:
    text = render_snapshot(given() if callable(given) else given)
    assert len(re.findall(r"^\[\d+\] ", text, flags=re.MULTILINE)) == 44
    assert "[43] done\n[DONE]\n" in text


def test_events_of_a_client_library_render_by_name_and_model() -> None:
    from openai.types.beta.assistant_stream_event import ThreadRunCreated
    from openai.types.beta.threads.run import Run

    run_event = next(e for e in parse_bytes(_body())[0] if e.event == "thread.run.created")
    # As the library builds them from the wire: without validation (real runs break its types).
    run = Run.construct(**json.loads(run_event.data))
    event = ThreadRunCreated.construct(event="thread.run.created", data=run)
    text = render_snapshot([event])
    assert "[0] thread.run.created" in text and '"id": "<run_1>"' in text


def test_a_multi_interaction_cassette_has_one_section_each() -> None:
    cassette = load_cassette(TOOL_CALL)
    assert render_snapshot(cassette).count("\n## interaction ") == 2
    one = Cassette(interactions=[cassette.interactions[0].model_copy(update={"chunks": []})])
    assert "# 0 events" in render_snapshot(one)
    assert render_snapshot(Cassette.from_sse(b"data: x\n\n")).endswith("[0] message\nx\n")


# --------------------------------------------------------------------------- syrupy, via pytester


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose runs load the plugin (and skip hypothesis's slow plugin)."""
    load = any(e.value == "recorder.plugin" for e in entry_points(group="pytest11"))
    options = ["-p", "no:hypothesispytest"] + ([] if load else ["-p", "recorder.plugin"])
    monkeypatch.setenv("PYTEST_ADDOPTS", " ".join(options))
    return pytester


SNAPSHOT_TEST = """
from pathlib import Path

from recorder.testing.snapshot import SSEFoldedSnapshotExtension


def test_stream(sse_snapshot):
    assert Path("stream.sse") == sse_snapshot


def test_answer(snapshot):
    assert Path("stream.sse") == snapshot.use_extension(SSEFoldedSnapshotExtension)
"""


def test_snapshot_created_matched_and_broken(pytester: pytest.Pytester) -> None:
    stream = pytester.path / "stream.sse"
    stream.write_bytes(_body())
    pytester.makepyfile(test_snap=SNAPSHOT_TEST)
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*Snapshot 'test_stream' does not exist!*"])

    pytester.runpytest("--snapshot-update").assert_outcomes(passed=2)
    stored = pytester.path / "__snapshots__" / "test_snap" / "test_stream.sse.txt"
    folded = pytester.path / "__snapshots__" / "test_snap" / "test_answer.sse-folded.txt"
    assert stored.read_text() == render_snapshot(_body())
    assert folded.read_text() == render_snapshot(_body(), fold=True)

    # Another recording of the same conversation: new ids and clocks, more deltas.
    stream.write_bytes(_fresh_ids(_rechunked_deltas(_body())))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)  # folded matches; event by event does not
    result.stdout.fnmatch_lines(["*test_stream*"])

    # What the stream means changed: the answer's text.
    stream.write_bytes(_body().replace(b"How can I assist", b"How may I help"))
    result = pytester.runpytest("-vv")
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "How can I assist" in output and "How may I help" in output

    pytester.runpytest("--snapshot-update").assert_outcomes(passed=2)
    assert "How may I help" in folded.read_text()
    pytester.runpytest().assert_outcomes(passed=2)


def test_snapshot_of_what_the_openai_client_saw(pytester: pytest.Pytester) -> None:
    target = pytester.path / "fixtures" / "cassettes" / "runs.jsonl"
    target.parent.mkdir(parents=True)
    shutil.copy(RUN, target)
    pytester.makepyfile(
        test_client="""
        import openai
        import pytest

        @pytest.mark.sse_cassette("runs")
        def test_events(sse_base_url, sse_snapshot):
            client = openai.OpenAI(base_url=sse_base_url + "/v1", api_key="sk-test")
            with client.beta.threads.runs.stream(
                thread_id="thread_Wq2ScOs1iInUsyhUUDmN5NZH", assistant_id="asst_x"
            ) as stream:
                events = list(stream)
            assert events == sse_snapshot
        """
    )
    args = ("-W", "ignore::DeprecationWarning")
    pytester.runpytest("--snapshot-update", *args).assert_outcomes(passed=1)
    stored = pytester.path / "__snapshots__" / "test_client" / "test_events.sse.txt"
    text = stored.read_text()
    assert "[0] thread.run.created" in text and '"id": "<run_1>"' in text
    pytester.runpytest(*args).assert_outcomes(passed=1)
