"""``sse-recorder import``: make a cassette from a raw ``.sse`` body, a HAR file or a vcrpy
cassette (the format is recognised by content; ``--format`` forces one)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recorder.commands._inputs import parse_request_spec
from recorder.commands._options import (
    add_profile_option,
    add_redaction_options,
    checked_profile,
    redactor_from,
)
from recorder.errors import UsageError

NAME = "import"
HELP = "make a cassette from a raw .sse body, a browser's HAR export or a vcrpy YAML cassette"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", metavar="FILE", help="a .sse body, a .har file, a vcrpy cassette, or - (stdin)"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="CASSETTE",
        help="the cassette to write (see --force)",
    )
    parser.add_argument(
        "--format",
        choices=("auto", "sse", "har", "vcr"),
        default="auto",
        help="input format (default: recognised by content)",
    )
    parser.add_argument(
        "--request",
        metavar="'METHOD PATH'",
        help="for a raw body: the request that produced it, e.g. 'POST /v1/threads/runs'",
    )
    add_profile_option(parser, noting=True)
    parser.add_argument("--force", action="store_true", help="overwrite an existing output")
    add_redaction_options(parser, old_spellings=True)


def run(args: argparse.Namespace) -> int:
    from recorder.cassette.importers import import_bytes, import_file

    profile = checked_profile(args)  # an unknown one is a usage error before anything is read
    output = Path(args.output)
    if output.is_dir():  # else the temporary file would be written beside it, in its parent
        raise UsageError(f"{output}: is a directory, not a cassette")
    if output.exists() and not args.force:
        raise UsageError(f"{output} exists (use --force to overwrite)")
    request = parse_request_spec(args.request) if args.request else None
    chosen = None if args.format == "auto" else args.format
    redactor = redactor_from(args)
    if args.source == "-":
        cassette = import_bytes(
            sys.stdin.buffer.read(),
            source="<stdin>",
            format=chosen,
            request=request,
            redactor=redactor,
        )
    else:
        cassette = import_file(args.source, format=chosen, request=request, redactor=redactor)
    for warning in cassette.warnings:
        print(f"sse-recorder import: warning: {warning}", file=sys.stderr)
    if profile:
        cassette = cassette.model_copy(update={"profile": profile})
    cassette.save(output)
    size = sum(len(interaction.body) for interaction in cassette.interactions)
    count = len(cassette.interactions)
    print(f"wrote {output} ({count} interaction{'s' if count != 1 else ''}, {size} bytes)")
    return 0
