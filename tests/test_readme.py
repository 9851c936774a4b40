"""Every ``sh`` and ``python`` example in README.md runs, as written, so the README cannot drift.

The harness is generic: it extracts whatever fenced blocks README.md holds and runs each one.

- A block right after ``<!-- readme-test: skip REASON -->`` is not run (and counted: keep few);
  nor is the test command after ``<!-- test-command -->`` (``.ci/run`` runs that one).
- A shell block runs command by command (backslash continuations joined) with ``bash`` in a
  fresh workspace: the repository's ``fixtures/`` plus the files the README's examples name
  (``WORKSPACE_FILES``; add one when a new example names a new file), and the virtual
  environment's ``sse-recorder``, ``pytest`` and ``python`` first on ``PATH``. Each command must
  exit 0 without a traceback (``sse-recorder`` and ``pytest`` may answer 1: a stream breaks its
  contract, two differ, a test failed). A file a
  block first names as ``-o FILE`` is one it makes: the workspace does not provide it.
- ``sse-recorder serve`` and ``proxy`` run in the background until the block ends (then they
  must stop cleanly on SIGINT); ``PORT`` in later commands is the last one's port.
- The network is a local stand-in: ``https://api.openai.com`` becomes an upstream on 127.0.0.1
  that answers every request with a recorded Assistants run stream.
- No ``*_API_KEY`` variable is set, except those a block names (``$OPENAI_API_KEY``, or the
  name in a Python block): they get a fake key, which must not reach any file written.
- A Python block with ``def test_`` is a test module: it is recorded once against the stand-in
  (``--sse-record-mode=once --snapshot-update``, with fake keys, as a developer with a key
  would), then run again as written with no key and no network, as CI would. Any other Python
  block runs as a script in the shell workspace.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
import yaml

from recorder.cassette import (
    Cassette,
    Chunk,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
)
from recorder.net.serving import BackgroundServer
from tests.conftest import CASSETTES, FIXTURES, REPO

README = REPO / "README.md"
BIN = Path(sys.executable).parent
UPSTREAM = "https://api.openai.com"
STREAM = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
BODY = load_cassette(STREAM).interactions[0].body
THREAD = "thread_Wq2ScOs1iInUsyhUUDmN5NZH"
RUN = "run_Uy45lNz2P7BpJcqWzQkXl1Bu"
SKIP = re.compile(r"<!--\s*readme-test:\s*skip\b\s*(.*?)\s*-->")
#: Key-like variables a block names: they get a fake value.
KEY_NAME = re.compile(r"\b([A-Z][A-Z0-9_]*_API_KEY)\b")
#: Subcommands that serve until stopped.
SERVERS = re.compile(r"^sse-recorder\s+(serve|proxy)\b")
#: Commands whose exit code 1 is a documented answer, not a failure.
ANSWERS_1 = re.compile(r"^(\w+=\S*\s+)*(sse-recorder|pytest)\s")
#: Few blocks may be skipped: each one is an example nobody checks.
MAX_SKIPPED = 3


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int  # of the opening fence, 1-based
    skip: str | None  # why it is not run

    @property
    def id(self) -> str:
        return f"{self.language}-line{self.line}"


def readme_blocks(text: str) -> list[Block]:
    """The ``sh`` and ``python`` fenced blocks of ``text``, with their skip markers."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[index])
        if not fence:
            index += 1
            continue
        start = index
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        language = fence.group(1)
        index = end + 1
        if language not in ("sh", "python"):
            continue
        before = next((lines[i] for i in range(start - 1, -1, -1) if lines[i].strip()), "")
        skip = None
        if "<!-- test-command -->" in before:
            skip = "the test command (.ci/run runs it in a fresh virtual environment)"
        elif marker := SKIP.search(before):
            skip = marker.group(1) or "no reason given"
        blocks.append(Block(language, "\n".join(lines[start + 1 : end]) + "\n", start + 1, skip))
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def test_the_harness_finds_the_examples_and_few_are_skipped() -> None:
    run = [block for block in BLOCKS if block.skip is None]
    skipped = [f"README.md:{block.line}: {block.skip}" for block in BLOCKS if block.skip]
    assert {block.language for block in run} == {"sh", "python"}
    print("\n".join(["skipped README blocks:", *skipped]))
    assert len(skipped) <= MAX_SKIPPED, skipped
    assert all(not reason.endswith("no reason given") for reason in skipped)


def test_blocks_are_found_with_their_markers() -> None:
    text = (
        "<!-- readme-test: skip needs a GPU -->\n```sh\nnvidia-smi\n```\n\n"
        "<!-- test-command -->\n```sh\npytest\n```\n"
        "```python\nprint(1)\n```\n```\n{not run}\n```\n"
    )
    assert readme_blocks(text) == [
        Block("sh", "nvidia-smi\n", 2, "needs a GPU"),
        Block(
            "sh", "pytest\n", 7, "the test command (.ci/run runs it in a fresh virtual environment)"
        ),
        Block("python", "print(1)\n", 10, None),
    ]


# --------------------------------------------------------------------------- the stand-ins


class StandInUpstream:
    """Answers every request with a recorded Assistants run stream, as the real API would."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = [(b"content-type", b"text/event-stream; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for start in range(0, len(BODY), 1024):
            piece = BODY[start : start + 1024]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with BackgroundServer(StandInUpstream()) as server:
        yield server.url


MY_APP = f'''"""A stand-in for the reader's application: streams a run with the openai library,
configured by the environment (OPENAI_BASE_URL, OPENAI_API_KEY) as real applications are."""
import openai

client = openai.OpenAI(max_retries=0)
with client.beta.threads.runs.stream(thread_id="{THREAD}", assistant_id="asst_x") as stream:
    stream.until_done()
print(stream.get_final_run().status)
'''


def har(path: Path) -> dict[str, Any]:
    """A browser's HAR export holding one recorded stream."""
    interaction = load_cassette(path).interactions[0]
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "readme-test", "version": "1"},
            "entries": [
                {
                    "startedDateTime": "2026-11-24T10:00:00.000Z",
                    "time": 120,
                    "request": {
                        "method": "POST",
                        "url": interaction.request.url,
                        "httpVersion": "HTTP/1.1",
                        "headers": [{"name": "Content-Type", "value": "application/json"}],
                        "postData": {"mimeType": "application/json", "text": "{}"},
                    },
                    "response": {
                        "status": 200,
                        "httpVersion": "HTTP/1.1",
                        "headers": [{"name": "Content-Type", "value": "text/event-stream"}],
                        "content": {
                            "size": len(interaction.body),
                            "mimeType": "text/event-stream",
                            "text": interaction.body.decode("utf-8"),
                        },
                    },
                    "timings": {"send": 0, "wait": 100, "receive": 20},
                }
            ],
        }
    }


def vcr_cassette(path: Path) -> dict[str, Any]:
    """A vcrpy / pytest-recording cassette holding one recorded stream."""
    interaction = load_cassette(path).interactions[0]
    return {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": interaction.request.url,
                    "body": "{}",
                    "headers": {"Content-Type": ["application/json"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["text/event-stream"]},
                    "body": {"string": interaction.body.decode("utf-8")},
                },
            }
        ],
    }


def raw_cassette(body: Path) -> Cassette:
    request = RecordedRequest(method="POST", url=f"{UPSTREAM}/v1/threads/{THREAD}/runs")
    chunk = Chunk(t=0.0, data=body.read_bytes())
    response = RecordedResponse(status=200, headers=[("content-type", "text/event-stream")])
    interaction = Interaction(
        request=request, response=response, chunks=[chunk], outcome="complete", ended_at=0.0
    )
    return Cassette(profile="assistants", interactions=[interaction])


#: A ``toml`` block whose first line is ``# file: NAME`` is written to NAME in the workspace,
#: so an example that uses it runs against the file the README shows.
NAMED_FILE = re.compile(r"^```toml\n# file: (\S+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def make_workspace(root: Path) -> None:
    """The repository's fixtures and the files the README's examples name."""
    for name, body in NAMED_FILE.findall(README.read_text(encoding="utf-8")):
        (root / name).write_text(f"# file: {name}\n{body}", encoding="utf-8")
    (root / "fixtures").mkdir()
    shutil.copytree(CASSETTES, root / "fixtures" / "cassettes")
    for name in ("real-streams", "sse-vectors"):
        (root / "fixtures" / name).symlink_to(FIXTURES / name, target_is_directory=True)
    assistants = FIXTURES / "real-streams" / "assistants"
    # WORKSPACE_FILES: what the examples read.
    shutil.copy(STREAM, root / "run.jsonl")
    shutil.copytree(CASSETTES / "real", root / "cassettes")
    shutil.copy(STREAM, root / "yesterday.jsonl")
    raw_cassette(assistants / "dotnet-streamingrunworks-runs-20250916.sse").save(
        root / "today.jsonl"
    )
    (root / "devtools-export.har").write_text(json.dumps(har(STREAM)), encoding="utf-8")
    (root / "tests" / "cassettes").mkdir(parents=True)
    (root / "tests" / "cassettes" / "test_run.yaml").write_text(
        yaml.safe_dump(vcr_cassette(STREAM)), encoding="utf-8"
    )
    shutil.copy(assistants / "dotnet-streamingrunworks-runs-20251030.sse", root / "body.sse")
    (root / "run.json").write_text('{"assistant_id": "asst_x", "stream": true}', "utf-8")
    (root / "outputs.json").write_text(
        '{"tool_outputs": [{"tool_call_id": "call_x", "output": "sunny"}], "stream": true}',
        "utf-8",
    )
    (root / "my_app.py").write_text(MY_APP, encoding="utf-8")


def environment(code: str, *, keys: bool | None = None) -> tuple[dict[str, str], list[str]]:
    """The environment a block runs in, and the fake keys it holds. ``keys``: True gives every
    key variable a fake key (recording), None only those the block names, False none."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith("_API_KEY") and not name.startswith(("PYTEST_", "COV_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(THREAD=THREAD, RUN=RUN, PYTHONUNBUFFERED="1", NO_COLOR="1")
    env.pop("CI", None)  # the examples run as on a developer's machine
    named = set(KEY_NAME.findall(code))
    if keys:
        named |= {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"}
    elif keys is False:
        named = set()
    fakes = []
    for name in sorted(named):
        env[name] = f"sk-fake-readme-{name.lower().replace('_', '-')}-0123456789abcdef"
        fakes.append(env[name])
    return env, fakes


def assert_no_key_written(root: Path, fakes: list[str]) -> None:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and "fixtures" not in path.parts:
            text = path.read_bytes()
            leaked = [key for key in fakes if key.encode() in text]
            assert not leaked, f"{path.relative_to(root)} holds the key {leaked}"


# --------------------------------------------------------------------------- shell blocks


def commands(code: str) -> list[str]:
    """The block's commands: continuations joined, blank and comment-only lines dropped."""
    joined = re.sub(r"\\\n\s*", "", code)
    return [
        line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def made_by_the_block(code: str) -> set[str]:
    """Files the block first names as ``-o FILE``: it makes them, the workspace must not."""
    made = set()
    for match in re.finditer(r"(?:-o|--output)\s+(\S+)", code):
        name = match.group(1)
        if code.find(name) == match.start(1):
            made.add(name)
    return made


@dataclass
class Server:
    command: str
    process: subprocess.Popen[str]
    url: str
    output: list[str]


def start_server(command: str, root: Path, env: dict[str, str]) -> Server:
    process = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read(stream: IO[str]) -> None:
        for line in stream:
            output.append(line)
            ready.set()
        ready.set()

    assert process.stdout is not None
    threading.Thread(target=read, args=(process.stdout,), daemon=True).start()
    ready.wait(30)  # a deadline, not a pause: set by the first line the server prints
    first = output[0].strip() if output else ""
    assert re.match(r"^https?://127\.0\.0\.1:\d+", first), f"{command}: printed {output!r}"
    return Server(command, process, first.split()[0].rstrip("/"), output)


def stop(server: Server) -> None:
    os.killpg(server.process.pid, signal.SIGINT)
    try:
        code = server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        raise AssertionError(f"{server.command}: did not stop on SIGINT") from None
    text = "".join(server.output)
    assert code in (0, -signal.SIGINT, 128 + signal.SIGINT), (
        f"{server.command}: exit {code}\n{text}"
    )
    assert "Traceback" not in text, text


def run_shell(code: str, root: Path, upstream: str) -> None:
    env, fakes = environment(code)
    for name in made_by_the_block(code):
        target = root / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    servers: list[Server] = []
    try:
        for command in commands(code.replace(UPSTREAM, upstream)):
            if servers:
                command = command.replace("PORT", servers[-1].url.rsplit(":", 1)[1])
            if SERVERS.match(command):
                servers.append(start_server(command, root, env))
                continue
            result = subprocess.run(
                ["bash", "-c", command],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                stdin=subprocess.DEVNULL,
            )
            output = result.stdout[-3000:] + result.stderr[-3000:]
            report = f"$ {command}\nexit {result.returncode}\n{output}"
            # 1 is an answer only from the tools that document it (a contract broken, streams
            # that differ, a test that failed); anything else must succeed.
            assert result.returncode in ((0, 1) if ANSWERS_1.match(command) else (0,)), report
            assert "Traceback" not in result.stderr + result.stdout, report
    finally:
        for server in servers:
            stop(server)
    assert_no_key_written(root, fakes)


# --------------------------------------------------------------------------- python blocks


def run_pytest(root: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            # about two seconds of start-up, and no example uses it
            "-p",
            "no:hypothesispytest",
            "-W",
            "ignore::DeprecationWarning",
            *options,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_test_module(code: str, root: Path, upstream: str) -> None:
    module = root / "test_readme_example.py"
    # 1. Recorded once against the stand-in, with a key, as a developer would.
    module.write_text(code.replace(UPSTREAM, upstream), encoding="utf-8")
    env, fakes = environment(code, keys=True)
    recorded = run_pytest(root, env, "--sse-record-mode=once", "--snapshot-update")
    assert recorded.returncode == 0, recorded.stdout[-4000:] + recorded.stderr[-2000:]
    assert list((root / "fixtures" / "cassettes").rglob("*.jsonl")), "nothing was recorded"
    assert_no_key_written(root, fakes)
    # 2. Replayed as written, as CI would: no key, no network, default mode (none).
    module.write_text(code, encoding="utf-8")
    env, _ = environment(code, keys=False)
    replayed = run_pytest(root, env)
    assert replayed.returncode == 0, replayed.stdout[-4000:] + replayed.stderr[-2000:]


def run_script(code: str, root: Path, upstream: str) -> None:
    env, fakes = environment(code)
    script = root / "readme_example.py"
    script.write_text(code.replace(UPSTREAM, upstream), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert_no_key_written(root, fakes)


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_readme_example(block: Block, tmp_path: Path, upstream: str) -> None:
    if block.skip:
        pytest.skip(f"README.md:{block.line}: {block.skip}")
    if block.language == "python" and re.search(r"^\s*(async\s+)?def test_", block.code, re.M):
        run_test_module(block.code, tmp_path, upstream)
        return
    make_workspace(tmp_path)
    if block.language == "python":
        run_script(block.code, tmp_path, upstream)
    else:
        run_shell(block.code, tmp_path, upstream)
