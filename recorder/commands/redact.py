"""``sse-recorder redact``: apply the redaction rules to an existing cassette, in place.

The cassette is rewritten safely: the redacted version goes to a new file in the same
directory, is flushed to disk, then renamed over the original, so a failure at any point leaves
the original untouched.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from recorder.errors import UsageError

if TYPE_CHECKING:
    from recorder.record.redaction import Redactor

NAME = "redact"
HELP = "apply the redaction rules (credential headers, key-like query values, regexes) in place"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cassette", metavar="CASSETTE", help="the cassette to rewrite")
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME",
        help="also redact this header's value (repeatable; the defaults always apply)",
    )
    parser.add_argument(
        "--query",
        action="append",
        default=[],
        metavar="NAME",
        help="also redact this query parameter's value (repeatable)",
    )
    parser.add_argument(
        "--body-regex",
        action="append",
        default=[],
        metavar="RE",
        help="also redact what this regex matches in request and response bodies (repeatable; "
        "with groups, only the groups)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say whether anything would change; write nothing"
    )


def build_redactor(
    headers: Sequence[str], query: Sequence[str], body_regexes: Sequence[str]
) -> Redactor:
    """The default rules plus the command line's extra names and patterns."""
    from recorder.record.redaction import Redactor

    for pattern in body_regexes:
        try:
            re.compile(pattern)
        except re.error as error:
            raise UsageError(f"--body-regex {pattern!r}: {error}") from None
    return Redactor(extra_headers=headers, extra_query=query, body_patterns=body_regexes)


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
    redactor = build_redactor(args.header, args.query, args.body_regex)
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
