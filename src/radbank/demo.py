"""`radbank demo`: the whole tutorial on the embedded phantom data, in one command."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from radbank.config import TrainConfig
from radbank.mids.export import ExportReport
from radbank.phantom import PhantomSpec, generate
from radbank.progress import bar
from radbank.train import TrainResult, train

log = logging.getLogger(__name__)


@dataclass
class DemoResult:
    """Where the demo wrote things and how long each part took."""

    data: Path
    result: TrainResult
    phantom_seconds: float
    seconds: float
    mids: ExportReport | None = None
    risk_text: str = ""


def run_demo(
    out: str | Path = "radbank-demo",
    n: int = 1000,
    epochs: int = 20,
    seed: int = 0,
    device: str = "auto",
    workers: int = 0,
    overwrite: bool = False,
) -> DemoResult:
    """Generate the phantom (reused when present), train the tutorial's model, evaluate, report."""
    started = time.perf_counter()
    root = Path(out)
    data = root / "data"
    with bar(n, "phantom") as pbar:
        generate(data, PhantomSpec(n=n, seed=seed), workers=workers, progress=pbar.update)
    phantom_seconds = time.perf_counter() - started
    cfg = TrainConfig(
        data=str(data),
        out=str(root / "run"),
        limit=n,
        epochs=epochs,
        device=device,
        workers=workers,
        cache=str(root / "cache"),
    )
    result = train(cfg, overwrite=overwrite)
    mids, risk_text = publish(data, root, n, seed, workers)
    return DemoResult(data, result, phantom_seconds, time.perf_counter() - started, mids, risk_text)


QUASI = ["age", "sex"]
SENSITIVE = ["finding"]
TARGET_K = 5


def publish(data: Path, root: Path, n: int, seed: int, workers: int) -> tuple[ExportReport, str]:
    """The open-dataset half of the demo: the phantom as MIDS (with reports), validated, and its risk report."""
    from radbank.fsutil import write_json, write_text
    from radbank.mids.export import ExportOptions, export_mids
    from radbank.mids.metadata import apply_metadata
    from radbank.mids.validate import validate_mids
    from radbank.phantom.cases import plan_cases
    from radbank.phantom.layouts import PIXEL_SPACING
    from radbank.phantom.reports import report_text
    from radbank.risk.generalize import generalise
    from radbank.risk.measures import assess, format_report
    from radbank.sources.folders import read_class_folders
    from radbank.tables import read_table

    records = read_class_folders(data)
    meta = read_table(data / "phantom.csv").drop(columns=["patient"])  # keep NIH-style patient IDs
    apply_metadata(records, meta.assign(pixel_spacing=f"{PIXEL_SPACING:.6f}"), data, "phantom.csv")
    cases = {c.image_index: c for c in plan_cases(n, seed)}
    reports = {s: report_text(cases[f"{s}.png"]) for s in records.table["study"]}
    with bar(len(records), "mids export") as pbar:
        options = ExportOptions(name="radbank demo phantom", workers=workers)
        rep = export_mids(records, root / "mids", reports, options, progress=pbar.update)
    issues = validate_mids(rep.out)
    errors = [i for i in issues if i.level == "error"]
    if errors:
        log.warning("MIDS export has %d validation error(s), first: %s", len(errors), errors[0])
    table = read_table(rep.out / "participants.tsv")
    before = assess(table, QUASI, SENSITIVE)
    g = generalise(table, QUASI, TARGET_K)
    after = assess(g.table, QUASI, SENSITIVE)
    text = "\n\n".join(
        [
            format_report(before, "participants.tsv as exported"),
            f"generalised to k >= {TARGET_K}: "
            + ", ".join(f"{q} level {g.levels[q]}/{g.top_levels[q]}" for q in QUASI)
            + f"; {g.suppressed} suppressed; precision {g.loss['precision']}",
            format_report(after, "after generalisation"),
        ]
    )
    write_text(root / "risk.txt", text + "\n")
    checks = {"errors": len(errors), "warnings": len(issues) - len(errors)}
    write_json(
        root / "risk.json",
        {
            "before": before.to_dict(),
            "after": after.to_dict(),
            "levels": g.levels,
            "suppressed": g.suppressed,
            "loss": g.loss,
            "validation": checks,
        },
    )
    return rep, text
