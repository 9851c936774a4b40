"""``sse-recorder import``: wrap a raw ``.sse`` body as a cassette."""

from __future__ import annotations

import argparse
from pathlib import Path

from recorder.cassette import Cassette, load_cassette
from recorder.commands._inputs import parse_request_spec
from recorder.errors import UsageError

NAME = "import"
HELP = "wrap a raw .sse response body as a cassette"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="FILE", help="a raw SSE body (.sse), or - for stdin")
    parser.add_argument("-o", "--output", required=True, metavar="CASSETTE")
    parser.add_argument(
        "--request",
        metavar="'METHOD PATH'",
        help="the request that produced the body, e.g. 'POST /v1/threads/runs'",
    )
    parser.add_argument("--profile", help="contract profile to note in the cassette")
    parser.add_argument("--force", action="store_true", help="overwrite an existing output")


def run(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.exists() and not args.force:
        raise UsageError(f"{output} exists (use --force to overwrite)")
    source = load_cassette(args.source)
    if not source.raw:
        raise UsageError(f"{args.source} is already a cassette")
    request = parse_request_spec(args.request) if args.request else None
    body = source.interactions[0].body
    cassette = Cassette.from_sse(body, request=request)
    cassette = cassette.model_copy(
        update={
            "raw": False,
            "profile": args.profile,
            "note": f"imported from {Path(args.source).name}: one chunk, arrival times "
            "were not recorded",
        }
    )
    cassette.save(output)
    print(f"wrote {output} ({len(body)} bytes)")
    return 0
