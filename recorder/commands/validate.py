"""``sse-recorder validate``: check cassettes and .sse bodies against a contract.

Exit 0 when no finding is an error, 1 when one is, 2 when some input cannot be read. A
directory with one unreadable file among good ones: the others are still validated and
reported, the unreadable one gets an ``UNREADABLE`` line (an ``<error>`` in JUnit, an
``error`` field in JSON), and the exit code is 2, because "could not check" must never pass
as "holds".
"""

from __future__ import annotations

import argparse
import sys

from recorder.commands._options import (
    add_colour_option,
    add_profile_option,
    add_rule_options,
    checked_profile,
    rule_config_from,
)

NAME = "validate"
HELP = "check cassettes and .sse bodies against a stream contract (exit 1 when one breaks it)"

#: Show a progress bar on a terminal from this many files on.
PROGRESS_FROM = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="cassettes, .sse bodies, directories (searched recursively) or - for stdin",
    )
    add_profile_option(parser)
    parser.add_argument(
        "--dialect",
        default=None,
        metavar="NAME",
        help="apply a provider dialect of the profile (its known deviations become warnings); "
        "default: recognised from the recorded host and headers",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="the documented schemas as written (real-world shapes become errors)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="report format (default: text)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output"
    )
    parser.add_argument(
        "--list-rules",
        action="store_true",
        help="print the profile's rules (id, source, default severity, summary) and exit",
    )
    add_rule_options(parser)
    parser.add_argument(
        "-q",
        "--errors-only",
        action="store_true",
        help="for CI logs: only the error findings (with their files) and the summary line; "
        "with --format json or junit, only the error findings",
    )
    add_colour_option(parser)


class _Progress:
    """A one-line progress bar on standard error (only used on a terminal)."""

    def __init__(self, total: int) -> None:
        self.total = total

    def __call__(self, number: int, path: str) -> None:
        width = 30
        filled = width * number // max(self.total, 1)
        name = path if len(path) <= 40 else "..." + path[-37:]
        sys.stderr.write(
            f"\r[{'#' * filled}{' ' * (width - filled)}] {number}/{self.total} {name:<40}"
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r" + " " * 90 + "\r")
        sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from recorder.cassette import iter_cassette_paths
    from recorder.errors import UsageError
    from recorder.report.formats import render, use_colour
    from recorder.validate.runner import validate_paths

    if args.list_rules:
        from recorder.profiles import get_profile, profile_names

        chosen = checked_profile(args)
        for number, name in enumerate([chosen] if chosen else profile_names()):
            profile = get_profile(name)
            print(("\n" if number else "") + f"{profile.name}: {profile.description}")
            for rule in profile.rules.values():
                print(f"  {rule.id:<13} {rule.source:<5} {rule.severity.value:<8} {rule.summary}")
        return 0
    if not args.paths:
        raise UsageError("give at least one PATH (a cassette, .sse body, directory, or -)")
    config = rule_config_from(args, strict=args.strict)
    paths = list(iter_cassette_paths(args.paths))
    if not paths:
        raise UsageError(f"no cassettes or .sse files under {', '.join(args.paths)}")
    progress = (
        _Progress(len(paths)) if (len(paths) >= PROGRESS_FROM and sys.stderr.isatty()) else None
    )
    try:
        results = list(
            validate_paths(paths, profile=checked_profile(args), config=config, progress=progress)
        )
    finally:
        if progress is not None:
            progress.close()
    for result in results:
        for warning in result.warnings:
            print(f"sse-recorder validate: warning: {warning}", file=sys.stderr)
    if args.output:
        text = render(results, args.format, errors_only=args.errors_only)
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise UsageError(
                f"cannot write the report to {args.output}: {error.strerror}"
            ) from None
    else:
        colour = use_colour(sys.stdout, args.colour)
        sys.stdout.write(render(results, args.format, colour=colour, errors_only=args.errors_only))
    if any(result.error is not None for result in results):
        for result in results:
            if result.error is not None:
                print(
                    f"sse-recorder validate: error: {result.path}: {result.error}", file=sys.stderr
                )
        return 2
    return 0 if all(result.ok for result in results) else 1
