"""Debugging tools on a large stream: import, diff, timeline and HTML report, against peers.

- import: ``recorder.cassette.importers.import_vcr`` vs vcrpy's own cassette loading (its YAML
  serializer, as ``use_cassette`` runs it) of the same vcrpy file.
- diff: ``diff_cassettes`` (events aligned, ids and timestamps normalized, deltas folded) vs
  ``difflib.unified_diff`` over the raw body lines (what ``diff -u`` on two bodies gives).
- show / report: the text timeline and the HTML report vs plain parsing of the same cassette
  (``parse_interaction``), to show what the presentation costs on top of the parse.

Times are the best of several rounds; the second stream of the diff is the first with every
id and timestamp changed (equal by meaning).
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assistants_stream import assistants_stream

from recorder.cassette import Cassette, Chunk
from recorder.cassette.importers import import_vcr
from recorder.cassette.stream import parse_interaction
from recorder.report.diff import diff_cassettes
from recorder.report.html import render_report
from recorder.report.timeline import render_timeline


def best(function: Callable[[], Any], rounds: int) -> float:
    fastest = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


def timed_cassette(body: bytes) -> Cassette:
    cassette = Cassette.from_sse(body)
    chunks = [
        Chunk(t=0.2 + index * 0.001, data=body[offset : offset + 4096])
        for index, offset in enumerate(range(0, len(body), 4096))
    ]
    interaction = cassette.interactions[0].model_copy(update={"chunks": chunks})
    return cassette.model_copy(update={"interactions": [interaction], "raw": False})


def vcrpy_file(directory: Path, body: bytes) -> Path:
    """A vcrpy YAML cassette holding ``body``, written by vcrpy's own serializer."""
    from vcr.serializers import yamlserializer

    document = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": "http://127.0.0.1/v1/threads/runs",
                    "body": '{"stream": true}',
                    "headers": {"content-type": ["application/json"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"content-type": ["text/event-stream"]},
                    "body": {"string": body.decode()},
                },
            }
        ],
    }
    path = directory / "cassette.yaml"
    path.write_text(yamlserializer.serialize(document))
    return path


def vcrpy_load(path: Path) -> Any:
    from vcr.serializers import yamlserializer

    return yamlserializer.deserialize(path.read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    events = 2_000 if args.quick else 20_000
    rounds = 2 if args.quick else 3
    body = assistants_stream(events)
    other = (
        body.replace(b"run_bench", b"run_other")
        .replace(b"msg_bench", b"msg_other")
        .replace(b"1714000", b"1815000")
    )
    a, b = timed_cassette(body), timed_cassette(other)
    assert diff_cassettes(a, b) == [], "equal-by-meaning streams must diff as equal"
    rows: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        path = vcrpy_file(Path(scratch), body)
        data = path.read_bytes()
        assert import_vcr(data).interactions[0].body == body
        rows.append(
            (
                "import a vcrpy YAML cassette",
                "vcrpy's YAML deserialize",
                best(lambda: import_vcr(data), rounds),
                best(lambda: vcrpy_load(path), rounds),
            )
        )
    lines_a, lines_b = body.decode().splitlines(), other.decode().splitlines()
    rows.append(
        (
            "diff (meaning)",
            "difflib.unified_diff of the bodies",
            best(lambda: diff_cassettes(a, b), rounds),
            best(lambda: list(difflib.unified_diff(lines_a, lines_b)), rounds),
        )
    )
    parse = best(lambda: parse_interaction(a.interactions[0]), rounds)
    rows.append(
        (
            "show (text timeline)",
            "parse only",
            best(lambda: list(render_timeline(a)), rounds),
            parse,
        )
    )
    html = render_report([a])
    rows.append(("report (HTML)", "parse only", best(lambda: render_report([a]), rounds), parse))
    print(
        f"## Debugging tools: one {events:,}-event Assistants stream "
        f"({len(body) / 1e6:.1f} MB, HTML report {len(html) / 1e6:.1f} MB)\n"
    )
    print("| task | sse-recorder | peer | peer time | sse-recorder / peer |")
    print("| --- | ---: | --- | ---: | ---: |")
    for task, peer, ours, theirs in rows:
        print(
            f"| {task} | {ours * 1000:,.0f} ms | {peer} | {theirs * 1000:,.0f} ms | "
            f"{ours / theirs:.2f}x |"
        )
    print()


if __name__ == "__main__":
    main()
