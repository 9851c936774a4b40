"""Schema checking speed: ``SchemaSet.check`` vs a bare jsonschema-rs yes/no vs pure jsonschema.

Payloads: every event of the real Assistants captures in ``fixtures/real-streams/assistants``
that decode as JSON (about 2,000; ~84% deltas, the rest run/step/message snapshots, which all
carry known real-world deviations and so take the explaining path), or, without them,
the shipped real cassettes in ``fixtures/cassettes/real``. In one run, best of several rounds:

- **check (default)** / **check (strict)**: ``SchemaSet.check`` with issues fully explained;
- **jsonschema-rs is_valid**: one compiled Rust validator per event, yes/no only (the floor a
  schema check cannot beat);
- **json.loads**: decoding the same payloads, for scale;
- **pure jsonschema**: ``Draft202012Validator.is_valid``, what a user would write first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jsonschema  # type: ignore[import-untyped]  # noqa: E402
import jsonschema_rs  # noqa: E402

from recorder.cassette import load_cassette  # noqa: E402
from recorder.cassette.stream import parse_interaction  # noqa: E402
from recorder.validate.schemas import SchemaSet, infer_version  # noqa: E402
from recorder.wire.sse import parse_bytes  # noqa: E402

Item = tuple[SchemaSet, str, Any, str]  # schemas, event, payload, raw data


def corpus() -> tuple[str, list[Item]]:
    bodies: list[list[tuple[str, str]]] = []
    real = ROOT / "fixtures" / "real-streams" / "assistants"
    if real.is_dir():
        source = "fixtures/real-streams/assistants (real captures)"
        for path in sorted(real.glob("*.sse")):
            if path.name.startswith("php-derived"):
                continue
            events, _ = parse_bytes(path.read_bytes())
            bodies.append([(e.event, e.data) for e in events])
    else:
        source = "fixtures/cassettes/real"
        for path in sorted((ROOT / "fixtures" / "cassettes" / "real").glob("*.jsonl")):
            for interaction in load_cassette(path).interactions:
                events = parse_interaction(interaction).events
                bodies.append([(e.event, e.data) for e in events])
    items: list[Item] = []
    for body in bodies:
        decoded: list[tuple[str, Any, str]] = []
        for event, data in body:
            try:
                decoded.append((event, data if event == "done" else json.loads(data), data))
            except json.JSONDecodeError:
                continue
        version = infer_version("assistants", None, (p for _, p, _ in decoded))
        schemas = SchemaSet.load("assistants", version)
        items.extend((schemas, event, payload, data) for event, payload, data in decoded)
    return source, items


def best_rate(work: Callable[[], int], rounds: int) -> float:
    """Best items/second over ``rounds`` runs of ``work`` (which returns how many it did)."""
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        done = work()
        best = max(best, done / (time.perf_counter() - start))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller sample")
    args = parser.parse_args()
    rounds, repeat, pure_sample = (3, 2, 200) if args.quick else (7, 10, 2000)
    source, items = corpus()
    deltas = [i for i in items if i[1].endswith(".delta")]
    snapshots = [i for i in items if not i[1].endswith(".delta") and i[1] != "done"]

    def check(batch: list[Item], strict: bool) -> Callable[[], int]:
        def work() -> int:
            for _ in range(repeat):
                for schemas, event, payload, _ in batch:
                    schemas.check(event, payload, strict=strict)
            return repeat * len(batch)

        return work

    # The peers, compiled once per (version, event) like the checker's own validators.
    rs: dict[tuple[str, str], Any] = {}
    pure: dict[tuple[str, str], Any] = {}
    for schemas, event, _, _ in items:
        key = (schemas.version, event)
        if key not in rs:
            schema = schemas._events[event].schema  # the dereferenced default schema
            rs[key] = jsonschema_rs.validator_for(schema)
            pure[key] = jsonschema.Draft202012Validator(schema)

    def rs_only(batch: list[Item]) -> Callable[[], int]:
        def work() -> int:
            for _ in range(repeat):
                for schemas, event, payload, _ in batch:
                    rs[(schemas.version, event)].is_valid(payload)
            return repeat * len(batch)

        return work

    def decode(batch: list[Item]) -> Callable[[], int]:
        def work() -> int:
            for _ in range(repeat):
                for _, event, _, data in batch:
                    if event != "done":
                        json.loads(data)
            return repeat * len(batch)

        return work

    def pure_python(batch: list[Item]) -> Callable[[], int]:
        sample = (batch * (pure_sample // max(len(batch), 1) + 1))[:pure_sample]

        def work() -> int:
            for schemas, event, payload, _ in sample:
                pure[(schemas.version, event)].is_valid(payload)
            return len(sample)

        return work

    rows: list[tuple[str, float, float, float]] = []
    measures = {
        "check (default)": lambda b: check(b, False),
        "check (strict)": lambda b: check(b, True),
        "jsonschema-rs is_valid": rs_only,
        "json.loads": decode,
        "pure jsonschema is_valid": pure_python,
    }
    for name, make in measures.items():
        rates = [best_rate(make(batch), rounds) for batch in (items, deltas, snapshots)]
        rows.append((name, rates[0], rates[1], rates[2]))

    reference = rows[0]
    print("## Schema checks (`SchemaSet.check`)\n")
    print(
        f"{len(items):,} payloads from {source}: {len(deltas):,} deltas, "
        f"{len(snapshots):,} snapshots (run/step/message/thread), best of {rounds} rounds.\n"
    )
    print("| | all, payloads/s | deltas/s | snapshots/s | check (default) is x faster |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, everything, delta, snapshot in rows:
        ratio = "" if name == reference[0] else f"{reference[1] / everything:.2f}"
        if name == "check (default)":
            ratio = "1.00"
        print(f"| {name} | {everything:,.0f} | {delta:,.0f} | {snapshot:,.0f} | {ratio} |")
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
