"""``sse-recorder diff``: compare two streams by meaning (exit 1 when they differ)."""

from __future__ import annotations

import argparse
import sys

from recorder.cassette import load_cassette
from recorder.commands._options import add_profile_option, checked_profile

NAME = "diff"
HELP = (
    "compare two recordings by meaning: events aligned, ids and timestamps ignored, payload "
    "paths and accumulated text compared (exit 1 when they differ)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="cassette or .sse body (- for stdin)")
    parser.add_argument("b", metavar="B", help="cassette or .sse body to compare with A")
    parser.add_argument(
        "--exact",
        action="store_true",
        help="also compare ids, timestamps and each delta fragment",
    )
    add_profile_option(parser)


def run(args: argparse.Namespace) -> int:
    from recorder.report.diff import diff_cassettes, render_diff

    left = load_cassette(args.a)
    right = load_cassette(args.b)
    for cassette in (left, right):
        for warning in cassette.warnings:
            print(f"sse-recorder diff: warning: {warning}", file=sys.stderr)
    differences = diff_cassettes(left, right, exact=args.exact, profile=checked_profile(args))
    for line in render_diff(differences, args.a, args.b, exact=args.exact):
        sys.stdout.write(line + "\n")
    return 1 if differences else 0
