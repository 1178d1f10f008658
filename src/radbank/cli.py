"""The `radbank` command: a thin layer that parses options and calls the library."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from radbank import __version__, cli_deface, cli_mids, cli_serve, cli_text
from radbank.errors import RadbankError

log = logging.getLogger("radbank")
Handler = Callable[[argparse.Namespace], int]


def _setup_logging(quiet: bool, verbose: bool) -> None:
    from radbank.progress import TqdmHandler, set_quiet

    set_quiet(quiet)
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


def cmd_demo(args: argparse.Namespace) -> int:
    from radbank.demo import run_demo
    from radbank.evaluate import headline

    res = run_demo(
        args.out,
        n=args.n,
        epochs=args.epochs,
        seed=args.seed,
        device=args.device,
        workers=args.workers,
        overwrite=args.overwrite,
    )
    run = res.result.run.root
    print(f"data:   {res.data}  ({args.n} synthetic radiographs, No-Finding vs Pneumothorax)")
    print(f"run:    {run}")
    print(f"report: {run / 'report.html'}")
    print(headline(res.result.metrics))
    if res.mids is not None:
        print(f"mids:   {res.mids.summary()}")
        print(f"risk:   {Path(args.out) / 'risk.txt'}  (k-anonymity of participants.tsv on age, sex)")
    print(f"total {res.seconds:.1f}s (phantom {res.phantom_seconds:.1f}s)")
    return 0


def cmd_phantom(args: argparse.Namespace) -> int:
    from radbank.phantom import PhantomSpec, generate
    from radbank.progress import bar

    extra = args.findings == "all"
    positive = args.positive_fraction if args.positive_fraction is not None else (0.2 if extra else 0.5)
    spec = PhantomSpec(
        n=args.n,
        seed=args.seed,
        positive_fraction=positive,
        subtle_fraction=args.subtle_fraction,
        layout=args.layout,
        extra_findings=extra,
    )
    with bar(args.n, "phantom") as pbar:
        out = generate(args.out, spec, workers=args.workers, progress=pbar.update)
    where = "images_*/images/ with Data_Entry_2017.csv" if args.layout == "nih" else "No-Finding/ and Pneumothorax/"
    print(f"{out}: {args.n} images in {where} (metadata: phantom.csv)")
    return 0


TRAIN_OPTIONS = (
    "source", "positive", "labels", "view", "label_table", "modalities", "test_split", "size", "fit", "limit",
    "val_fraction", "epochs", "batch_size", "lr", "weight_decay", "lr_schedule", "seed", "model", "weights",
    "device", "augment", "threshold", "workers", "cache", "max_pixels", "patient_regex",
)  # fmt: skip


def cmd_train(args: argparse.Namespace) -> int:
    from radbank.config import TrainConfig, config_from_dict, load_config
    from radbank.evaluate import headline
    from radbank.train import train

    base = load_config(args.config).to_dict() if getattr(args, "config", None) else TrainConfig().to_dict()
    overrides = {k: getattr(args, k) for k in TRAIN_OPTIONS if hasattr(args, k)}
    if overrides.get("limit") == 0:
        overrides["limit"] = None  # --limit 0: no limit
    base.update(overrides)
    base["data"], base["out"] = args.data, args.out
    cfg = config_from_dict(base, "options")
    result = train(cfg, overwrite=args.overwrite)
    print(f"run:    {result.run.root}")
    print(f"report: {result.run.report}")
    print(headline(result.metrics))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from radbank.evaluate import evaluate_run, headline

    results = evaluate_run(args.run, device=args.device)
    print(headline(results))
    print(f"wrote {Path(args.run) / 'metrics.json'} and {Path(args.run) / 'report.html'}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from radbank.predict import predict
    from radbank.runs import write_csv, write_skipped

    res = predict(args.run, args.images, device=args.device, workers=args.workers, batch_size=args.batch_size,
                  cam_dir=args.cam)  # fmt: skip
    if args.out:
        write_csv(res.table, args.out)
        if res.skipped:
            write_skipped(Path(args.out).with_name(Path(args.out).stem + "-skipped.csv"), res.skipped)
        print(f"{args.out}: {len(res.table)} predictions, {len(res.skipped)} skipped")
    else:
        print(
            res.table.to_string(index=False, float_format=lambda v: f"{v:.4f}") if len(res.table) else "no predictions"
        )
    if res.skipped:
        print(f"{len(res.skipped)} file(s) skipped", file=sys.stderr)
    return 0 if len(res.table) or not res.skipped else 1


def cmd_subset(args: argparse.Namespace) -> int:
    from radbank.subset import write_subset

    res = write_subset(
        args.nih_root,
        args.out,
        args.finding,
        n=args.n or None,
        view=args.view,
        ratio=args.ratio,
        seed=args.seed,
        copy=args.copy,
        exclude_test=args.exclude_test,
    )
    for cls, n in res.images.items():
        print(f"{cls:<20} {n:6d} images  {res.patients[cls]:6d} patients")
    print(
        f"{res.out}: {res.linked} linked, {res.copied} copied; manifest.csv written"
        + (f"; {res.missing} listed image(s) missing on disk" if res.missing else "")
    )
    return 0


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


def _train_options(p: argparse.ArgumentParser) -> None:
    s = argparse.SUPPRESS  # only options given on the command line override the config file
    p.add_argument("--config", default=s, help="YAML config file (options given here override it)")
    p.add_argument(
        "--source",
        choices=["auto", "folders", "nih", "dicom", "mids"],
        default=s,
        help="dataset kind (default auto: mids if dataset_description.json, nih if Data_Entry_2017.csv, "
        "dicom if DICOM, else folders)",
    )
    p.add_argument("--labels", default=s, help="multi-label sources: all, or a comma list of findings")
    p.add_argument("--view", default=s, help="keep only this View Position (PA, AP)")
    p.add_argument("--label-table", dest="label_table", default=s, help="DICOM folders: CSV of labels")
    p.add_argument("--modalities", default=s, help="DICOM folders: accepted modalities (default CR,DX; any)")
    p.add_argument(
        "--test-split",
        dest="test_split",
        default=s,
        help="none (default), official (NIH's test_list.txt) or a fraction of patients",
    )
    p.add_argument("--weights", default=s, help="start from this pretrained state_dict (.pt/.pth/.safetensors)")
    p.add_argument("--positive", default=s, help="the class that means disease (label 1), when names are unclear")
    p.add_argument("--size", type=int, default=s, help="working size in pixels (default 100)")
    p.add_argument("--fit", choices=["stretch", "pad"], default=s, help="resize: stretch (tutorial) or pad")
    p.add_argument("--limit", type=int, default=s, help="use at most N images, 0 = all (default 1000)")
    p.add_argument("--val-fraction", type=float, dest="val_fraction", default=s, help="validation share (0.2)")
    p.add_argument("--epochs", type=int, default=s, help="epochs (default 20)")
    p.add_argument("--batch-size", type=int, dest="batch_size", default=s, help="batch size (default 32)")
    p.add_argument("--lr", type=float, default=s, help="learning rate (default 1e-3)")
    p.add_argument("--weight-decay", type=float, dest="weight_decay", default=s)
    p.add_argument("--lr-schedule", choices=["cosine", "constant"], dest="lr_schedule", default=s)
    p.add_argument("--seed", type=int, default=s, help="random seed (default 42)")
    p.add_argument(
        "--model", choices=["seedcnn", "tutorialcnn", "densenet121", "resnet18"], default=s, help="default seedcnn"
    )
    p.add_argument("--device", default=s, help="auto, cpu or cuda")
    p.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=s,
        help="random affine + intensity augmentation on tensors",
    )
    p.add_argument("--threshold", type=float, default=s, help="decision threshold (default 0.5)")
    p.add_argument("--workers", type=int, default=s, help="decoding processes (0 = all cores)")
    p.add_argument("--cache", default=s, help="cache folder (default $RADBANK_CACHE or ~/.cache/radbank)")
    p.add_argument("--max-pixels", type=int, dest="max_pixels", default=s, help="reject larger images")
    p.add_argument(
        "--patient-regex",
        dest="patient_regex",
        default=s,
        help="regex whose group 1 is the patient ID in a file name (default: NIH names)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="radbank", description=__doc__)
    parser.add_argument("--version", action="version", version=f"radbank {__version__}")
    _common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("demo", help="generate the phantom and run the whole tutorial on it")
    p.add_argument("--out", default="radbank-demo", help="output folder (default radbank-demo)")
    p.add_argument("--n", type=int, default=1000, help="number of images (default 1000)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0, help="phantom seed")
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="train again even if the run is complete")
    _common(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("phantom", help="write synthetic chest radiographs in the tutorial's layout")
    p.add_argument("out", help="output folder")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--layout",
        choices=["folders", "nih"],
        default="folders",
        help="folders: the tutorial's class folders; nih: NIH ChestX-ray14's release layout",
    )
    p.add_argument(
        "--findings",
        choices=["pneumothorax", "all"],
        default="pneumothorax",
        help="all: also cardiomegaly, effusion and nodules (multi-label)",
    )
    p.add_argument(
        "--positive-fraction",
        type=float,
        default=None,
        dest="positive_fraction",
        help="share of pneumothorax images (default 0.5; 0.2 with --findings all)",
    )
    p.add_argument("--subtle-fraction", type=float, default=0.3, dest="subtle_fraction")
    p.add_argument("--workers", type=int, default=0)
    _common(p)
    p.set_defaults(func=cmd_phantom)

    p = sub.add_parser("train", help="train a CNN on a dataset and evaluate it")
    p.add_argument("data", help="dataset: folder per class, NIH ChestX-ray14 folder, or DICOM folder")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    _train_options(p)
    _common(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("subset", help="the tutorial's selection from NIH ChestX-ray14, as class folders")
    p.add_argument("nih_root", help="NIH ChestX-ray14 folder (Data_Entry_2017.csv, images_*/images/)")
    p.add_argument("--finding", required=True, help="e.g. Pneumothorax")
    p.add_argument("--out", required=True, help="folder to write (No-Finding/ and FINDING/ + manifest.csv)")
    p.add_argument("--n", type=int, default=1000, help="images in all (default 1000; 0 = all eligible)")
    p.add_argument("--view", help="keep only this View Position (PA or AP)")
    p.add_argument("--ratio", choices=["balanced", "natural"], default="balanced")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--copy", action="store_true", help="copy files instead of hard-linking")
    p.add_argument(
        "--exclude-test", action="store_true", dest="exclude_test", help="leave out images of NIH's official test list"
    )
    _common(p)
    p.set_defaults(func=cmd_subset)

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

    p = sub.add_parser("evaluate", help="(re)compute metrics, plots and report of a run")
    p.add_argument("run", help="run folder")
    p.add_argument("--device", default="auto")
    _common(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="predict on image files or folders with a trained run")
    p.add_argument("run", help="run folder (or a model.safetensors file)")
    p.add_argument("images", nargs="+", help="image files or folders (PNG, JPEG, DICOM)")
    p.add_argument("--out", help="write a CSV here instead of printing")
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=None, dest="batch_size", help="default: 32 on CPU, 256 on GPU")
    p.add_argument("--cam", metavar="DIR", help="also write a Grad-CAM heatmap overlay per image into DIR")
    _common(p)
    p.set_defaults(func=cmd_predict)
    cli_serve.add_parsers(sub, _common)
    cli_deface.add_parsers(sub, _common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 nothing done, 2 user error, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(getattr(args, "quiet", False), getattr(args, "verbose", False))
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
