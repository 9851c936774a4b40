"""Options several subcommands share, defined once so they are spelled and explained alike.

- redaction: ``--header-redact``, ``--query-redact``, ``--body-redact`` (``record``, ``proxy``,
  ``redact``, ``import``);
- rules: ``--disable RULE,...`` and ``--severity RULE=LEVEL`` (``validate``, ``show``,
  ``report``): ``--severity`` always changes how loud a rule is; ``show --min-severity`` is
  the filter of what is printed;
- colour: ``--color auto|always|never`` (every command that colours its output).

Not a subcommand itself (no ``NAME``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from recorder.errors import UsageError

if TYPE_CHECKING:
    from recorder.record.redaction import Redactor
    from recorder.validate.runner import RuleConfig

__all__ = [
    "add_colour_option",
    "add_redaction_options",
    "add_rule_options",
    "redactor_from",
    "rule_config_from",
]


class _DeprecatedAppend(argparse.Action):
    """An old spelling kept working: appends like its replacement and says it is deprecated."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        self.replacement: str = kwargs.pop("replacement")
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        print(
            f"{parser.prog}: warning: {option_string} is deprecated, use {self.replacement}",
            file=sys.stderr,
        )
        items = list(getattr(namespace, self.dest, None) or [])
        items.append(values)
        setattr(namespace, self.dest, items)


def add_redaction_options(parser: argparse.ArgumentParser, *, old_spellings: bool = False) -> None:
    """``--header-redact``, ``--query-redact`` and ``--body-redact`` (all repeatable).

    ``old_spellings`` also accepts ``redact``'s and ``import``'s former ``--header``,
    ``--query`` and ``--body-regex`` (hidden from the help, with a warning).
    """
    group = parser.add_argument_group(
        "redaction (on top of the defaults: credential headers, key-like query values)"
    )
    group.add_argument(
        "--header-redact",
        action="append",
        default=[],
        metavar="NAME",
        help="also redact the value of this request/response header (repeatable)",
    )
    group.add_argument(
        "--query-redact",
        action="append",
        default=[],
        metavar="NAME",
        help="also redact the value of this query parameter (repeatable)",
    )
    group.add_argument(
        "--body-redact",
        action="append",
        default=[],
        metavar="REGEX",
        help="replace what this regex matches in request and response bodies, line by line "
        "(repeatable; with groups, only the groups)",
    )
    if old_spellings:
        for old, new in (
            ("--header", "header_redact"),
            ("--query", "query_redact"),
            ("--body-regex", "body_redact"),
        ):
            group.add_argument(
                old,
                dest=new,
                action=_DeprecatedAppend,
                replacement="--" + new.replace("_", "-"),
                help=argparse.SUPPRESS,
            )


def redactor_from(args: argparse.Namespace) -> Redactor:
    """The ``Redactor`` the redaction options ask for (a bad regex: a usage error)."""
    from recorder.record.redaction import Redactor

    for pattern in args.body_redact:
        try:  # compiled as the Redactor compiles it: a bytes regex (r"\u0041" is not one)
            Redactor(body_patterns=[pattern], defaults=False)
        except (re.error, UnicodeError) as error:
            raise UsageError(f"--body-redact {pattern!r}: {error}") from None
    return Redactor(
        extra_headers=args.header_redact,
        extra_query=args.query_redact,
        body_patterns=args.body_redact,
    )


def add_rule_options(parser: argparse.ArgumentParser) -> None:
    """``--disable RULE,...`` and ``--severity RULE=LEVEL`` (both repeatable)."""
    parser.add_argument(
        "--disable",
        action="append",
        default=[],
        metavar="RULE,...",
        help="turn rules off (e.g. R6,P5); repeatable",
    )
    parser.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="RULE=LEVEL",
        help="change a rule's severity to error, warning or info (e.g. A3=error); repeatable",
    )


def rule_config_from(args: argparse.Namespace, *, strict: bool = False) -> RuleConfig:
    """The ``RuleConfig`` of ``--disable``/``--severity`` and ``strict``, rule ids checked
    against ``--profile`` (with auto, against every installed profile); an unknown profile is a
    usage error here, before any file is read."""
    from recorder.validate.runner import RuleConfig

    for item in args.severity:
        if "=" not in item and item.strip().lower() in ("error", "warning", "info"):
            hint = " (--min-severity filters what is shown)" if "min_severity" in args else ""
            raise UsageError(
                f"--severity takes RULE=LEVEL, got {item!r}: it changes a rule's severity{hint}"
            )
    return RuleConfig.from_options(
        profile=checked_profile(args),
        disable=args.disable,
        severity=args.severity,
        strict=strict,
        dialect=getattr(args, "dialect", None),
    )


def add_colour_option(parser: argparse.ArgumentParser) -> None:
    """``--color auto|always|never`` (also spelled ``--colour``)."""
    parser.add_argument(
        "--color",
        "--colour",
        dest="colour",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output (auto, the default: only on a terminal, and never when "
        "NO_COLOR is set)",
    )


def add_profile_option(parser: argparse.ArgumentParser, *, noting: bool = False) -> None:
    """``--profile auto|NAME|FILE``: the contract (``auto`` recognises each stream).

    ``noting``: the command only writes the name into a cassette (record, proxy, import)."""
    parser.add_argument(
        "--profile",
        default=None,
        metavar="NAME|FILE",
        help=(
            "contract profile to note in the cassette (a name from `sse-recorder profiles`); "
            "default: recognised when validated"
            if noting
            else "contract profile: auto (the default: each stream's is recognised from its "
            "request or first events), a name from `sse-recorder profiles`, or a profile file"
        ),
    )


def checked_profile(args: argparse.Namespace) -> str | None:
    """The ``--profile`` value after checking it names an installed profile or a readable
    profile file (``ProfileError``, a usage error, otherwise); None for auto."""
    from recorder.profiles import AUTO, resolve_profile_option

    name = getattr(args, "profile", None)
    return None if resolve_profile_option(name) == AUTO else name
