"""``sse-recorder show``: a readable timeline of a stream."""

from __future__ import annotations

import argparse
import sys

from recorder.commands._inputs import load_all
from recorder.timeline import render_timeline

NAME = "show"
HELP = "print a readable timeline: index, arrival time, gap, event name, summary"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="cassette, .sse body, or - for stdin")


def run(args: argparse.Namespace) -> int:
    for cassette in load_all([args.path]):
        for warning in cassette.warnings:
            print(f"sse-recorder show: warning: {warning}", file=sys.stderr)
        for line in render_timeline(cassette):
            sys.stdout.write(line + "\n")
    return 0
