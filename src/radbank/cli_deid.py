"""CLI commands `radbank anonymize dicom` and `radbank audit` (thin over radbank.anonymize)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

LEAK_EXIT = 1  # the audit found identifying values in the outputs: do not publish


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
    from radbank.anonymize.audit import Provenance, run_audit, write_audit
    from radbank.anonymize.batch import DeidJob, run_batch
    from radbank.progress import bar

    options = _options(args)
    if (args.ears or args.deface_method) and not args.deface:
        from radbank.errors import RadbankError

        raise RadbankError("--ears and --deface-method go with --deface")
    if args.dry_run:
        from radbank.anonymize.dryrun import dry_run, format_plan

        print(format_plan(dry_run(args.input, args.key, options, args.policy)))
        return 0
    job = DeidJob(
        args.input,
        args.output,
        args.key,
        options=options,
        policy_file=args.policy,
        work=args.work,
        workers=args.workers,
        executor=args.executor,
        scheduler=args.scheduler,
        ocr=args.ocr,
        strict_pixels=args.strict_pixels,
        pixel_rules=tuple(args.pixel_rules),
        keep_undecodable=args.keep_undecodable,
        faces="deface" if args.deface else "keep" if args.keep_faces else "quarantine",
        deface_method=args.deface_method or "unet",
        ears=args.ears,
    )
    with bar(None, "de-identifying", unit="file") as pbar:
        report = run_batch(job, progress=pbar.update)
    c = report.counts
    print(
        f"{report.output}: {c['written']} written, {c['resumed']} already done, {c['quarantined']} quarantined, "
        f"{c['skipped']} skipped ({report.seconds:.1f}s)"
    )
    _faces_line(report.files)
    if args.no_audit:
        return 0
    skip = [Path(report.output), Path(report.work)]
    audit = run_audit(args.input, args.output, _allowed(options), skip, Provenance.of_batch(report))
    path = write_audit(audit, report.work, report.to_dict())
    return _audit_verdict(audit, path)


def _faces_line(files: list[Any]) -> None:
    """One line on head MR images: how many were defaced, kept, or quarantined with their face."""
    removed = sum(f.face.startswith("removed") and f.status == "written" for f in files)
    held = sum(f.face == "not removed" for f in files)
    kept = sum(f.face == "kept" and f.status == "written" for f in files)
    if removed or kept:
        print(
            f"head MR: {removed} file(s) published defaced" + (f", {kept} with the face (--keep-faces)" if kept else "")
        )
    if held:
        from radbank.anonymize.batch import FACE_NOT_REMOVED

        hint = "rerun with --deface" if any(f.reason.startswith(FACE_NOT_REMOVED) for f in files) else "see the report"
        print(f"head MR: {held} file(s) quarantined with the face not removed ({hint})", file=sys.stderr)


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
    return LEAK_EXIT


def cmd_audit(args: argparse.Namespace) -> int:
    from radbank.anonymize.audit import Provenance, run_audit, write_audit

    out = Path(args.output)
    work = Path(args.work) if args.work else out.with_name(out.name + ".deid")
    provenance = Provenance.of_work(work)
    audit = run_audit(args.input, out, allow=tuple(args.allow), skip_inputs=[out, work], provenance=provenance)
    return _audit_verdict(audit, write_audit(audit, work))


def _profile_options(p: argparse.ArgumentParser) -> None:
    """PS3.15 Table E.1-1 profile and options of `anonymize dicom`."""
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
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="site policy: YAML or CSV of attribute keyword -> keep|remove|empty|replace|pseudonymise "
        "(overrides PS3.15 for those attributes)",
    )


def _pixel_options(p: argparse.ArgumentParser) -> None:
    """Burned-in text and pixel data checks of `anonymize dicom`."""
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
        "--keep-undecodable",
        action="store_true",
        dest="keep_undecodable",
        help="publish images whose pixel data would not decode as they are (default: quarantine)",
    )


def _face_options(p: argparse.ArgumentParser) -> None:
    """Head MR faces in `anonymize dicom`."""
    faces = p.add_mutually_exclusive_group()
    faces.add_argument(
        "--deface",
        action="store_true",
        help="remove the face (and with --ears the ears) from head MR series before publishing them "
        "(default: head MR images are quarantined, never published with a face)",
    )
    faces.add_argument(
        "--keep-faces",
        action="store_true",
        dest="keep_faces",
        help="publish head MR images with their face, as they are (only where your site's policy allows it)",
    )
    p.add_argument(
        "--deface-method",
        choices=["unet", "template"],
        dest="deface_method",
        help="with --deface: unet (DeepDefacer's network, checked by the template; default) or template",
    )
    p.add_argument("--ears", action="store_true", help="with --deface: remove the ears too")
    p.add_argument(
        "--dry-run",
        action="store_true",
        dest="dry_run",
        help="print what would be done to each attribute, write nothing",
    )


def add_parsers(sub: Any, anon_sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `anonymize dicom` (on the anonymize sub-parsers) and `audit` (on the main ones)."""
    p = anon_sub.add_parser("dicom", help="PS3.15 de-identification of a DICOM folder tree, then an audit")
    p.add_argument("input", help="folder tree of DICOM files")
    p.add_argument("output", help="folder to write the de-identified copy to (publishable)")
    p.add_argument("--key", required=True, help="secret key file (radbank keygen KEYFILE)")
    _profile_options(p)
    _pixel_options(p)
    _face_options(p)
    p.add_argument("--work", help="folder for the report and quarantine (default OUTPUT.deid)")
    p.add_argument("--workers", type=int, default=0, help="processes (0 = all cores)")
    p.add_argument("--executor", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", help="Dask scheduler address, with --executor dask")
    p.add_argument("--no-audit", action="store_true", dest="no_audit", help="skip the leak audit afterwards")
    common(p)
    p.set_defaults(func=cmd_anonymize_dicom)
    p = sub.add_parser("audit", help="search every output for the identifying values of the inputs")
    p.add_argument("input", help="the original DICOM tree")
    p.add_argument("output", help="the de-identified tree")
    p.add_argument(
        "--allow",
        action="append",
        default=[],
        choices=["institution", "name", "id", "address", "phone", "date_of_birth", "uid"],
        help="an identifier kind the outputs may keep (e.g. institution with --institution-identity)",
    )
    p.add_argument(
        "--work",
        help="where to write audit.json/.html (default OUTPUT.deid; its deid-report.json, "
        "if any, tells which input each output came from)",
    )
    common(p)
    p.set_defaults(func=cmd_audit)
