"""``sse-recorder parse``: the events of a body as JSON lines, with their positions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from recorder.cassette.stream import parse_interaction
from recorder.commands._inputs import load_all, located

NAME = "parse"
HELP = "print the events of a cassette or .sse body as JSON lines (with byte offsets and times)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        metavar="PATH",
        help="cassette, .sse body, directory (each line then names its cassette), or - for stdin",
    )
    parser.add_argument(
        "--comments", action="store_true", help="also print comment lines (keep-alives)"
    )


def run(args: argparse.Namespace) -> int:
    problems = 0
    out = sys.stdout
    # A directory yields many cassettes: then every line says which one it came from.
    several = args.path != "-" and Path(args.path).is_dir()
    for cassette in load_all([args.path]):
        origin: dict[str, object] = {"path": cassette.path} if several else {}
        for warning in cassette.warnings:
            print(f"sse-recorder parse: warning: {warning}", file=sys.stderr)
        for number, interaction in enumerate(cassette.interactions):
            if not interaction.is_event_stream:
                continue  # a plain response (JSON, HTML): no events to print, as for validate
            with located(cassette.path):
                parsed = parse_interaction(interaction, keep_comments=args.comments)
            records: list[tuple[int, dict[str, object]]] = []
            for index, event in enumerate(parsed.events):
                record: dict[str, object] = {**origin, "interaction": number, "index": index}
                record.update(event.as_dict())
                record["t"] = parsed.time_of(event)
                records.append((event.offset, record))
            for comment in parsed.comments:
                records.append(
                    (
                        comment.offset,
                        {
                            **origin,
                            "interaction": number,
                            "comment": comment.text,
                            "offset": comment.offset,
                            "line": comment.line,
                            "chunk_index": comment.chunk_index,
                        },
                    )
                )
            records.sort(key=lambda pair: pair[0])
            for _, record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            where = f"{cassette.path}, interaction {number}"
            for issue in parsed.decode_errors:
                problems += 1
                print(
                    f"sse-recorder parse: {where}: byte {issue.offset} (line {issue.line}): "
                    "invalid UTF-8, replaced with U+FFFD",
                    file=sys.stderr,
                )
            if parsed.unfinished is not None:
                problems += 1
                offset, line = parsed.unfinished
                print(
                    f"sse-recorder parse: {where}: byte {offset} (line {line}): the body ends "
                    "inside an event that was never finished by a blank line; it was discarded",
                    file=sys.stderr,
                )
    return 1 if problems else 0
