#!/usr/bin/env python3
"""Convert a hand-annotated report markup file ([[LABEL:text]]) to the gold JSONL that eval-deid reads.

Usage: python tools/markup_to_jsonl.py tests/data/reports_dev.markup tests/data/reports_dev.jsonl
"""

import sys
from pathlib import Path

from radbank.text.corpus import parse_markup, write_gold

if __name__ == "__main__":
    records = parse_markup(Path(sys.argv[1]).read_text("utf-8"))
    write_gold(records, sys.argv[2])
    print(f"{len(records)} reports, {sum(len(r['spans']) for r in records)} spans -> {sys.argv[2]}")
