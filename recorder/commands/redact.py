"""``sse-recorder redact``: apply the redaction rules to an existing cassette, in place.

The cassette is rewritten safely: the redacted version goes to a new file in the same
directory, is flushed to disk, then renamed over the original, so a failure at any point leaves
the original untouched.
"""

from __future__ import annotations

import argparse
import sys

from recorder.commands._options import add_redaction_options, redactor_from
from recorder.errors import UsageError

NAME = "redact"
HELP = "apply the redaction rules (credential headers, key-like query values, regexes) in place"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cassette", metavar="CASSETTE", help="the cassette to rewrite")
    parser.add_argument(
        "--dry-run", action="store_true", help="say whether anything would change; write nothing"
    )
    add_redaction_options(parser, old_spellings=True)


def run(args: argparse.Namespace) -> int:
    from recorder.cassette import load_cassette

    if args.cassette == "-":
        raise UsageError("redact rewrites a cassette file in place; it cannot read stdin")
    cassette = load_cassette(args.cassette)
    if cassette.raw:
        raise UsageError(
            f"{args.cassette} is a raw SSE body, not a cassette: 'sse-recorder import' it first"
        )
    for warning in cassette.warnings:
        print(f"sse-recorder redact: warning: {warning}", file=sys.stderr)
    redactor = redactor_from(args)
    redacted = redactor.redact_cassette(cassette)
    if redacted.dumps() == cassette.dumps():
        print(f"{args.cassette}: nothing to redact")
        return 0
    if args.dry_run:
        print(f"{args.cassette}: would be redacted (dry run: nothing written)")
        return 0
    redacted.save(args.cassette)
    print(f"{args.cassette}: redacted")
    return 0
