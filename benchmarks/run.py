"""Run the benchmarks: ``python benchmarks/run.py [NAME ...] [--quick]``.

Each ``benchmarks/bench_<subject>.py`` is a script that measures one subject against its peers
in the same run and prints a Markdown section (ratios, not absolute goals). This runner runs
them one after another in fresh interpreters (so one subject's imports and garbage do not
slow the next) and prints the machine they ran on first. Results worth keeping are copied
into ``benchmarks/README.md`` with the date and machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="subjects to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    args = parser.parse_args()
    available = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    chosen = args.names or available
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; have {', '.join(available)}")
    print(f"# Benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\nMachine: {machine()}\n")
    failed = 0
    for name in chosen:
        command = [sys.executable, str(HERE / f"bench_{name}.py")]
        if args.quick:
            command.append("--quick")
        sys.stdout.flush()
        result = subprocess.run(command, cwd=HERE.parent, check=False)
        if result.returncode != 0:
            failed += 1
            print(f"\n(benchmark {name} failed with exit code {result.returncode})\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
