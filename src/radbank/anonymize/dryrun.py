"""`--dry-run`: what de-identification would do to each attribute of a tree, as a table; nothing written.

Every file is de-identified in memory and the steps are aggregated per attribute and action. Values are
never shown (not even the date offset), so the table can be shared with whoever approves the protocol.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from radbank.anonymize.dicom import Deidentifier, Step
from radbank.anonymize.keys import Keyed
from radbank.anonymize.profile import Options
from radbank.anonymize.rules import SitePolicy
from radbank.fsutil import is_hidden

ACTIONS = {"X": "remove", "Z": "empty", "D": "replace", "K": "keep", "C": "clean", "U": "new UID", "P": "pseudonym"}


@dataclass(frozen=True)
class PlanRow:
    """One attribute, one action, in how many files."""

    tag: str
    keyword: str
    vr: str
    action: str
    detail: str
    files: int


def dry_run(
    in_dir: str | Path, key_file: str | Path, options: Options, policy_file: str | Path | None = None
) -> tuple[list[PlanRow], Counter[str], int]:
    """(plan rows, pixel decisions by status, files read), under the options and the site policy, if any."""
    import pydicom

    from radbank.anonymize.pixels import decide, load_rules

    policy = SitePolicy.load(policy_file) if policy_file else SitePolicy()
    deid = Deidentifier(Keyed.from_file(key_file), options, policy)
    rules = load_rules()
    counts: Counter[tuple[str, str, str, str, str]] = Counter()
    pixels: Counter[str] = Counter()
    root = Path(in_dir)
    read = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or is_hidden(path.relative_to(root)):
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            pixels["skipped (not DICOM)"] += 1
            continue
        read += 1
        pixels[decide(ds, rules).status] += 1
        steps: list[Step] = []
        deid.deidentify(ds, plan=steps)
        for key in {(s.tag, s.keyword, s.vr, s.action, s.detail) for s in steps}:
            counts[key] += 1
    rows = [PlanRow(*key, n) for key, n in counts.items()]
    return sorted(rows, key=lambda r: (r.tag, r.action)), pixels, read


def format_plan(result: tuple[list[PlanRow], Counter[str], int]) -> str:
    """The plan as a text table, then the pixel decisions."""
    rows, pixels, read = result
    head = f"{'tag':<13} {'attribute':<40} {'VR':<3} {'action':<8} {'files':>6}  what"
    lines = [f"dry run over {read} DICOM file(s): nothing written", head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.tag:<13} {r.keyword[:40]:<40} {r.vr:<3} {ACTIONS.get(r.action, r.action):<8} {r.files:>6}  {r.detail}"
        )
    lines.append("pixels: " + ", ".join(f"{n} {status}" for status, n in sorted(pixels.items())))
    return "\n".join(lines)
