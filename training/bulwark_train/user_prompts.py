"""User prompts written for Bulwark: hard negatives that use attack words, and attacks in styles the dataset lacks.

The shared dataset's benign rows rarely put "ignore", "act as", "system prompt" or "password" in an innocent
sentence, and its attacks come from a few collections. A new author's prompts show what that hides: on 235
prompts another LLM session wrote from training/data/user-prompts-brief.md, the default policy detected 65.0%
of the attacks and blocked 12.1% of the benign prompts (validation: 89.5% and 1.8%).

Files (training/data/, schema {"label": "benign" | "injection" | "jailbreak", "family", "text"}), each written by
its own session from the brief, none shown the others':
* user-prompts.dev.jsonl: read when writing rules, so its figures are optimistic; never trained on;
* user-prompts.heldout.jsonl: never read while changing anything, never trained on; in the external check;
* user-prompts.train.jsonl: three further writers, each with a slant of its own (workplace and software;
  everyday life and customer service; agents reading mail, pages and tool output, a third in other
  languages); rows sharing a 10-word span with the two files above were dropped. Train split (extra.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
DEV_FILE = DATA / "user-prompts.dev.jsonl"
HELDOUT_FILE = DATA / "user-prompts.heldout.jsonl"
TRAIN_FILE = DATA / "user-prompts.train.jsonl"
LICENSE = "Apache-2.0 (written for Bulwark)"
LABELS = ("benign", "injection", "jailbreak")
FAMILY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
GROUP = "bulwark_user_prompts"


def word_spans(text: str, n: int) -> set[tuple[str, ...]]:
    """Every run of n words of the text, case-folded: two files sharing one share a copied sentence."""
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def read_prompts(path: Path) -> list[dict]:
    """The file's rows, refusing an unknown label, a family not in kebab-case, an empty or a repeated text."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    seen: set[str] = set()
    for i, r in enumerate(rows, 1):
        if r.get("label") not in LABELS:
            raise ValueError(f"{path.name}:{i}: label must be one of {list(LABELS)}, got {r.get('label')!r}")
        if not FAMILY.match(str(r.get("family", ""))):
            raise ValueError(f"{path.name}:{i}: family must be kebab-case, got {r.get('family')!r}")
        key = str(r.get("text", "")).strip().casefold()
        if not key:
            raise ValueError(f"{path.name}:{i}: empty text")
        if key in seen:
            raise ValueError(f"{path.name}:{i}: text repeated")
        seen.add(key)
    return rows


def train_rows() -> list[dict]:
    """The train file's rows in the dataset's schema, one group (source weighting counts it per label)."""
    return [
        {
            "text": r["text"].strip(),
            "label": r["label"],
            "source": f"bulwark:training/data/{TRAIN_FILE.name}:{r['family']}",
            "license": LICENSE,
            "split": "train",
            "group": GROUP,
        }
        for r in read_prompts(TRAIN_FILE)
    ]


def provenance(rows: list[dict]) -> dict:
    """The train file, its sha256 and the rows kept (the only extra rows that are partly malicious)."""
    benign = sum(r["label"] == "benign" for r in rows)
    return {
        "file": f"training/data/{TRAIN_FILE.name}",
        "sha256": hashlib.sha256(TRAIN_FILE.read_bytes()).hexdigest(),
        "rows": len(rows),
        "benign": benign,
        "malicious": len(rows) - benign,
    }


def heldout_rows(row) -> list[dict]:
    """The held-out file as external-check rows (row: external.row), one source per family."""
    return [
        row(r["text"], r["label"], f"bulwark_heldout_user_prompts:{r['family']}", LICENSE)
        for r in read_prompts(HELDOUT_FILE)
    ]
