"""Burned-in text in pixel data: decide, redact, or quarantine. Never publish a suspect image silently.

Rules are recipes in the format of pydicom/deid (`%filter whitelist|graylist|blacklist`, `LABEL ...`, criteria
lines joined by `+` (and) / `||` (or), `coordinates x0,y0,x1,y1` or `ctpcoordinates x,y,w,h`). radbank ships
deid's own recipe (derived from RSNA CTP's DicomPixelAnonymizer) and a few rules of its own; users add theirs.

Decision for one image:
1. BurnedInAnnotation (0028,0301) = YES makes it suspect, whatever else says;
2. otherwise a matching whitelist rule makes it clean, a matching blacklist rule quarantines it;
3. matching graylist rules make it suspect, and contribute their rectangles;
4. US/SC/OT/ES/XC/DOC images that do not declare BurnedInAnnotation = NO are suspect; with `strict`, so is
   any image that does not declare it.
A suspect image is redacted over the union of the rule rectangles and, with `ocr`, of the text boxes
tesseract finds; one that ends with nothing to redact is quarantined with the reason (an image declaring
BurnedInAnnotation YES on which OCR finds no text is quarantined too: the two disagree).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from radbank.anonymize.identifiers import value_text
from radbank.errors import RadbankError

PACKAGED = ("deid.dicom", "radbank.pixels")
BURN_PRONE = {"US", "SC", "OT", "ES", "XC", "DOC"}
OCR_MIN_CONFIDENCE = 40
OCR_VERIFY_CONFIDENCE = 50
OCR_TEXT_CONFIDENCE = 80
OCR_SCALES = (3.0, 4.0)
OCR_MAX_LINE_SHARE = 0.15  # a "word" taller than this share of the image is not text
OCR_PAD = 3
OCR_MIN_WORD, OCR_MIN_TOKEN, OCR_LONG_WORD = 4, 3, 8  # letters: a word to flag, a token read, a long word
TSV_COLUMNS = 12  # tesseract's TSV: level ... conf, text

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), pixel columns/rows


@dataclass(frozen=True)
class Clause:
    action: str  # contains, notcontains, equals, notequals, missing, present, empty, startswith, endswith
    field: str
    value: str


@dataclass
class Rule:
    """One LABEL of a recipe: criteria as a flat list [clause, op, clause, op, ...] and rectangles."""

    group: str
    label: str
    criteria: list[Any] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)

    def matches(self, ds: Any) -> bool:
        if not self.criteria:
            return bool(self.boxes)
        result = _clause(ds, self.criteria[0])
        for op, clause in zip(self.criteria[1::2], self.criteria[2::2], strict=True):
            result = (result and _clause(ds, clause)) if op == "and" else (result or _clause(ds, clause))
        return result


@dataclass
class PixelDecision:
    """What to do with an image's pixels."""

    status: str  # clean, redact, quarantine
    reasons: list[str] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)


def parse_recipe(text: str, origin: str = "recipe") -> list[Rule]:
    """Rules from a deid-format recipe (only its %filter sections; header actions are not used here)."""
    rules: list[Rule] = []
    group = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.strip().startswith("LABEL") else raw.strip()
        if not line or line.startswith("FORMAT") or line.startswith("%header"):
            group = None if line.startswith("%header") else group
            continue
        if line.startswith("%filter"):
            group = line.split()[1].lower()
            continue
        if group is None:
            continue
        if line.startswith("LABEL"):
            rules.append(Rule(group, line[5:].split("#", 1)[0].strip()))
            continue
        if not rules:
            raise RadbankError(f"{origin}: criteria before any LABEL: {line!r}")
        if not _coordinates(rules[-1], line, origin):
            _criteria(rules[-1], line, origin)
    return rules


def _coordinates(rule: Rule, line: str, origin: str) -> bool:
    """Add a line's rectangle to the rule if it is a coordinates line (keep-coordinates lines are read and
    ignored); False when it is a criterion instead."""
    low = line.lower()
    if low.startswith(("keepcoordinates", "ctpkeepcoordinates")):
        return True
    if not low.startswith(("ctpcoordinates", "coordinates")):
        return False
    numbers = [int(float(n)) for n in re.findall(r"-?\d+(?:\.\d+)?", line.split(None, 1)[1] if " " in line else "")]
    if len(numbers) != len("xywh"):
        raise RadbankError(f"{origin}: bad coordinates {line!r}")
    x0, y0, a, b = numbers
    rule.boxes.append((x0, y0, x0 + a, y0 + b) if low.startswith("ctp") else (x0, y0, a, b))
    return True


def _criteria(rule: Rule, line: str, origin: str) -> None:
    """Add a criteria line (clauses joined by + and ||, itself joined to the rule's by its leading + or ||)."""
    op = None
    if line.startswith("+"):
        op, line = "and", line[1:].strip()
    elif line.startswith("||"):
        op, line = "or", line[2:].strip()
    parts = re.split(r"\s+(\|\||\+)\s+", line)
    clauses = [_parse_clause(p, origin) for p in parts[0::2]]
    inner = ["or" if o == "||" else "and" for o in parts[1::2]]
    flat: list[Any] = [clauses[0]]
    for o, c in zip(inner, clauses[1:], strict=True):
        flat += [o, c]
    if rule.criteria:
        rule.criteria += [op or "and", *_group(flat)]
    else:
        rule.criteria += _group(flat)


def _group(flat: list[Any]) -> list[Any]:
    """A line's clauses behave as one criterion: evaluate them into a nested rule."""
    if len(flat) == 1:
        return flat
    return [Rule("line", "", flat)]


def _parse_clause(text: str, origin: str) -> Clause:
    words = text.split(None, 2)
    if not words:
        raise RadbankError(f"{origin}: empty criterion")
    action = words[0].lower()
    if action in ("missing", "present", "empty"):
        if len(words) < len(("action", "field")):
            raise RadbankError(f"{origin}: {action} needs a field")
        return Clause(action, words[1], "")
    if len(words) < len(("action", "field", "value")):
        raise RadbankError(f"{origin}: criterion {text!r} needs a field and a value")
    return Clause(action, words[1], words[2].strip())


class _Fields:
    """A dataset's fields as the rules read them (present?, value lower-cased), each looked up once."""

    def __init__(self, ds: Any) -> None:
        self.ds = ds
        self._seen: dict[str, tuple[bool, str]] = {}

    def get(self, name: str) -> tuple[bool, str]:
        found = self._seen.get(name)
        if found is None:
            try:
                elem = self.ds.data_element(name)
            except (KeyError, ValueError):
                elem = None  # a field name this dictionary does not know
            value = "" if elem is None or elem.value is None else value_text(elem.value)
            found = (elem is not None, value.lower().strip())
            self._seen[name] = found
        return found


def _clause(ds: Any, clause: Clause | Rule) -> bool:
    if isinstance(clause, Rule):
        return clause.matches(ds)
    fields = ds if isinstance(ds, _Fields) else _Fields(ds)
    present, low = fields.get(clause.field)
    if clause.action in ("missing", "present"):
        return present == (clause.action == "present")
    if clause.action == "empty":
        return present and low == ""
    if not present:
        return clause.action.startswith("not")
    return _compare(clause.action, low, clause.value.lower().strip())


def _compare(action: str, low: str, term: str) -> bool:
    if action in ("contains", "notcontains"):
        return (re.search(term, low) is not None) == (action == "contains")
    if action in ("equals", "notequals"):
        return (low == term) == (action == "equals")
    if action == "startswith":
        return low.startswith(term)
    return action == "endswith" and low.endswith(term)


@cache
def packaged_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for name in PACKAGED:
        text = resources.files("radbank.resources").joinpath(name).read_text("utf-8")
        rules += parse_recipe(text, name)
    return tuple(rules)


def load_rules(extra: list[str | Path] | None = None) -> list[Rule]:
    """The packaged rules plus any user recipe files."""
    rules = list(packaged_rules())
    for path in extra or []:
        p = Path(path)
        try:
            rules += parse_recipe(p.read_text(encoding="utf-8"), str(p))
        except OSError as exc:
            raise RadbankError(f"{p}: cannot read pixel rules ({exc.strerror})") from None
    return rules


def ocr_available() -> bool:
    return shutil.which("tesseract") is not None


def decide(ds: Any, rules: list[Rule], ocr: bool = False, strict: bool = False) -> PixelDecision:
    """Clean, redact (with the boxes) or quarantine (with the reasons); see the module docstring."""
    declared = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    modality = str(ds.get("Modality", "") or "").strip().upper()
    reasons: list[str] = []
    boxes: list[Box] = []
    fields = _Fields(ds)
    if declared == "YES":
        reasons.append("BurnedInAnnotation is YES")
    elif any(r.group == "whitelist" and r.matches(fields) for r in rules):
        return PixelDecision("clean", ["whitelisted"])
    elif black := next((r.label for r in rules if r.group == "blacklist" and r.matches(fields)), None):
        return PixelDecision("quarantine", [f"blacklisted by rule: {black}"])
    for rule in rules:
        if rule.group == "graylist" and rule.matches(fields):
            reasons.append(f"rule: {rule.label}")
            boxes += rule.boxes
    if not reasons:
        if modality in BURN_PRONE and declared != "NO":
            reasons.append(f"modality {modality} often has burned-in text")
        elif strict and declared != "NO":
            reasons.append("BurnedInAnnotation not declared NO (strict)")
        else:
            return PixelDecision("clean")
    if ocr:
        return _with_ocr(ds, reasons, boxes, declared == "YES")
    if boxes:
        return PixelDecision("redact", reasons, boxes)
    return PixelDecision("quarantine", [*reasons, "no redaction rule matches (add one, or use OCR)"])


def _with_ocr(ds: Any, reasons: list[str], boxes: list[Box], declared: bool) -> PixelDecision:
    """A suspect image's decision once tesseract has read it (rule rectangles in `boxes` kept)."""
    if not ocr_available():
        raise RadbankError("OCR asked for, but tesseract is not installed (Debian: apt-get install tesseract-ocr)")
    found = ocr_boxes(ds)
    if found:
        return PixelDecision("redact", [*reasons, f"OCR found {len(found)} text region(s)"], boxes + found)
    if boxes:
        return PixelDecision("redact", reasons, boxes)
    if declared:
        return PixelDecision("quarantine", [*reasons, "OCR found no text although the file declares some"])
    return PixelDecision("clean", [*reasons, "OCR found no text"])


@dataclass(frozen=True)
class Word:
    """A word tesseract read, with its confidence and box in image pixels."""

    text: str
    confidence: float
    box: Box


def ocr_words(ds: Any) -> list[Word]:
    """Words tesseract reads on the displayed (first frame of the) image, at two enlargements.

    Small burned-in text is read better enlarged, and which enlargement works varies from image to image
    (seen here: an ID read at 4x was missed at 3.9x), so both 3x and 4x are read and the words pooled.
    """
    from radbank.io.dicom import dicom_to_float

    frame = dicom_to_float(_first_frame_view(ds), "ocr", 10**9)
    image = Image.fromarray((frame * 255).astype(np.uint8))
    words: list[Word] = []
    with tempfile.TemporaryDirectory(prefix="radbank-ocr-") as tmp:
        for scale in OCR_SCALES:
            big = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
            png = Path(tmp) / f"frame{scale}.png"
            big.save(png)
            proc = subprocess.run(
                ["tesseract", str(png), "stdout", "--psm", "11", "tsv"], capture_output=True, text=True, timeout=120
            )
            if proc.returncode != 0:
                message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else str(proc.returncode)
                raise RadbankError(f"tesseract failed: {message}")
            for line in proc.stdout.splitlines()[1:]:
                cols = line.split("\t")
                if len(cols) < TSV_COLUMNS or cols[0] != "5" or not cols[11].strip():
                    continue
                left, top, width, height = (int(c) for c in cols[6:10])
                words.append(
                    Word(
                        cols[11].strip(),
                        float(cols[10]),
                        (
                            int(left / scale),
                            int(top / scale),
                            int((left + width) / scale) + 1,
                            int((top + height) / scale) + 1,
                        ),
                    )
                )
    return words


def ocr_boxes(ds: Any) -> list[Box]:
    """Boxes (padded) of plausible text: some letter or digit, confident enough, not taller than a line."""
    rows = int(ds.Rows)
    boxes = []
    for w in ocr_words(ds):
        x0, y0, x1, y1 = w.box
        if w.confidence < OCR_MIN_CONFIDENCE or not re.search(r"[0-9A-Za-z]", w.text):
            continue
        if y1 - y0 > OCR_MAX_LINE_SHARE * rows:
            continue  # not a line of text: the image's own structure read as a "word"
        boxes.append((max(0, x0 - OCR_PAD), max(0, y0 - OCR_PAD), x1 + OCR_PAD, y1 + OCR_PAD))
    return boxes


def remaining_text(ds: Any, identifiers: Any = None) -> list[str]:
    """Words still legible after redaction that may identify someone (so the image must not be published):
    - any word close to one of the file's own identifiers (OCR garbles letters: "Sanchez" -> "Sinchez"),
    - any word with a run of 4 or more digits (IDs, dates),
    - any confidently read word (>= OCR_TEXT_CONFIDENCE) of 4 or more letters.
    Image structure misread as short, low-confidence "words" ("Pte" on a pleural line) does not count."""
    parts: set[str] = set()
    if identifiers is not None:
        for ident in identifiers:
            parts.update(p for p in re.split(r"[^0-9a-zà-ÿ]+", ident.text) if len(p) >= OCR_MIN_WORD)
    flagged = []
    for w in ocr_words(ds):
        token = re.sub(r"[^0-9A-Za-zÀ-ÿ]", "", w.text).lower()
        if w.confidence < OCR_VERIFY_CONFIDENCE or len(token) < OCR_MIN_TOKEN:
            continue
        if (
            re.search(r"\d{4,}", token)
            or (w.confidence >= OCR_TEXT_CONFIDENCE and sum(c.isalpha() for c in token) >= OCR_MIN_WORD)
            or any(_close(token, p) for p in parts)
        ):
            flagged.append(w.text)
    return flagged


def _close(a: str, b: str) -> bool:
    """Edit distance of at most 1 (2 for words of 8+ letters): an OCR reading of the same word."""
    limit = 2 if max(len(a), len(b)) >= OCR_LONG_WORD else 1
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] <= limit


def _first_frame_view(ds: Any) -> Any:
    """A dataset whose pixel_array is the first frame (so multi-frame images can be OCR'd)."""
    if int(ds.get("NumberOfFrames", 1) or 1) <= 1:
        return ds
    import copy

    view = copy.copy(ds)
    view.PixelData = ds.pixel_array[0].tobytes()
    view.NumberOfFrames = 1
    return view


def redact(ds: Any, boxes: list[Box]) -> int:
    """Paint the boxes black (as displayed) in every frame; store uncompressed. Returns the pixels changed."""
    arr = ds.pixel_array.copy()
    pi = str(ds.PhotometricInterpretation).upper()
    fill = arr.max() if pi == "MONOCHROME1" else 0 if np.issubdtype(arr.dtype, np.unsignedinteger) else arr.min()
    rows, cols = int(ds.Rows), int(ds.Columns)
    changed = 0
    for x0, y0, x1, y1 in boxes:
        x0, x1 = max(0, min(x0, cols)), max(0, min(x1, cols))
        y0, y1 = max(0, min(y0, rows)), max(0, min(y1, rows))
        if x1 <= x0 or y1 <= y0:
            continue
        region = (
            (Ellipsis, slice(y0, y1), slice(x0, x1))
            if int(ds.get("SamplesPerPixel", 1)) == 1  # (rows, columns) or (frames, rows, columns)
            else (Ellipsis, slice(y0, y1), slice(x0, x1), slice(None))
        )
        changed += int(np.prod(arr[region].shape))
        arr[region] = fill
    out_pi = "RGB" if pi.startswith("YBR") else pi
    ds.set_pixel_data(
        arr, photometric_interpretation=out_pi, bits_stored=int(ds.BitsStored), generate_instance_uid=False
    )
    ds.BurnedInAnnotation = "NO"
    return changed
