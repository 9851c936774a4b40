"""``sse-recorder show``: a readable timeline of a stream, with the validator's findings."""

from __future__ import annotations

import argparse
import sys

from recorder.commands._inputs import load_all, located

NAME = "show"
HELP = (
    "print a readable timeline: index, arrival time, gap, chunks, event name, summary and "
    "findings (--raw: the exact bytes)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="cassette, .sse body, or - for stdin")
    parser.add_argument(
        "--raw",
        action="store_true",
        help="show the exact bytes chunk by chunk, line ends and non-UTF-8 bytes made visible",
    )
    parser.add_argument(
        "--no-validate", action="store_true", help="do not run the validator (no findings)"
    )
    parser.add_argument(
        "--profile", help="contract profile to validate against (default: the cassette's)"
    )
    parser.add_argument("--strict", action="store_true", help="validate the docs as written")
    parser.add_argument(
        "--severity",
        choices=("error", "warning", "info"),
        default="info",
        help="show findings of this severity and worse (default: all)",
    )
    parser.add_argument(
        "--color",
        "--colour",
        dest="colour",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output (auto: only on a terminal, and never when NO_COLOR is set)",
    )


def run(args: argparse.Namespace) -> int:
    from recorder.report.timeline import Style, render_raw, render_timeline, use_colour
    from recorder.validate.findings import Finding

    style = Style(use_colour(sys.stdout, args.colour))
    out = sys.stdout
    shown = {"error": ("error",), "warning": ("error", "warning")}.get(
        args.severity, ("error", "warning", "info")
    )
    errors = 0
    for cassette in load_all([args.path]):
        for warning in cassette.warnings:
            print(f"sse-recorder show: warning: {warning}", file=sys.stderr)
        if args.raw:
            lines = render_raw(cassette, style=style)
        else:
            findings: list[Finding] = []
            if not args.no_validate:
                from recorder.validate.runner import validate_cassette

                with located(cassette.path):
                    findings = validate_cassette(cassette, profile=args.profile, strict=args.strict)
                errors += sum(finding.is_error for finding in findings)
                findings = [f for f in findings if f.severity.value in shown]
            lines = render_timeline(cassette, findings, style=style)
        with located(cassette.path):
            for line in lines:
                out.write(line + "\n")
    # Like validate: 1 when a stream breaks its contract, so scripts can rely on it.
    return 1 if errors else 0
