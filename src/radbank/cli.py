"""The `radbank` command: a thin layer that parses options and calls the library."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from radbank import (
    __version__,
    cli_deface,
    cli_deid,
    cli_findings,
    cli_learn,
    cli_mids,
    cli_risk,
    cli_serve,
    cli_split,
    cli_text,
)
from radbank.errors import RadbankError

log = logging.getLogger("radbank")
Handler = Callable[[argparse.Namespace], int]


def _setup_logging(quiet: bool, verbose: bool) -> None:
    from radbank.progress import TqdmHandler

    root = logging.getLogger("radbank")
    root.handlers.clear()
    handler = TqdmHandler()
    handler.setFormatter(_Formatter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        prefix = "radbank: " if record.levelno < logging.WARNING else f"radbank: {record.levelname.lower()}: "
        return prefix + record.getMessage()


# --- commands ---------------------------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    from radbank.anonymize.keys import keygen

    path = keygen(args.keyfile)
    print(f"{path}: new secret key (mode 0600). Keep it safe and out of every output: it links pseudonyms to people.")
    return 0


# --- parser -----------------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bars or info messages"
    )
    p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="debug messages")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="radbank", description=__doc__)
    parser.add_argument("--version", action="version", version=f"radbank {__version__}")
    _common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    cli_learn.add_parsers(sub, _common)
    cli_split.add_parsers(sub, _common)

    p = sub.add_parser("keygen", help="create a secret key file for pseudonyms (mode 0600)")
    p.add_argument("keyfile")
    _common(p)
    p.set_defaults(func=cmd_keygen)

    anon = sub.add_parser("anonymize", help="de-identify DICOM files (and, see its commands, other data)")
    anon_sub = anon.add_subparsers(dest="what", metavar="WHAT", required=True)
    cli_deid.add_parsers(sub, anon_sub, _common)
    cli_text.add_parsers(sub, anon_sub, _common)
    cli_mids.add_parsers(sub, _common)
    cli_findings.add_parsers(sub, _common)
    cli_risk.add_parsers(sub, _common)

    cli_serve.add_parsers(sub, _common)
    cli_deface.add_parsers(sub, _common)
    return parser


def _flags(settings: tuple[str, ...]) -> str:
    """The command-line flags of library settings (`label_table` -> `--label-table`), as a hint."""
    return f" ({', '.join('--' + s.replace('_', '-') for s in settings)})" if settings else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 nothing done, 2 user error, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # -q/-v may come before or after the command (their defaults are suppressed so neither position
    # overrides the other): give every command the same two attributes.
    args.quiet, args.verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
    _setup_logging(args.quiet, args.verbose)
    try:
        return int(args.func(args))
    except RadbankError as exc:
        print(f"radbank: error: {exc}{_flags(exc.settings)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("radbank: interrupted (rerun the same command to resume)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
