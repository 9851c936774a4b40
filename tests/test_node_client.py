"""Clients in other languages: the official ``openai`` library for Node and curl, against the
replay server and through the recording proxy, with the byte-exact checks the Python clients
get in tests/test_real_clients.py.

The Node library is installed from the npm registry (``npm install openai@6``) once into
``.cache/node-openai/`` (ignored by git) and reused by later runs. Without ``node``/``npm``
the Node tests are skipped with a hint; under ``CI`` they fail instead.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recorder.cassette import CassetteFormatError, load_cassette
from recorder.net.serving import BackgroundServer
from recorder.record.proxy import SERVER_OPTIONS, RecordingProxy
from recorder.replay.server import ReplayServer
from recorder.wire.sse import parse_bytes
from tests.conftest import CASSETTES, REPO
from tests.upstream import Script, Upstream, module_upstream

STREAMING = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
THREAD = "thread_Wq2ScOs1iInUsyhUUDmN5NZH"
ASSISTANT = "asst_0VLdyfoSMFV4tQpzWUT2ywhg"
RUNS = f"/v1/threads/{THREAD}/runs"
BODY = load_cassette(STREAMING).interactions[0].body
SCRIPT = Script.from_cassette(STREAMING, gap=0.001)
NODE_CLIENT = REPO / "tests" / "clients" / "openai_node.mjs"
#: The major version is pinned: the Assistants helpers the client uses may go in a later one.
NODE_PACKAGE = "openai@6"
NODE_CACHE = REPO / ".cache" / "node-openai"

upstream = module_upstream({("POST", RUNS): SCRIPT})


def missing(tool: str, hint: str) -> None:
    """Skip (fail under CI, where every client must be proven) when ``tool`` is absent."""
    message = f"{tool} is not installed: {hint}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def node_openai() -> Path:
    """The directory whose ``node_modules`` holds the openai library for Node (installed once,
    then cached; concurrent installs by xdist workers each finish, the first rename wins)."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            missing(tool, "install Node.js 18+ with npm to test the official Node client")
    if (NODE_CACHE / "node_modules" / "openai" / "package.json").is_file():
        return NODE_CACHE
    NODE_CACHE.parent.mkdir(parents=True, exist_ok=True)
    staging = NODE_CACHE.with_name(f"{NODE_CACHE.name}.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    install = subprocess.run(
        ["npm", "install", "--prefix", str(staging), "--no-audit", "--no-fund", NODE_PACKAGE],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if install.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"npm install {NODE_PACKAGE} failed: {install.stderr.strip()[-500:]}")
    try:
        staging.rename(NODE_CACHE)
    except OSError:  # another worker installed it first
        shutil.rmtree(staging, ignore_errors=True)
    return NODE_CACHE


def run_node(prefix: Path, base_url: str) -> dict[str, Any]:
    result = subprocess.run(
        ["node", str(NODE_CLIENT), str(prefix), base_url, THREAD, ASSISTANT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout)
    return output


def expected_events() -> list[dict[str, Any]]:
    """What the library's Stream yields: every event but the ``[DONE]`` sentinel it consumes."""
    return [
        {"event": event.event, "data": json.loads(event.data)}
        for event in parse_bytes(BODY)[0]
        if event.data != "[DONE]"
    ]


def final_text() -> str:
    completed = [
        json.loads(e.data) for e in parse_bytes(BODY)[0] if e.event == "thread.message.completed"
    ]
    return "".join(part["text"]["value"] for part in completed[-1]["content"])


def assert_node_saw_the_recording(output: dict[str, Any]) -> None:
    assert output["status"] == 200
    assert base64.b64decode(output["raw"]) == BODY
    assert output["events"] == expected_events()
    assert output["text"] == final_text()
    assert output["run_status"] == "completed"


def recorded_bodies(directory: Path, count: int, timeout: float = 10.0) -> list[bytes]:
    """The bodies of the ``count`` cassettes the proxy writes, polled until each has ended."""
    deadline = time.monotonic() + timeout
    while True:
        names = sorted(directory.iterdir())
        try:
            interactions = [load_cassette(path).interactions[0] for path in names]
        except (CassetteFormatError, IndexError):
            interactions = []  # a cassette not written yet
        if len(interactions) == count and all(i.outcome != "interrupted" for i in interactions):
            return [interaction.body for interaction in interactions]
        assert time.monotonic() < deadline, f"{directory}: {len(names)} cassette(s) unfinished"
        time.sleep(0.01)


@pytest.fixture(scope="module", params=["", "rechunk=7"])
def replay_server(request: pytest.FixtureRequest) -> Iterator[BackgroundServer]:
    with BackgroundServer(ReplayServer([STREAMING], instant=True, faults=request.param)) as server:
        yield server


def test_node_openai_against_the_replay_server(
    node_openai: Path, replay_server: BackgroundServer
) -> None:
    assert_node_saw_the_recording(run_node(node_openai, replay_server.url + "/v1"))


def test_node_openai_through_the_recording_proxy(
    node_openai: Path, upstream: tuple[str, Upstream], tmp_path: Path
) -> None:
    url, _ = upstream
    app = RecordingProxy(url, tmp_path)
    with BackgroundServer(app, **SERVER_OPTIONS) as proxy:  # type: ignore[arg-type]
        output = run_node(node_openai, proxy.url + "/v1")
        # Three requests: the raw body, the Stream's events, the helper's run.
        bodies = recorded_bodies(tmp_path, 3)
    assert_node_saw_the_recording(output)
    assert bodies == [BODY] * 3


def curl() -> str:
    found = shutil.which("curl")
    if found is None:
        missing("curl", "install curl to test it as a client")
    assert found is not None
    return found


def test_curl_through_the_recording_proxy(upstream: tuple[str, Upstream], tmp_path: Path) -> None:
    url, _ = upstream
    app = RecordingProxy(url, tmp_path)
    with BackgroundServer(app, **SERVER_OPTIONS) as proxy:  # type: ignore[arg-type]
        result = subprocess.run(
            [curl(), "-sSN", "-X", "POST", proxy.url + RUNS], capture_output=True, timeout=30
        )
        bodies = recorded_bodies(tmp_path, 1)
    assert result.returncode == 0, result.stderr
    assert result.stdout == BODY
    assert bodies == [BODY]


def test_curl_against_the_replay_server_with_faults_rechunked(
    replay_server: BackgroundServer,
) -> None:
    result = subprocess.run(
        [curl(), "-sSN", "-X", "POST", replay_server.url + RUNS], capture_output=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == BODY
