"""Validation speed and memory: full validation vs the parse-and-decode floor vs pure jsonschema.

A generated Assistants run (a thread, a run, many message_creation steps whose messages arrive
as hundreds of small text deltas, and code_interpreter tool steps streaming their input) is
written to a raw ``.sse`` file. In one run, best of several rounds:

- **full**: ``validate_file`` (parse in blocks, JSON, schemas via jsonschema-rs, every rule,
  delta accumulation);
- **floor**: only the parser and ``json.loads`` of each payload, over the same blocks;
- **pure jsonschema**: what a user would write first, ``Draft202012Validator.validate`` on
  each payload (measured on a sample: it is too slow for the whole stream).

Then peak RSS of validating a 1,000,000-event stream, in a fresh subprocess, and each profile
on a 100,000-event stream of its API. ``--tree DIR`` also times the Assistants stream in another
source tree (a worktree of an older commit), alternating with this one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

from anthropic_stream import write_anthropic_stream  # noqa: E402
from assistants_stream import write_stream  # noqa: E402
from chat_stream import write_chat_stream  # noqa: E402
from responses_stream import write_responses_stream  # noqa: E402

from recorder.validate.runner import BLOCK_SIZE, validate_file  # noqa: E402
from recorder.wire.sse import SSEParser  # noqa: E402


def blocks(handle: BinaryIO) -> Iterator[bytes]:
    while block := handle.read(BLOCK_SIZE):
        yield block


def floor(path: Path) -> int:
    parser = SSEParser(keep_comments=False)
    loads = json.loads
    count = 0
    with open(path, "rb") as handle:
        for block in blocks(handle):
            for event in parser.feed(block):
                count += 1
                if event.data != "[DONE]":
                    loads(event.data)
    parser.close()
    return count


def full(path: Path) -> int:
    result = validate_file(path)
    if not result.ok:
        raise SystemExit(f"the generated stream should be valid: {result.findings[:3]}")
    return result.events


def pure_jsonschema(path: Path, sample: int) -> int:
    import jsonschema  # type: ignore[import-untyped]
    from referencing import Registry, Resource

    folder = ROOT / "schemas" / "assistants" / "v2"
    documents = [json.loads(p.read_text("utf-8")) for p in folder.rglob("*.json")]
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in documents if "$id" in doc
    )
    validators: dict[str, Any] = {}
    parser = SSEParser(keep_comments=False)
    count = 0
    with open(path, "rb") as handle:
        for block in blocks(handle):
            for event in parser.feed(block):
                if count >= sample:
                    return count
                count += 1
                if event.data == "[DONE]":
                    continue
                validator = validators.get(event.event)
                if validator is None:
                    schema = json.loads((folder / "events" / f"{event.event}.json").read_text())
                    validator = validators[event.event] = jsonschema.Draft202012Validator(
                        schema, registry=registry
                    )
                validator.validate(json.loads(event.data))
    return count


def best(function: Any, *args: Any, rounds: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), count


def best_cpu(function: Any, *args: Any, rounds: int) -> float:
    """Best CPU time of ``rounds`` calls: steadier than wall time on a shared machine."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        function(*args)
        times.append(time.process_time() - start)
    return min(times)


def profile_section(
    folder: str,
    events: int,
    rounds: int,
    *,
    profile: str,
    title: str,
    unit: str,
    write: Any,
) -> None:
    """One profile on a long stream of its API built from a real body (``write``), validated
    (parse, JSON, schemas, the profile's data and rules, its fold where a rule reads it) vs
    parse + ``json.loads`` of the same body, in the same run, by wall and CPU time."""
    path = Path(folder) / f"{profile}.sse"
    write(path, events)
    result = validate_file(path)
    assert result.profile == profile and result.ok, (result.profile, result.findings[:3])
    floor_s, n = best(floor, path, rounds=rounds)
    full_s, n_full = best(full, path, rounds=rounds)
    floor_cpu = best_cpu(floor, path, rounds=rounds)
    full_cpu = best_cpu(full, path, rounds=rounds)
    assert n == n_full == events, (n, n_full, events)
    size = path.stat().st_size
    print(f"## {title} ({events:,} {unit}, {size / 1e6:.1f} MB, best of {rounds})\n")
    print("| what | events/s | time | vs floor | CPU events/s | CPU vs floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, seconds, cpu, count in (
        ("floor: parse + json.loads", floor_s, floor_cpu, n),
        (f"sse-recorder validate, {profile} profile", full_s, full_cpu, n_full),
    ):
        print(
            f"| {label} | {count / seconds:,.0f} | {seconds * 1000:,.0f} ms | "
            f"{(seconds / count) / (floor_s / n):.2f}x | {count / cpu:,.0f} | "
            f"{(cpu / count) / (floor_cpu / n):.2f}x |"
        )
    print()


AGAINST = r"""
import sys, time
sys.path.insert(0, ".")
try:
    from recorder.validate.runner import validate_file
except ImportError:  # a tree from before the layout by flow
    from recorder.validate import validate_file
validate_file(sys.argv[1])
times = []
for _ in range(3):
    start = time.process_time()
    validate_file(sys.argv[1])
    times.append(time.process_time() - start)
best = min(times)
print(best)
"""


def against(tree: Path, path: Path, events: int, rounds: int) -> None:
    """This tree's validation of ``path`` against ``tree``'s (another checkout, say the commit
    before a change), each in a fresh interpreter, alternately: best CPU time of each."""
    best = {"this tree": float("inf"), str(tree): float("inf")}
    for _ in range(rounds):
        for label, where in (("this tree", ROOT), (str(tree), tree)):
            done = subprocess.run(
                [sys.executable, "-c", AGAINST, str(path)],
                capture_output=True,
                text=True,
                check=True,
                cwd=where,
            )
            best[label] = min(best[label], float(done.stdout.split()[-1]))
    print(f"## Assistants validation against {tree} ({events:,} events, alternately)\n")
    print("| tree | CPU time | events/s | vs this tree |")
    print("| --- | ---: | ---: | ---: |")
    for label, seconds in best.items():
        print(
            f"| {label} | {seconds * 1000:,.0f} ms | {events / seconds:,.0f} | "
            f"{seconds / best['this tree']:.2f}x |"
        )
    print()


PEAK = """
import resource, sys
from recorder.validate.runner import validate_file
result = validate_file(sys.argv[1])
assert result.ok, result.findings[:3]
print(result.events, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss(path: Path) -> tuple[int, float, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    events, kib = done.stdout.split()
    return int(events), int(kib) / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller streams, fewer rounds")
    parser.add_argument(
        "--tree",
        type=Path,
        help="also time Assistants validation in another source tree (a worktree of an "
        "older commit), alternating with this one",
    )
    args = parser.parse_args()
    events = 20_000 if args.quick else 100_000
    big = 200_000 if args.quick else 1_000_000
    rounds = 2 if args.quick else 5
    sample = 2_000 if args.quick else 5_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.sse"
        write_stream(path, events)
        size = path.stat().st_size
        # warm up: schema compilation and imports are one-off costs, not per-event ones
        full(path)
        floor_s, n = best(floor, path, rounds=rounds)
        full_s, n_full = best(full, path, rounds=rounds)
        pure_s, n_pure = best(pure_jsonschema, path, sample, rounds=1)
        assert n == n_full == events, (n, n_full, events)
        print(f"## Validation ({events:,} events, {size / 1e6:.1f} MB, best of {rounds})\n")
        print("| what | events/s | time | vs floor |")
        print("| --- | ---: | ---: | ---: |")
        for label, seconds, count in (
            ("floor: parse + json.loads", floor_s, n),
            ("sse-recorder validate (parse, JSON, schemas, rules)", full_s, n_full),
            (f"pure jsonschema per payload ({n_pure:,}-event sample)", pure_s, n_pure),
        ):
            rate = count / seconds
            print(
                f"| {label} | {rate:,.0f} | {seconds * 1000 * events / count:,.0f} ms | "
                f"{(seconds / count) / (floor_s / n):.2f}x |"
            )
        print(
            f"\nFull validation is {(full_s / n_full) / (floor_s / n):.2f}x the floor and "
            f"{(pure_s / n_pure) / (full_s / n_full):.0f}x faster than pure jsonschema.\n"
        )
        big_path = Path(folder) / "big.sse"
        write_stream(big_path, big)
        big_size = big_path.stat().st_size
        count, mib, seconds = peak_rss(big_path)
        print(
            f"## Validation memory\n\nA {count:,}-event raw stream ({big_size / 1e6:.0f} MB) "
            f"validates in a fresh process with a peak RSS of **{mib:.0f} MiB** "
            f"({seconds:.1f} s including start-up).\n"
        )
        if args.tree is not None:
            against(args.tree.resolve(), path, events, rounds=2 if args.quick else 3)
        for profile, title, unit, write in (
            ("anthropic", "Anthropic Messages", "events", write_anthropic_stream),
            ("chat", "Chat Completions", "chunks", write_chat_stream),
            ("responses", "OpenAI Responses", "events", write_responses_stream),
        ):
            profile_section(
                folder, events, rounds, profile=profile, title=title, unit=unit, write=write
            )


if __name__ == "__main__":
    main()
