"""``sse-recorder report``: one self-contained HTML file with a timeline of every stream."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from recorder.commands._options import (
    add_profile_option,
    add_rule_options,
    checked_profile,
    rule_config_from,
)

NAME = "report"
HELP = (
    "write one self-contained HTML report (timeline chart, findings, payloads) for the given "
    "cassettes"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="cassettes, .sse bodies or directories"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="REPORT.html",
        help="the HTML file to write (its directory is created)",
    )
    parser.add_argument(
        "--no-validate", action="store_true", help="do not run the validator (no findings)"
    )
    add_profile_option(parser)
    parser.add_argument("--strict", action="store_true", help="validate the docs as written")
    parser.add_argument("--title", default="sse-recorder report", help="the page title")
    add_rule_options(parser)


def run(args: argparse.Namespace) -> int:
    from recorder.commands._inputs import load_all, located
    from recorder.errors import UsageError
    from recorder.record.redaction import Redactor
    from recorder.report.html import render_report
    from recorder.validate.findings import Finding

    output = Path(args.output)
    if output.is_dir():  # else the temporary file would be written beside it, in its parent
        raise UsageError(f"{output}: is a directory, not a report file")
    config = None if args.no_validate else rule_config_from(args, strict=args.strict)
    # A report is an artifact that gets shared: what it shows (payloads, and findings quoting
    # them) comes from cassettes redacted by the default rules (a no-op on recorded ones; a
    # hand-made cassette or raw body may hold a key).
    redactor = Redactor.default()
    cassettes = [redactor.redact_cassette(cassette) for cassette in load_all(args.paths)]
    findings: list[list[Finding]] = []
    for cassette in cassettes:
        for warning in cassette.warnings:
            print(f"sse-recorder report: warning: {warning}", file=sys.stderr)
        if args.no_validate:
            findings.append([])
            continue
        from recorder.validate.runner import validate_cassette

        with located(cassette.path):
            findings.append(
                validate_cassette(
                    cassette, profile=checked_profile(args), strict=args.strict, config=config
                )
            )
    html = render_report(cassettes, findings, title=args.title, profile=checked_profile(args))
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(html, encoding="utf-8")
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
    errors = sum(f.is_error for group in findings for f in group)
    print(f"wrote {output} ({len(cassettes)} recordings, {errors} error findings)")
    return 1 if errors else 0
