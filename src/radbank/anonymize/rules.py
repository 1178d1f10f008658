"""The de-identification rule registry: one place decides the action for every attribute.

Sources, first match wins:
1. a site policy (a small YAML or CSV file keyed by attribute keyword, like deid's recipes): keep, remove,
   empty, replace, pseudonymise, clean or uid, overriding the standard for that attribute;
2. radbank's pseudonyms: Patient ID, Accession Number and Study ID get keyed pseudonyms of their value,
   Patient's Name the patient's pseudonym;
3. PS3.15 Table E.1-1 under the Options (profile.py);
4. otherwise the value representation decides (action "V": names emptied, dates shifted, UIDs remapped,
   text kept unless it holds an identifier; see dicom.py).
The de-identifier asks `RuleSet.decide` and nothing else, and its fast path (elements kept without decoding)
is derived from the same decision, so a rule can never be silently skipped.

Policy file, YAML:            or CSV (a header line, then one attribute per line):
    StudyDescription: keep        keyword,action
    InstitutionName: pseudonymise StudyDescription,keep
    (0008,1030): remove           InstitutionName,pseudonymise
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radbank.anonymize.profile import Options, load_table, resolve
from radbank.errors import RadbankError

POLICY_ACTIONS = {
    "keep": "K",
    "remove": "X",
    "empty": "Z",
    "replace": "D",
    "pseudonymise": "P",
    "pseudonymize": "P",
    "clean": "C",
    "uid": "U",
}
PSEUDONYM_KINDS = {0x00100020: "patient", 0x00080050: "accession", 0x00200010: "study"}
PATIENT_NAME = 0x00100010
TEXT_VRS = {"LO", "SH", "LT", "ST", "UT", "UC", "CS", "AE", "UR"}
PSEUDONYMISABLE_VRS = {"LO", "SH", "PN", "LT", "ST", "UT", "UC"}
# What the value can change: such elements are decoded even when kept.
VALUE_DEPENDENT_VRS = {"SQ", "UI", "DA", "DT", "TM", "AS", "PN", "UN"}
_TAG = re.compile(r"\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?")


@dataclass(frozen=True)
class Decision:
    """The action for one attribute and why (for the dry run and the plan)."""

    action: str  # K X Z D P C U U* X/Z X/D Z/D X/Z/D, or V: decide by VR and value
    why: str
    forced: bool = False  # a site policy's: applied as written (keep keeps even dates and names)


@dataclass(frozen=True)
class SitePolicy:
    """Per-attribute overrides of the standard's action, read from a YAML or CSV file."""

    actions: dict[int, str] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def load(cls, path: str | Path) -> SitePolicy:
        """Read a policy file (.yaml/.yml: a mapping; .csv: keyword,action rows)."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RadbankError(f"{p}: policy file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RadbankError(f"{p}: policy file unreadable ({exc})") from None
        pairs = _csv_pairs(text, p) if p.suffix.lower() == ".csv" else _yaml_pairs(text, p)
        actions: dict[int, str] = {}
        for name, action in pairs:
            tag, vr = _tag_of(name, p)
            letter = POLICY_ACTIONS.get(action.strip().lower())
            if letter is None:
                choices = ", ".join(sorted(POLICY_ACTIONS))
                raise RadbankError(f"{p}: {name}: unknown action {action!r} (choose one of {choices})")
            if letter == "P" and vr not in PSEUDONYMISABLE_VRS:
                raise RadbankError(f"{p}: {name}: cannot pseudonymise a value of VR {vr or 'unknown'} (text only)")
            actions[tag] = letter
        return cls(actions, str(p))


def _yaml_pairs(text: str, path: Path) -> list[tuple[str, str]]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RadbankError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return []
    if not isinstance(data, dict):
        raise RadbankError(f"{path}: expected a mapping of attribute keyword to action")
    return [(str(k), str(v)) for k, v in data.items()]


def _csv_pairs(text: str, path: Path) -> list[tuple[str, str]]:
    rows = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].lstrip().startswith("#")]
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["keyword", "action"]:
        rows = rows[1:]
    bad = [r for r in rows if len(r) != len(("keyword", "action"))]
    if bad:
        raise RadbankError(f"{path}: expected two columns (keyword,action), got {bad[0]!r}")
    return [(r[0].strip(), r[1].strip()) for r in rows]


def _tag_of(name: str, path: Path) -> tuple[int, str | None]:
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    found = _TAG.fullmatch(name.strip())
    tag = int(found.group(1) + found.group(2), 16) if found else tag_for_keyword(name.strip())
    if tag is None:
        raise RadbankError(f"{path}: {name!r} is not a DICOM attribute keyword or (gggg,eeee) tag")
    try:
        vr: str | None = dictionary_VR(tag)
    except KeyError:
        vr = None
    return tag, vr


@dataclass
class RuleSet:
    """Options + site policy -> one decision per tag (cached per process)."""

    options: Options = field(default_factory=Options)
    policy: SitePolicy = field(default_factory=SitePolicy)
    _memo: dict[int, Decision] = field(default_factory=dict, init=False, repr=False)
    _plain: dict[tuple[int, str | None], bool] = field(default_factory=dict, init=False, repr=False)

    def decide(self, tag: int) -> Decision:
        """The action for a public attribute (see the module docstring)."""
        found = self._memo.get(tag)
        if found is None:
            found = self._decide(tag)
            self._memo[tag] = found
        return found

    def _decide(self, tag: int) -> Decision:
        if tag in self.policy.actions:
            return Decision(self.policy.actions[tag], f"site policy {Path(self.policy.source).name}", forced=True)
        if tag in PSEUDONYM_KINDS or tag == PATIENT_NAME:
            return Decision("P", "keyed pseudonym (HMAC-SHA256)")
        row = load_table().lookup(tag)
        if row is not None:
            return Decision(resolve(row, self.options), "PS3.15 Table E.1-1")
        return Decision("V", "by VR")

    def kept_as_is(self, tag: int, vr: str | None) -> bool:
        """Whether an element is kept whatever its value, so it need not be decoded: the decision is K (or
        V for a VR the value cannot change) and nothing value-dependent applies."""
        known = self._plain.get((tag, vr))
        if known is None:
            decision = self.decide(tag)
            action = decision.action
            plain = vr is not None and vr not in VALUE_DEPENDENT_VRS
            forced_keep = decision.forced and action == "K" and vr is not None and vr not in ("SQ", "UN")
            known = forced_keep or (plain and (action == "K" or (action == "V" and vr not in TEXT_VRS)))
            self._plain[(tag, vr)] = known
        return known

    def describe(self) -> dict[str, Any]:
        """What the report and the output marker record (no values)."""
        return {
            "policy": Path(self.policy.source).name if self.policy.source else None,
            "overrides": len(self.policy.actions),
        }
