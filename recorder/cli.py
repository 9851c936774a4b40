"""The ``sse-recorder`` command line.

Each subcommand lives in ``recorder/commands/<name>.py`` and provides ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; this module only finds them and turns
errors into one line. Exit codes: 0 the input is fine, 1 it breaks a contract, 2 usage error
or unreadable input (never a traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from recorder import commands
from recorder._version import __version__
from recorder.errors import RecorderError

__all__ = ["EXIT_BROKEN", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_USAGE = 2


def _command_modules() -> list[ModuleType]:
    names = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    modules = [importlib.import_module(f"recorder.commands.{name}") for name in names]
    return [module for module in modules if hasattr(module, "NAME")]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="sse-recorder",
        description="Record Server-Sent Event streams, check them against a contract, "
        "replay them byte for byte.",
        epilog="Exit codes: 0 fine, 1 a stream breaks its contract, 2 usage error or "
        "unreadable input.",
    )
    parser.add_argument("--version", action="version", version=f"sse-recorder {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args._run(args)
    except RecorderError as error:
        print(f"sse-recorder {args.command}: error: {_redacted(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"sse-recorder {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (| head): not an error of the input.
        sys.stderr.close()
        return EXIT_OK
    except OSError as error:
        if os.environ.get("SSE_RECORDER_DEBUG"):
            raise
        where = f"{error.filename}: " if error.filename else ""
        print(
            f"sse-recorder {args.command}: error: {_redacted(where)}{error.strerror}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except Exception as error:  # a bug of ours: still one line, the traceback on request
        if os.environ.get("SSE_RECORDER_DEBUG"):
            raise
        print(
            f"sse-recorder {args.command}: internal error: {type(error).__name__}: "
            f"{_redacted(error)} "
            "(a bug in sse-recorder; SSE_RECORDER_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return code


def _redacted(message: object) -> str:
    """An error message as it may leave the process: a message quoting a URL, a request
    body or a payload loses the secrets in it (``Redactor.redact_text``, the default rules)."""
    from recorder.record.redaction import Redactor

    return Redactor.default().redact_text(str(message))


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
