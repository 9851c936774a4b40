"""Peak memory of the commands that read or write large inputs, each in its own process.

``python benchmarks/bench_memory.py [--quick] [--tree DIR]``. Measured with ``os.wait4`` on the
command's own process (its peak resident set size, ``ru_maxrss``), so nothing of this script
counts:

- ``record`` of a 300 MB event stream (``--quick``: 30 MB) served by a local uvicorn app in
  64 KiB chunks, body not printed (``-q``); the peer is the size of the stream itself;
- ``import`` of a vcrpy YAML alias bomb (an anchor of 100 bytes, then six levels of ten
  aliases each: 100 MB once expanded, from a file of well under 1 KB), the peer being
  ``import`` of an ordinary vcrpy cassette of 1 MB.

``--tree DIR`` runs the commands from another source tree (a ``git archive`` of an older
commit), to measure before and after a change in the same run conditions.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from recorder.net.serving import BackgroundServer  # noqa: E402

CHUNK = 64 * 1024
EVENT = b"event: thread.message.delta\ndata: " + b'{"delta": "' + b"x" * 958 + b'"}\n\n'


class BigStream:
    """``/stream?mb=N``: N MB of 1 KiB events in 64 KiB chunks, as fast as the socket takes."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        megabytes = int(scope["query_string"].decode().split("=")[1])
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        chunk = EVENT * (CHUNK // len(EVENT))
        for _ in range(megabytes * 1024 * 1024 // len(chunk)):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def peak(command: list[str], tree: Path) -> tuple[float, float, int]:
    """Run ``command`` (an ``sse-recorder`` command line) from ``tree``: (peak MB, seconds,
    exit code)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "recorder", *command],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.stderr is not None
    message = process.stderr.read().decode().strip().splitlines()
    if message:
        print(f"<!-- {' '.join(command[:1])}: {message[-1][:160]} -->")
    return usage.ru_maxrss / 1024, seconds, process.returncode


def bomb() -> str:
    lines = [f'x0: &x0 "{"A" * 100}"']
    for n in range(1, 7):
        lines.append(f"x{n}: &x{n} [" + ", ".join([f"*x{n - 1}"] * 10) + "]")
    return "\n".join(
        [
            *lines,
            "interactions:",
            "- request: {method: POST, uri: 'http://h/v1/threads/runs', headers: {h: [*x6]}}",
            "  response:",
            "    status: {code: 200}",
            "    headers: {Content-Type: [text/event-stream]}",
            '    body: {string: "data: 1\\n\\n"}',
        ]
    )


def ordinary(size: int) -> str:
    body = (EVENT.decode() * (size // len(EVENT))).replace("\n", "\\n").replace('"', '\\"')
    return (
        "interactions:\n- request: {method: POST, uri: 'http://h/v1/threads/runs', "
        "headers: {}}\n  response:\n    status: {code: 200}\n"
        f'    headers: {{Content-Type: [text/event-stream]}}\n    body: {{string: "{body}"}}\n'
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tree", type=Path, default=REPO, help="source tree to run")
    args = parser.parse_args()
    megabytes = 30 if args.quick else 300
    tree = args.tree.resolve()
    print(f"## Peak memory (`python benchmarks/run.py memory`), tree {tree}\n")
    print("| command | input | peak RSS MB | seconds | exit |")
    print("| --- | --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as directory, BackgroundServer(BigStream()) as server:
        folder = Path(directory)
        output = folder / "big.jsonl"
        mb, seconds, code = peak(
            ["record", f"{server.url}/stream?mb={megabytes}", "-o", str(output), "-q"], tree
        )
        written = output.stat().st_size / 1e6 if output.exists() else 0.0
        print(
            f"| `record -q` | {megabytes} MB stream ({written:.0f} MB cassette) "
            f"| {mb:.0f} | {seconds:.1f} | {code} |"
        )
        (folder / "bomb.yaml").write_text(bomb())
        size = (folder / "bomb.yaml").stat().st_size
        mb, seconds, code = peak(
            ["import", str(folder / "bomb.yaml"), "-o", str(folder / "bomb.jsonl")], tree
        )
        print(f"| `import` | {size} B YAML alias bomb (100 MB expanded) "
              f"| {mb:.0f} | {seconds:.1f} | {code} |")  # fmt: skip
        (folder / "plain.yaml").write_text(ordinary(1024 * 1024))
        mb, seconds, code = peak(
            ["import", str(folder / "plain.yaml"), "-o", str(folder / "plain.jsonl")], tree
        )
        print(f"| `import` (peer) | 1 MB ordinary vcrpy YAML | {mb:.0f} | {seconds:.1f} | {code} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
