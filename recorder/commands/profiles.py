"""``sse-recorder profiles``: the installed contract profiles and where each comes from."""

from __future__ import annotations

import argparse

NAME = "profiles"
HELP = "list the installed contract profiles (built in, from packages, or a profile file)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="profile files to check and list too (a malformed one is a usage error)",
    )


def run(args: argparse.Namespace) -> int:
    from recorder.profiles import get_profile, installed_profiles

    listed = [*installed_profiles(), *((path, path) for path in args.files)]
    width = max(len(name) for name, _ in listed)
    for name, origin in listed:
        profile = get_profile(name)  # a broken plugin or file: one line, exit 2
        print(f"{profile.name:<{width}}  {profile.description}")
        print(f"{'':<{width}}  from {origin}; {len(profile.rules)} rules")
    return 0
