"""CLI commands of the learning side: demo, phantom, train, subset, evaluate, predict (thin over the library)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from radbank.cli_dataset import DATASET_OPTIONS, config_dict, dataset_arguments
from radbank.models import model_names


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
    *DATASET_OPTIONS,
    "size",
    "fit",
    "limit",
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "lr_schedule",
    "model",
    "weights",
    "device",
    "augment",
    "threshold",
    "cache",
    "max_pixels",
    "split_file",
)


def cmd_train(args: argparse.Namespace) -> int:
    from radbank.config import config_from_dict
    from radbank.evaluate import headline
    from radbank.train import train

    base = config_dict(args, TRAIN_OPTIONS)
    if getattr(args, "limit", None) == 0:
        base["limit"] = None  # --limit 0: no limit
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

    res = predict(
        args.run, args.images, device=args.device, workers=args.workers, batch_size=args.batch_size, cam_dir=args.cam
    )
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
    from radbank.subset import SubsetOptions, write_subset

    options = SubsetOptions(args.n or None, args.view, args.ratio, args.seed, args.copy, args.exclude_test)
    res = write_subset(args.nih_root, args.out, args.finding, options)
    for cls, n in res.images.items():
        print(f"{cls:<20} {n:6d} images  {res.patients[cls]:6d} patients")
    print(
        f"{res.out}: {res.linked} linked, {res.copied} copied; manifest.csv written"
        + (f"; {res.missing} listed image(s) missing on disk" if res.missing else "")
    )
    return 0


def _train_options(p: argparse.ArgumentParser) -> None:
    s = argparse.SUPPRESS  # only options given on the command line override the config file
    dataset_arguments(p)
    p.add_argument(
        "--split", dest="split_file", default=s, help="use this split file (from radbank split) instead of drawing one"
    )
    p.add_argument("--weights", default=s, help="start from this pretrained state_dict (.pt/.pth/.safetensors)")
    p.add_argument("--size", type=int, default=s, help="working size in pixels (default 100)")
    p.add_argument("--fit", choices=["stretch", "pad"], default=s, help="resize: stretch (tutorial) or pad")
    p.add_argument("--limit", type=int, default=s, help="use at most N images, 0 = all (default 1000)")
    p.add_argument("--epochs", type=int, default=s, help="epochs (default 20)")
    p.add_argument("--batch-size", type=int, dest="batch_size", default=s, help="batch size (default 32)")
    p.add_argument("--lr", type=float, default=s, help="learning rate (default 1e-3)")
    p.add_argument("--weight-decay", type=float, dest="weight_decay", default=s)
    p.add_argument("--lr-schedule", choices=["cosine", "constant"], dest="lr_schedule", default=s)
    p.add_argument("--model", choices=model_names(), default=s, help="architecture (default seedcnn)")
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


def _add_demo(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("demo", help="generate the phantom and run the whole tutorial on it")
    p.add_argument("--out", default="radbank-demo", help="output folder (default radbank-demo)")
    p.add_argument("--n", type=int, default=1000, help="number of images (default 1000)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0, help="phantom seed")
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="train again even if the run is complete")
    common(p)
    p.set_defaults(func=cmd_demo)


def _add_phantom(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
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
    common(p)
    p.set_defaults(func=cmd_phantom)


def _add_train(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("train", help="train a CNN on a dataset and evaluate it")
    p.add_argument("data", help="dataset: folder per class, NIH ChestX-ray14 folder, or DICOM folder")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    _train_options(p)
    common(p)
    p.set_defaults(func=cmd_train)


def _add_subset(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("subset", help="the tutorial's selection from NIH ChestX-ray14 or PadChest, as class folders")
    p.add_argument(
        "nih_root", help="NIH ChestX-ray14 folder (Data_Entry_2017.csv, images_*/images/) or PadChest folder"
    )
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
    common(p)
    p.set_defaults(func=cmd_subset)


def _add_evaluate(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("evaluate", help="(re)compute metrics, plots and report of a run")
    p.add_argument("run", help="run folder")
    p.add_argument("--device", default="auto")
    common(p)
    p.set_defaults(func=cmd_evaluate)


def _add_predict(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("predict", help="predict on image files or folders with a trained run")
    p.add_argument("run", help="run folder (or a model.safetensors file)")
    p.add_argument("images", nargs="+", help="image files or folders (PNG, JPEG, DICOM)")
    p.add_argument("--out", help="write a CSV here instead of printing")
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=None, dest="batch_size", help="default: 32 on CPU, 256 on GPU")
    p.add_argument("--cam", metavar="DIR", help="also write a Grad-CAM heatmap overlay per image into DIR")
    common(p)
    p.set_defaults(func=cmd_predict)


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register demo, phantom, train, subset, evaluate and predict on the main parser's sub-parsers."""
    for add in (_add_demo, _add_phantom, _add_train, _add_subset, _add_evaluate, _add_predict):
        add(sub, common)
