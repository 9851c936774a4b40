"""The pytest plugin, through pytester: record and replay in every mode, options, markers,
and ``--sse-validate`` over folders (also under xdist and with ``--junitxml``).

The upstream a test records from is a real server on 127.0.0.1: the replay server on a fixture
cassette, run by ``BackgroundServer``. Replaying with that server stopped proves replay never
touches the network.
"""

from __future__ import annotations

import os
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import entry_points
from pathlib import Path

# httpx imports httpcore on first use and keeps a map of its exception classes. Imported here,
# at collection, httpcore is never first imported inside an in-process pytester run, whose end
# drops it from sys.modules: a re-import would make classes that map does not know, and
# httpcore's errors would escape unmapped (test_replay_server failed on a worker after these).
import httpcore  # noqa: F401
import pytest

from recorder.cassette import Chunk, load_cassette
from recorder.net.serving import BackgroundServer
from recorder.replay.server import ReplayServer
from tests.conftest import CASSETTES, shared_path

pytest_plugins = ["pytester"]

RUN = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
FILE_SEARCH = CASSETTES / "real" / "dotnet-file-search.jsonl"
BROKEN = CASSETTES / "real" / "ruby-v2-incomplete-under-completed-event.jsonl"
RUN_PATH = "/v1/threads/thread_Wq2ScOs1iInUsyhUUDmN5NZH/runs"
SEARCH_PATH = "/v1/threads/thread_JBW8iwCBHFQ5uPCfxzR9TlUf/runs"
#: A port nothing listens on once the upstream is stopped: replay must not need it.
MODES = ["once", "new_episodes", "all"]


def _entry_point_installed() -> bool:
    return any(entry.value == "recorder.plugin" for entry in entry_points(group="pytest11"))


#: Until the ``pytest11`` entry point is installed, load the plugin by name. Hypothesis's
#: plugin is left out: it costs about two seconds of CPU per in-process pytest run.
ADDOPTS = ["-p", "no:hypothesispytest"] + (
    [] if _entry_point_installed() else ["-p", "recorder.plugin"]
)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose runs load the plugin (in-process and in xdist workers alike)."""
    monkeypatch.setenv("PYTEST_ADDOPTS", " ".join(ADDOPTS))
    return pytester


@pytest.fixture
def upstream() -> Iterator[BackgroundServer]:
    """A real upstream on 127.0.0.1 answering the two recorded runs, instantly."""
    with BackgroundServer(ReplayServer([RUN, FILE_SEARCH], instant=True)) as server:
        yield server


def _client_test(url: str, *, marker: str = "", paths: tuple[str, ...] = (RUN_PATH,)) -> str:
    """A test module whose ``test_run`` streams a POST to each path through ``sse_client``."""
    lines = ["import pytest", "", marker, "def test_run(sse_client, sse_cassette):"]
    for path in paths:
        lines += [
            f'    with sse_client.stream("POST", "{url}{path}", json={{"stream": True}}) as r:',
            "        assert r.status_code == 200",
            '        assert b"event: done" in r.read()',
        ]
    return "\n".join(lines) + "\n"


def _cassette(pytester: pytest.Pytester, name: str = "test_run") -> Path:
    return pytester.path / "fixtures" / "cassettes" / "test_module" / f"{name}.jsonl"


# --------------------------------------------------------------------------- record and replay


@pytest.mark.parametrize("mode", MODES)
def test_record_then_replay_without_the_network(
    pytester: pytest.Pytester, upstream: BackgroundServer, mode: str
) -> None:
    pytester.makepyfile(test_module=_client_test(upstream.url))
    pytester.runpytest(f"--sse-record-mode={mode}").assert_outcomes(passed=1)
    cassette = load_cassette(_cassette(pytester))
    assert len(cassette.interactions) == 1
    assert cassette.interactions[0].body == load_cassette(RUN).interactions[0].body
    upstream.stop()
    # Default mode none: replay only, and the upstream is gone.
    pytester.runpytest().assert_outcomes(passed=1)
    if mode != "all":
        pytester.runpytest(f"--sse-record-mode={mode}").assert_outcomes(passed=1)


def test_mode_all_records_again_and_replaces(
    pytester: pytest.Pytester, upstream: BackgroundServer
) -> None:
    pytester.makepyfile(test_module=_client_test(upstream.url))
    pytester.runpytest("--sse-record-mode=all").assert_outcomes(passed=1)
    first = _cassette(pytester).read_bytes()
    pytester.runpytest("--sse-record-mode=all").assert_outcomes(passed=1)
    second = _cassette(pytester).read_bytes()
    assert second != first  # recorded again (new arrival times), not appended:
    assert len(load_cassette(_cassette(pytester)).interactions) == 1
    upstream.stop()
    result = pytester.runpytest("--sse-record-mode=all")
    result.assert_outcomes(failed=1)  # recording needs the upstream, which is gone
    # The failed re-recording did not destroy the good cassette; it is kept beside it.
    assert _cassette(pytester).read_bytes() == second
    failed = load_cassette(_cassette(pytester).with_name("test_run.jsonl.failed"))
    assert failed.interactions[0].outcome == "error"
    assert not list(_cassette(pytester).parent.glob("*.recording"))


def test_new_episodes_replays_known_and_appends_new(
    pytester: pytest.Pytester, upstream: BackgroundServer
) -> None:
    pytester.makepyfile(test_module=_client_test(upstream.url))
    pytester.runpytest("--sse-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(test_module=_client_test(upstream.url, paths=(RUN_PATH, SEARCH_PATH)))
    # none: the new request has no recording
    pytester.runpytest().assert_outcomes(failed=1, errors=1)
    pytester.runpytest("--sse-record-mode=new_episodes").assert_outcomes(passed=1)
    cassette = load_cassette(_cassette(pytester))
    assert [i.request.path for i in cassette.interactions] == [RUN_PATH, SEARCH_PATH]
    upstream.stop()
    pytester.runpytest().assert_outcomes(passed=1)


def test_once_with_a_cassette_replays_even_when_new_requests_come(
    pytester: pytest.Pytester, upstream: BackgroundServer
) -> None:
    pytester.makepyfile(test_module=_client_test(upstream.url))
    pytester.runpytest("--sse-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(test_module=_client_test(upstream.url, paths=(RUN_PATH, SEARCH_PATH)))
    result = pytester.runpytest("--sse-record-mode=once")
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*1 request(s) had no recording in *test_run.jsonl (answered 404; record mode once);"
            " to record them: pytest --sse-record-mode=new_episodes test_module.py::test_run",
            f"*no recorded interaction matches POST http://127.0.0.1:*{SEARCH_PATH}*",
        ]
    )
    assert len(load_cassette(_cassette(pytester)).interactions) == 1


def test_missing_cassette_says_how_to_record_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_module=_client_test("http://127.0.0.1:9"))
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_module/test_run.jsonl does not exist and the record mode is 'none' (replay "
            "only); record it once with: pytest --sse-record-mode=once test_module.py::test_run"
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()


ASYNC_TEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_run(sse_async_client):
    async with sse_async_client as client:
        for path in {paths!r}:
            async with client.stream("POST", "{url}" + path) as response:
                body = await response.aread()
            assert body.endswith(b"data: [DONE]\\n\\n")
"""


def test_async_client_records_and_replays(
    pytester: pytest.Pytester, upstream: BackgroundServer
) -> None:
    pytester.makepyfile(test_module=ASYNC_TEST.format(url=upstream.url, paths=[RUN_PATH]))
    pytester.runpytest("--sse-record-mode=once").assert_outcomes(passed=1)
    assert load_cassette(_cassette(pytester)).interactions[0].outcome == "complete"
    both = [RUN_PATH, SEARCH_PATH]
    pytester.makepyfile(test_module=ASYNC_TEST.format(url=upstream.url, paths=both))
    pytester.runpytest("--sse-record-mode=new_episodes").assert_outcomes(passed=1)
    assert [i.request.path for i in load_cassette(_cassette(pytester)).interactions] == both
    upstream.stop()
    pytester.runpytest().assert_outcomes(passed=1)


OPENAI_TEST = """
import openai
import pytest

@pytest.mark.sse_cassette("runs", upstream="{upstream}")
def test_run(sse_base_url):
    client = openai.OpenAI(base_url=sse_base_url + "/v1", api_key="sk-test", max_retries=0)
    for thread in {threads!r}:
        with client.beta.threads.runs.stream(thread_id=thread, assistant_id="asst_x") as stream:
            stream.until_done()
            assert stream.get_final_run().status == "completed"
"""
RUN_THREAD = RUN_PATH.split("/")[3]
SEARCH_THREAD = SEARCH_PATH.split("/")[3]


def test_openai_library_records_and_replays_through_the_base_url(
    pytester: pytest.Pytester, upstream: BackgroundServer
) -> None:
    cassette = pytester.path / "fixtures" / "cassettes" / "runs.jsonl"
    pytester.makepyfile(test_module=OPENAI_TEST.format(upstream=upstream.url, threads=[RUN_THREAD]))
    pytester.runpytest(
        "--sse-record-mode=once", "-W", "ignore::DeprecationWarning"
    ).assert_outcomes(passed=1)
    recorded = load_cassette(cassette)
    assert [i.request.path for i in recorded.interactions] == [RUN_PATH]
    assert recorded.interactions[0].body == load_cassette(RUN).interactions[0].body
    assert recorded.interactions[0].request.header("authorization") != "Bearer sk-test"
    # new_episodes through the server: the known run replays, the new one is recorded.
    pytester.makepyfile(
        test_module=OPENAI_TEST.format(upstream=upstream.url, threads=[RUN_THREAD, SEARCH_THREAD])
    )
    pytester.runpytest(
        "--sse-record-mode=new_episodes", "-W", "ignore::DeprecationWarning"
    ).assert_outcomes(passed=1)
    assert [i.request.path for i in load_cassette(cassette).interactions] == [RUN_PATH, SEARCH_PATH]
    upstream.stop()
    pytester.runpytest("-W", "ignore::DeprecationWarning").assert_outcomes(passed=1)


GATEWAY_TEST = """
import httpx
import openai
import pytest

@pytest.mark.sse_cassette("gateway", upstream="{upstream}")
def test_chat(sse_base_url, sse_client):
    request = {{"model": "m", "messages": [{{"role": "user", "content": "hi"}}]}}
    client = openai.OpenAI(base_url=sse_base_url + "/v1", api_key="sk-test", max_retries=0)
    with client.chat.completions.with_streaming_response.create(**request, stream=True) as raw:
        assert b"".join(raw.iter_bytes()) == {body!r}
    # the in-process client (base URL: the upstream, path included) replays the same bytes
    assert sse_client.post("/v1/chat/completions", json=request).content == {body!r}
"""


def test_an_upstream_under_a_path_records_and_replays(pytester: pytest.Pytester) -> None:
    """Issue 15.1: ``upstream=`` with a base path (a gateway) records through the proxy and
    the transport, and both replay (the proxy's cassette used to answer 404 in replay)."""
    from tests.upstream import Script, Upstream, split_events

    body = shared_path(
        "real-streams", "chat", "fantasy-TestAzureCommon-azure-gpt-5-mini-simple-streaming.sse"
    ).read_bytes()
    prefix = "/gateway/acct/openai"
    app = Upstream({("POST", prefix + "/v1/chat/completions"): Script(split_events(body), gap=0)})
    with app.serve() as server:
        module = GATEWAY_TEST.format(upstream=server.url + prefix, body=body)
        pytester.makepyfile(test_module=module)
        pytester.runpytest(
            "--sse-record-mode=once", "-W", "ignore::DeprecationWarning"
        ).assert_outcomes(passed=1)
    cassette = load_cassette(pytester.path / "fixtures" / "cassettes" / "gateway.jsonl")
    requests = [interaction.request for interaction in cassette.interactions]
    assert [r.client_path for r in requests] == ["/v1/chat/completions"] * 2
    assert [r.path for r in requests] == [prefix + "/v1/chat/completions"] * 2
    pytester.runpytest("-W", "ignore::DeprecationWarning").assert_outcomes(passed=1)


def test_recording_through_the_base_url_needs_an_upstream(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_module="def test_run(sse_base_url): pass")
    result = pytester.runpytest("--sse-record-mode=once")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*recording through a server needs the real server's URL*"])


def test_openai_library_on_the_in_process_transport(pytester: pytest.Pytester) -> None:
    target = pytester.path / "fixtures" / "cassettes" / "runs.jsonl"
    target.parent.mkdir(parents=True)
    shutil.copy(RUN, target)
    pytester.makepyfile(
        test_module=f"""
        import httpx2
        import openai
        import pytest

        @pytest.mark.sse_cassette("runs")
        def test_run(sse_transport):
            http = httpx2.Client(transport=sse_transport)
            client = openai.OpenAI(api_key="sk-test", http_client=http, max_retries=0)
            with client.beta.threads.runs.stream(
                thread_id="{RUN_THREAD}", assistant_id="asst_x"
            ) as stream:
                stream.until_done()
                assert stream.get_final_messages()[0].content[0].text.value.startswith("Hello!")
        """
    )
    pytester.runpytest("-W", "ignore::DeprecationWarning").assert_outcomes(passed=1)


def test_match_on_decides_what_counts_as_recorded(pytester: pytest.Pytester) -> None:
    target = pytester.path / "fixtures" / "cassettes" / "runs.jsonl"
    target.parent.mkdir(parents=True)
    shutil.copy(CASSETTES / "official" / "official-create-run.jsonl", target)
    pytester.makepyfile(
        test_module="""
        import pytest

        @pytest.mark.sse_cassette("runs", match_on="method,path,body:assistant_id")
        @pytest.mark.parametrize("assistant", ["asst_123", "asst_other"])
        def test_run(sse_client, assistant):
            url = "https://api.openai.com/v1/threads/thread_123/runs"
            response = sse_client.post(url, json={"assistant_id": assistant, "stream": True})
            assert response.status_code == 200
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*match on method,path,body:assistant_id*asst_other*"])


def test_a_recorded_404_is_replayed_not_counted_as_a_miss(tmp_path: Path) -> None:
    from recorder.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
    from recorder.testing.modes import CassetteSession, RecordMode

    # A 404 recorded from an sse-recorder replay server: the same body as a miss.
    body = (
        ReplayServer(CASSETTES / "real")
        .replayer.respond(RecordedRequest(method="GET", url="http://x/v1/nothing"))
        .body
    )
    recorded = Interaction(
        request=RecordedRequest(method="GET", url="http://x/v1/nothing"),
        response=RecordedResponse(status=404, headers=[("content-type", "application/json")]),
        chunks=[Chunk(t=0.0, data=body)],
        outcome="complete",
    )
    Cassette(interactions=[recorded]).save(tmp_path / "c.jsonl")
    session = CassetteSession(path=tmp_path / "c.jsonl", mode=RecordMode.NONE)
    with session.client() as client:
        assert client.get("http://x/v1/nothing").content == body
        assert client.get("http://x/v1/other").status_code == 404
    with pytest.raises(Exception, match=r"1 request\(s\) had no recording") as caught:
        session.finish()
    assert "matches GET http://x/v1/other" in str(caught.value)
    assert "matches GET http://x/v1/nothing" not in str(caught.value)


def test_new_episodes_async_takes_a_streamed_upload() -> None:
    import asyncio

    import httpx

    from recorder.replay.transport import AsyncReplayTransport
    from recorder.testing.modes import AsyncEpisodeTransport

    replay = AsyncReplayTransport(RUN, instant=True)
    episodes = AsyncEpisodeTransport(replay, replay, replay.replayer.queue.knows)

    async def upload() -> AsyncIterator[bytes]:
        yield b'{"assistant_id":'
        yield b'"asst_1"}'

    async def main() -> bytes:
        async with httpx.AsyncClient(transport=episodes) as client:
            url = load_cassette(RUN).interactions[0].request.url
            response = await client.post(url, content=upload())
            return response.content

    assert asyncio.run(main()) == load_cassette(RUN).interactions[0].body


def test_a_broken_stream_is_caught_when_recorded(pytester: pytest.Pytester) -> None:
    path = "/v1/threads/thread_SGytyoGQFzrGUyBp3OSSlKcy/runs"
    with BackgroundServer(ReplayServer(BROKEN, instant=True)) as server:
        pytester.makepyfile(test_module=_client_test(server.url, paths=(path,)))
        result = pytester.runpytest("--sse-record-mode=once")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "the stream just recorded in *test_run.jsonl breaks the assistants contract "
            "(1 error(s)); the cassette is kept for inspection:",
            "E F4 [SPEC] interaction 0, event 24, byte 8112 (line 73), $.status: "
            "thread.run.completed carries status 'incomplete', not 'completed'",
        ]
    )
    assert _cassette(pytester).is_file()


# --------------------------------------------------------------------------- naming and precedence


def test_cassette_names_follow_the_test_and_are_parametrize_safe(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_names="""
        import pytest

        @pytest.mark.parametrize("value", ["a/b", "c d"])
        def test_param(sse_cassette, value):
            print("PATH", sse_cassette.path.relative_to(sse_cassette.path.parents[2]))

        class TestGroup:
            def test_method(self, sse_cassette):
                print("PATH", sse_cassette.path.relative_to(sse_cassette.path.parents[2]))

        @pytest.mark.sse_cassette("shared/run")
        def test_named(sse_cassette):
            print("PATH", sse_cassette.path.relative_to(sse_cassette.path.parents[2]))
        """
    )
    result = pytester.runpytest("-s", "--sse-record-mode=once")
    result.assert_outcomes(passed=4)
    output = result.stdout.str()  # not fnmatch: "[a_b]" would be a character class
    for name in (
        "test_names/test_param[a_b].jsonl",
        "test_names/test_param[c_d].jsonl",
        "test_names/TestGroup.test_method.jsonl",
        "shared/run.jsonl",
    ):
        assert f"PATH cassettes/{name}" in output


@pytest.mark.parametrize(
    ("option", "marker", "config", "expected"),
    [
        (None, None, None, "none"),
        (None, None, "all", "all"),
        (None, "new_episodes", "all", "new_episodes"),
        ("once", "new_episodes", "all", "once"),
    ],
)
def test_mode_precedence_command_line_then_marker_then_config(
    pytester: pytest.Pytester,
    option: str | None,
    marker: str | None,
    config: str | None,
    expected: str,
) -> None:
    target = pytester.path / "fixtures" / "cassettes" / "test_precedence" / "test_mode.jsonl"
    target.parent.mkdir(parents=True)
    shutil.copy(RUN, target)
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture
        def sse_config():
            return {{"record_mode": {config!r}}} if {config!r} else {{}}
        """
    )
    decorator = f"@pytest.mark.sse_cassette(mode={marker!r})" if marker else ""
    pytester.makepyfile(
        test_precedence=f"""
        import pytest

        {decorator}
        def test_mode(sse_cassette):
            assert sse_cassette.mode == {expected!r}
        """
    )
    args = [f"--sse-record-mode={option}"] if option else []
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_cassette_dir_option_and_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsse_cassette_dir = recordings\n")
    pytester.makepyfile(
        test_dirs="""
        def test_where(sse_cassette, request):
            root = request.config.rootpath
            print("DIR", sse_cassette.path.parent.parent.relative_to(root))
        """
    )
    pytester.runpytest("-s", "--sse-record-mode=once").stdout.fnmatch_lines(["*DIR recordings"])
    result = pytester.runpytest("-s", "--sse-record-mode=once", "--sse-cassette-dir=elsewhere")
    result.stdout.fnmatch_lines(["*DIR elsewhere"])


# --------------------------------------------------------------------------- usage errors


def test_bad_record_mode_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest("--sse-record-mode=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*--sse-record-mode: unknown record mode 'sometimes'; "
            "allowed: none, once, new_episodes, all*"
        ]
    )


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (
            'sse_cassette(mdoe="once")',
            "*unknown argument(s) mdoe; allowed: name (positional), mode, upstream, profile, "
            "strict, validate, match_on*",
        ),
        (
            'sse_cassette(mode="twice")',
            "*unknown record mode 'twice'; allowed: none, once, new_episodes, all*",
        ),
        ('sse_cassette("a", "b")', "*takes at most one positional argument*"),
    ],
)
def test_bad_marker_argument_is_a_usage_error(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(
        test_marker=f"""
        import pytest

        @pytest.mark.{marker}
        def test_x(sse_cassette):
            pass
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_marker.py::test_x: @pytest.mark.sse_cassette" + message])


def test_bad_config_fixture_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def sse_config():
            return {"record_mode": "always", "cassete_dir": "x"}
        """
    )
    pytester.makepyfile(test_config="def test_x(sse_cassette): pass")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*sse_config: unknown key(s) cassete_dir; allowed: record_mode, cassette_dir*"]
    )


def test_plugin_import_does_not_load_heavy_modules(pytester: pytest.Pytester) -> None:
    result = pytester.run(
        sys.executable,
        "-c",
        "import sys, recorder.plugin; "
        "print(sorted(m for m in ('httpx', 'syrupy', 'recorder.testing.modes', "
        "'recorder.validate.runner') "
        "if m in sys.modules))",
    )
    assert result.stdout.lines[-1] == "[]"


# --------------------------------------------------------------------------- --sse-validate


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two good streams (a cassette, a raw body) and three bad ones, plus a file to ignore."""
    streams = tmp_path / "streams"
    (streams / "nested").mkdir(parents=True)
    shutil.copy(RUN, streams / "good.jsonl")
    (streams / "nested" / "good.sse").write_bytes(load_cassette(RUN).interactions[0].body)
    shutil.copy(BROKEN, streams / "nested" / "incomplete.jsonl")
    shutil.copy(CASSETTES / "official" / "official-create-run.jsonl", streams / "official.jsonl")
    (streams / "truncated.sse").write_bytes(
        load_cassette(RUN).interactions[0].body.rsplit(b"event: done", 1)[0]
    )
    (streams / "notes.txt").write_text("not a stream")
    return streams


def test_validate_collects_one_item_per_file_named_by_path(
    pytester: pytest.Pytester, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # room for the short summary's reason
    result = pytester.runpytest("--sse-validate", str(folder), "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines_random(
        [
            "*streams/good.jsonl::contract PASSED*",
            "*streams/nested/good.sse::contract PASSED*",
            "*streams/nested/incomplete.jsonl::contract FAILED*",
            "*streams/official.jsonl::contract FAILED*",
            "*streams/truncated.sse::contract FAILED*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["FAILED *incomplete.jsonl::contract - breaks the assistants contract: 1 error(s)"]
    )
    output = result.stdout.str()
    assert "Traceback" not in output and "notes.txt" not in output


def test_validate_does_not_run_the_default_tests(pytester: pytest.Pytester, folder: Path) -> None:
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    pytester.mkdir("tests").joinpath("test_other.py").write_text("def test_x(): pass\n")
    pytester.runpytest("--sse-validate", str(folder)).assert_outcomes(passed=2, failed=3)
    pytester.runpytest("tests", "--sse-validate", str(folder)).assert_outcomes(passed=3, failed=3)


def test_validate_under_xdist(pytester: pytest.Pytester, folder: Path) -> None:
    result = pytester.runpytest("-n", "2", "--sse-validate", str(folder))
    result.assert_outcomes(passed=2, failed=3)


def test_validate_writes_junit_xml(pytester: pytest.Pytester, folder: Path) -> None:
    report = pytester.path / "report.xml"
    pytester.runpytest("--sse-validate", str(folder), f"--junitxml={report}")
    cases = ET.parse(report).getroot().iter("testcase")
    outcome = {
        case.get("classname", "") + "::" + case.get("name", ""): case.find("failure")
        for case in cases
    }
    assert len(outcome) == 5
    failures = {name: node for name, node in outcome.items() if node is not None}
    assert len(failures) == 3
    incomplete = next(node for name, node in failures.items() if "incomplete" in name)
    assert "breaks the assistants contract" in (incomplete.text or "")


def test_validate_missing_path_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--sse-validate", "no/such/dir")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--sse-validate: no such file or directory: no/such/dir*"])


def test_validate_reports_an_unreadable_file_in_one_line(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    bad = tmp_path / "corrupt.jsonl"
    bad.write_text('{"kind":"cassette","format":"sse-recorder-cassette","version":1}\n{oops\n')
    result = pytester.runpytest("--sse-validate", str(bad))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*corrupt.jsonl:2: invalid JSON*"])


KEYLESS_TEST = """
import openai
import pytest

@pytest.mark.sse_cassette(upstream="{upstream}")
def test_run(sse_base_url):
    client = openai.OpenAI(base_url=sse_base_url + "/v1", max_retries=0)  # the key from the env
    with client.beta.threads.runs.stream(thread_id="{thread}", assistant_id="a") as stream:
        stream.until_done()
"""


def test_replay_needs_no_api_key_and_recording_sees_the_real_environment(
    pytester: pytest.Pytester, upstream: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's plugin example in CI: recorded with a key, replayed without one."""
    pytester.makepyfile(test_module=KEYLESS_TEST.format(upstream=upstream.url, thread=RUN_THREAD))
    options = ["-W", "ignore::DeprecationWarning"]
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    # Recording without a key fails as it would against the real API: nothing is made up.
    pytester.runpytest("--sse-record-mode=once", *options).assert_outcomes(failed=1)
    assert not _cassette(pytester).exists()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-recording-key")
    pytester.runpytest("--sse-record-mode=once", *options).assert_outcomes(passed=1)
    assert "sk-fake-recording-key" not in _cassette(pytester).read_text("utf-8")
    monkeypatch.delenv("OPENAI_API_KEY")
    upstream.stop()
    pytester.runpytest(*options).assert_outcomes(passed=1)
    assert "OPENAI_API_KEY" not in os.environ  # the placeholder was taken back
