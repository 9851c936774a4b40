"""``sse-recorder final``: what each stream amounts to, in its API's own object shape."""

from __future__ import annotations

import argparse
import json
import sys

from recorder.cassette.stream import parse_interaction
from recorder.commands._inputs import load_all, located
from recorder.commands._options import add_profile_option, checked_profile

NAME = "final"
HELP = (
    "print the final object each stream folds into (the Response, the chat.completion, the "
    "Message...), as the official libraries build it"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="cassettes, .sse bodies, directories (searched recursively) or - for stdin",
    )
    add_profile_option(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (a header per stream, then its object) or json (one object per stream per "
        "line: path, interaction, profile, final)",
    )


def run(args: argparse.Namespace) -> int:
    from recorder.profiles import profile_for

    chosen = checked_profile(args)
    out = sys.stdout
    for cassette in load_all(args.paths):
        for number, interaction in enumerate(cassette.interactions):
            if not interaction.is_event_stream:
                continue
            with located(cassette.path):
                profile = profile_for(cassette, interaction, chosen)
                events = parse_interaction(interaction, keep_comments=False).events
                final = profile.final_of(events)
            if args.format == "json":
                record = {
                    "path": cassette.path,
                    "interaction": number,
                    "profile": profile.name,
                    "final": final,
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                continue
            out.write(f"== {cassette.path}, interaction {number} ({profile.name})\n")
            if final is None:
                out.write(f"(the {profile.name} profile folds no final object)\n")
            else:
                out.write(json.dumps(final, ensure_ascii=False, indent=2) + "\n")
    return 0
