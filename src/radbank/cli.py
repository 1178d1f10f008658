"""The `radbank` command: a thin layer that parses options and calls the library."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from radbank import __version__, cli_learn, cli_mids, cli_serve, cli_split, cli_text
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


def _options(args: argparse.Namespace) -> Any:
    from radbank.anonymize.profile import Options

    return Options(
        retain_long_modified_dates=args.dates == "shift",
        retain_long_full_dates=args.dates == "keep",
        retain_patient_characteristics=args.patient_characteristics,
        retain_device_identity=args.device_identity,
        retain_institution_identity=args.institution_identity,
        retain_uids=args.retain_uids,
        retain_safe_private=args.safe_private,
        clean_descriptors=args.clean_descriptors,
        clean_structured_content=args.clean_structured_content,
        clean_graphics=args.clean_graphics,
    )


def cmd_anonymize_dicom(args: argparse.Namespace) -> int:
    from radbank.anonymize.audit import run_audit, write_audit
    from radbank.anonymize.batch import run_batch
    from radbank.progress import bar

    options = _options(args)
    if args.dry_run:
        from radbank.anonymize.dryrun import dry_run, format_plan

        print(format_plan(dry_run(args.input, args.key, options)))
        return 0
    with bar(None, "de-identifying", unit="file") as pbar:
        report = run_batch(
            args.input,
            args.output,
            args.key,
            options,
            work=args.work,
            workers=args.workers,
            executor=args.executor,
            scheduler=args.scheduler,
            ocr=args.ocr,
            strict_pixels=args.strict_pixels,
            rules=tuple(args.pixel_rules),
            progress=pbar.update,
        )
    c = report.counts
    print(
        f"{report.output}: {c['written']} written, {c['resumed']} already done, {c['quarantined']} quarantined, "
        f"{c['skipped']} skipped ({report.seconds:.1f}s)"
    )
    if args.no_audit:
        write_audit_batch_only(report)
        return 0
    audit = run_audit(
        args.input, args.output, allow=_allowed(options), skip_inputs=[Path(report.output), Path(report.work)]
    )
    path = write_audit(audit, report.work, report.to_dict())
    return _audit_verdict(audit, path)


def write_audit_batch_only(report: Any) -> None:
    from radbank.fsutil import write_json

    write_json(Path(report.work) / "deid-report.json", report.to_dict())


def _allowed(options: Any) -> tuple[str, ...]:
    return ("institution",) if options.retain_institution_identity else ()


def _audit_verdict(audit: Any, path: Path) -> int:
    if audit.passed:
        print(
            f"audit passed: {audit.outputs} outputs, 0 leaks of {audit.identifiers} identifying values "
            f"(report: {path.with_suffix('.html')})"
        )
        return 0
    for leak in audit.leaks[:20]:
        print(f"radbank: LEAK: {leak.file}: {leak.where}: {leak.kind} from {leak.source}", file=sys.stderr)
    for rel in audit.unmarked_outputs[:20]:
        print(f"radbank: LEAK: {rel}: not marked PatientIdentityRemoved=YES", file=sys.stderr)
    print(
        f"radbank: error: audit FAILED: {len(audit.leaks)} leak(s), {len(audit.unmarked_outputs)} unmarked "
        f"output(s); do not publish (report: {path.with_suffix('.html')})",
        file=sys.stderr,
    )
    return 3


def cmd_audit(args: argparse.Namespace) -> int:
    from radbank.anonymize.audit import run_audit, write_audit

    out = Path(args.output)
    audit = run_audit(args.input, out, allow=tuple(args.allow), skip_inputs=[out])
    work = Path(args.work) if args.work else out.with_name(out.name + ".deid")
    return _audit_verdict(audit, write_audit(audit, work))


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
    p = anon_sub.add_parser("dicom", help="PS3.15 de-identification of a DICOM folder tree, then an audit")
    p.add_argument("input", help="folder tree of DICOM files")
    p.add_argument("output", help="folder to write the de-identified copy to (publishable)")
    p.add_argument("--key", required=True, help="secret key file (radbank keygen KEYFILE)")
    p.add_argument(
        "--dates",
        choices=["shift", "keep", "remove"],
        default="shift",
        help="shift: Retain Longitudinal Temporal Information with Modified Dates (default, a keyed "
        "per-patient offset); keep: ...with Full Dates; remove: Basic Profile",
    )
    p.add_argument(
        "--patient-characteristics",
        action=argparse.BooleanOptionalAction,
        default=True,
        dest="patient_characteristics",
        help="Retain Patient Characteristics (sex, age, size, weight)",
    )
    p.add_argument(
        "--device-identity", action="store_true", dest="device_identity", help="Retain Device Identity Option"
    )
    p.add_argument(
        "--institution-identity",
        action="store_true",
        dest="institution_identity",
        help="Retain Institution Identity Option",
    )
    p.add_argument("--retain-uids", action="store_true", dest="retain_uids", help="Retain UIDs Option")
    p.add_argument(
        "--safe-private",
        action="store_true",
        dest="safe_private",
        help="Retain Safe Private Option (PS3.15 Table E.3.10-1); default: remove all private tags",
    )
    p.add_argument(
        "--clean-descriptors",
        action=argparse.BooleanOptionalAction,
        default=True,
        dest="clean_descriptors",
        help="Clean Descriptors Option: scrub descriptions and comments",
    )
    p.add_argument("--clean-structured-content", action="store_true", dest="clean_structured_content")
    p.add_argument("--clean-graphics", action="store_true", dest="clean_graphics")
    p.add_argument("--ocr", action="store_true", help="find burned-in text with tesseract and redact it")
    p.add_argument(
        "--strict-pixels",
        action="store_true",
        dest="strict_pixels",
        help="treat every image not declaring BurnedInAnnotation NO as suspect",
    )
    p.add_argument(
        "--pixel-rules",
        action="append",
        default=[],
        dest="pixel_rules",
        help="extra burned-in text rules (deid recipe format); repeatable",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        dest="dry_run",
        help="print what would be done to each attribute, write nothing",
    )
    p.add_argument("--work", help="folder for the report and quarantine (default OUTPUT.deid)")
    p.add_argument("--workers", type=int, default=0, help="processes (0 = all cores)")
    p.add_argument("--executor", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", help="Dask scheduler address, with --executor dask")
    p.add_argument("--no-audit", action="store_true", dest="no_audit", help="skip the leak audit afterwards")
    _common(p)
    p.set_defaults(func=cmd_anonymize_dicom)
    cli_text.add_parsers(sub, anon_sub, _common)
    cli_mids.add_parsers(sub, _common)

    p = sub.add_parser("audit", help="search every output for the identifying values of the inputs")
    p.add_argument("input", help="the original DICOM tree")
    p.add_argument("output", help="the de-identified tree")
    p.add_argument(
        "--allow",
        action="append",
        default=[],
        choices=["institution", "name", "id", "address", "phone", "date_of_birth"],
        help="an identifier kind the outputs may keep (e.g. institution with --institution-identity)",
    )
    p.add_argument("--work", help="where to write audit.json/.html (default OUTPUT.deid)")
    _common(p)
    p.set_defaults(func=cmd_audit)

    cli_serve.add_parsers(sub, _common)
    return parser


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
        print(f"radbank: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("radbank: interrupted (rerun the same command to resume)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
