"""``sse-recorder show``: a readable timeline of a stream, with the validator's findings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recorder.commands._inputs import located
from recorder.commands._options import (
    add_colour_option,
    add_profile_option,
    add_rule_options,
    checked_profile,
    rule_config_from,
)

NAME = "show"
HELP = (
    "print a readable timeline: index, arrival time, gap, chunks, event name, summary and "
    "findings (--raw: the exact bytes)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="cassettes, .sse bodies, directories (each file is named before its timeline), "
        "or - for stdin",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="show the exact bytes chunk by chunk, line ends and non-UTF-8 bytes made visible",
    )
    parser.add_argument(
        "--no-validate", action="store_true", help="do not run the validator (no findings)"
    )
    add_profile_option(parser)
    parser.add_argument("--strict", action="store_true", help="validate the docs as written")
    parser.add_argument(
        "--min-severity",
        choices=("error", "warning", "info"),
        default="info",
        help="show findings of this severity and worse (default: info, all of them)",
    )
    add_rule_options(parser)
    add_colour_option(parser)
    parser.epilog = (
        "Exit codes: 0 fine, 1 a stream breaks its contract, 2 a file could not be read (the "
        "others are still shown)."
    )


def run(args: argparse.Namespace) -> int:
    from recorder.cassette import iter_cassette_paths, load_cassette
    from recorder.errors import RecorderError, UsageError
    from recorder.record.redaction import Redactor
    from recorder.report.timeline import (
        Style,
        printable,
        render_raw,
        render_timeline,
        use_colour,
    )
    from recorder.validate.findings import Finding

    style = Style(use_colour(sys.stdout, args.colour))
    out = sys.stdout
    shown = {"error": ("error",), "warning": ("error", "warning")}.get(
        args.min_severity, ("error", "warning", "info")
    )
    config = None if args.no_validate else rule_config_from(args, strict=args.strict)
    paths = list(iter_cassette_paths(args.paths))
    if not paths:
        raise UsageError(f"no cassettes or .sse files under {', '.join(args.paths)}")
    # Several files (a directory, several paths): each timeline starts with its file's name.
    named = len(paths) > 1 or any(path != "-" and Path(path).is_dir() for path in args.paths)
    errors = unreadable = 0
    for path in paths:
        if named:
            out.write(style(printable(f"### {path}"), "bold") + "\n")
        try:
            cassette = load_cassette(path)
            for warning in cassette.warnings:
                print(f"sse-recorder show: warning: {warning}", file=sys.stderr)
            findings: list[Finding] = []
            if not args.raw and not args.no_validate:
                from recorder.validate.runner import validate_cassette

                with located(cassette.path):
                    findings = validate_cassette(
                        cassette, profile=checked_profile(args), strict=args.strict, config=config
                    )
                errors += sum(finding.is_error for finding in findings)
                findings = [f for f in findings if f.severity.value in shown]
            with located(cassette.path):
                lines = (
                    render_raw(cassette, style=style)
                    if args.raw
                    else render_timeline(
                        cassette, findings, style=style, profile=checked_profile(args)
                    )
                )
                # The timeline is a report: key-like values in it are redacted (the raw view
                # shows the exact bytes, as the cassette holds them).
                redact = (lambda line: line) if args.raw else Redactor.default().redact_text
                for line in lines:
                    out.write(redact(line) + "\n")
        except RecorderError as error:
            if not named:
                raise
            # One unreadable file among many: say so and go on with the others (exit 2 at the
            # end, as validate does: "could not check" must never pass as "holds").
            unreadable += 1
            out.flush()
            print(f"sse-recorder show: error: {error}", file=sys.stderr)
    if unreadable:
        return 2
    # Like validate: 1 when a stream breaks its contract, so scripts can rely on it.
    return 1 if errors else 0
