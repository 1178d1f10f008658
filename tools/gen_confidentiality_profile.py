#!/usr/bin/env python3
"""Generate radbank's action table from DICOM PS3.15 Annex E Table E.1-1.

Inputs (machine-readable renderings of the standard's table; nothing is fetched):
  --innolitics FILE   `confidentiality_profile_attributes.json` from innolitics/dicom-standard (also in the
                      `dicom-standard` wheel on PyPI): every row of Table E.1-1 with its Basic Profile action
                      and the action of each Option column.
  --dicomfields FILE  `dicomfields_<edition>.py` from the `dicom-anonymizer` wheel: the Basic Profile actions of
                      a newer edition, grouped by action. Its actions override the older table's for the rows
                      both have; rows only it has are added with the Basic Profile action and no Option entries
                      (the stricter reading until the option columns can be regenerated).

Output: src/radbank/resources/ps3.15_table_e1-1.csv with one row per attribute (or attribute pattern such as
(50xx,xxxx)) and one column per Option, preceded by `#` lines stating the sources.

Reproduce:
  pip download --no-deps dicom-standard==0.1.0 dicom-anonymizer==2.1.0 -d /tmp/w
  (cd /tmp/w && for f in *.whl; do unzip -o -q $f; done)
  python tools/gen_confidentiality_profile.py \\
      --innolitics /tmp/w/dicom_standard-0.1.0.data/data/standard/confidentiality_profile_attributes.json \\
      --dicomfields /tmp/w/dicomanonymizer/dicom_anonymization_databases/dicomfields_2026c.py
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import json
import re
import sys
from pathlib import Path

OPTION_COLUMNS = {  # innolitics key -> our column
    "rtnSafePrivOpt": "retain_safe_private",
    "rtnUIDsOpt": "retain_uids",
    "rtnDevIdOpt": "retain_device_identity",
    "rtnInstIdOpt": "retain_institution_identity",
    "rtnPatCharsOpt": "retain_patient_characteristics",
    "rtnLongFullDatesOpt": "retain_long_full_dates",
    "rtnLongModifDatesOpt": "retain_long_modified_dates",
    "cleanDescOpt": "clean_descriptors",
    "cleanStructContOpt": "clean_structured_content",
    "cleanGraphOpt": "clean_graphics",
}
GROUP_ACTION = {
    "D_TAGS": "D",
    "Z_TAGS": "Z",
    "X_TAGS": "X",
    "U_TAGS": "U",
    "Z_D_TAGS": "Z/D",
    "X_Z_TAGS": "X/Z",
    "X_D_TAGS": "X/D",
    "X_Z_D_TAGS": "X/Z/D",
    "X_Z_U_STAR_TAGS": "X/Z/U*",
}
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "radbank" / "resources" / "ps3.15_table_e1-1.csv"


def _pattern(tag: str) -> str:
    """'(0008,0050)' -> '0008,0050'; '(50XX,XXXX)' -> '50xx,xxxx' (x = any hex digit)."""
    return tag.strip("() ").lower()


def read_innolitics(path: Path) -> dict[str, dict[str, str]]:
    rows = {}
    for item in json.loads(path.read_text(encoding="utf-8")):
        tag = _pattern(item["tag"])
        if not re.fullmatch(r"[0-9a-fx]{4},[0-9a-fx]{4}", tag):
            continue  # e.g. "(gggg,eeee) where gggg is odd": private attributes, handled in code
        row = {
            "tag": tag,
            "name": item["name"],
            "basic": item["basicProfile"].strip(),
            "in_std_iod": item.get("stdCompIOD", ""),
        }
        for key, column in OPTION_COLUMNS.items():
            row[column] = item.get(key, "").strip()
        rows[tag] = row
    return rows


def read_dicomfields(path: Path) -> dict[str, tuple[str, str]]:
    """tag pattern -> (action, name) from a dicom-anonymizer dicomfields module (parsed, not imported)."""
    source = path.read_text(encoding="utf-8")
    names = {}
    for line in source.splitlines():
        m = re.match(
            r"\s*\((0x[0-9A-Fa-f]{4}), (0x[0-9A-Fa-f]{4})(?:, (0x[0-9A-Fa-f]{4}), (0x[0-9A-Fa-f]{4}))?\),\s*#\s*(.+)",
            line,
        )
        if m:
            names[_from_ints(*(int(g, 16) if g else None for g in m.groups()[:4]))] = m.group(5).strip()
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            action = GROUP_ACTION.get(node.targets[0].id)
            if action and isinstance(node.value, ast.List):
                for elt in node.value.elts:
                    values = ast.literal_eval(elt)
                    key = _from_ints(*values, *([None] * (4 - len(values))))
                    out[key] = (action, names.get(key, ""))
    return out


def _from_ints(group: int, element: int, gmask: int | None = None, emask: int | None = None) -> str:
    """(0x6000, 0x4000, 0xFF00, 0xFFFF) -> '60xx,4000': hex digits under a zero mask nibble become 'x'."""

    def fmt(value: int, mask: int | None) -> str:
        digits = f"{value:04x}"
        if mask is None:
            return digits
        m = f"{mask:04x}"
        return "".join(d if k != "0" else "x" for d, k in zip(digits, m, strict=True))

    return f"{fmt(group, gmask)},{fmt(element, emask)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--innolitics", type=Path, required=True)
    parser.add_argument("--dicomfields", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    rows = read_innolitics(args.innolitics)
    sources = [
        f"innolitics confidentiality_profile_attributes.json sha256:"
        f"{hashlib.sha256(args.innolitics.read_bytes()).hexdigest()[:16]} ({len(rows)} rows)"
    ]
    if args.dicomfields:
        newer = read_dicomfields(args.dicomfields)
        changed = added = 0
        for tag, (action, name) in newer.items():
            if tag in rows:
                if rows[tag]["basic"] != action:
                    rows[tag]["basic"], changed = action, changed + 1
            else:
                rows[tag] = {
                    "tag": tag,
                    "name": name,
                    "basic": action,
                    "in_std_iod": "",
                    **{c: "" for c in OPTION_COLUMNS.values()},
                }
                added += 1
        sources.append(
            f"{args.dicomfields.name} sha256:{hashlib.sha256(args.dicomfields.read_bytes()).hexdigest()[:16]}"
            f" (basic actions: {changed} updated, {added} rows added without option columns)"
        )
    columns = ["tag", "name", "basic", "in_std_iod", *OPTION_COLUMNS.values()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        fh.write("# DICOM PS3.15 Annex E Table E.1-1: Basic Application Level Confidentiality Profile and Options.\n")
        fh.write("# Generated by tools/gen_confidentiality_profile.py from:\n")
        for s in sources:
            fh.write(f"#   {s}\n")
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for tag in sorted(rows):
            writer.writerow(rows[tag])
    print(f"{args.out}: {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
