"""Injection train rows built from spikee's seeds: attack framings and payloads, alone and inside documents.

The shared dataset's injections are mostly direct ("ignore the above and ..."); instructions hidden inside a
document a tool returns were detected far less often on the external check (AgentDojo's tool records). spikee
(WithSecure's prompt-injection kit, Apache-2.0, fetched from PyPI at a pinned version and checked against its
sha256, never copied into the repository) ships seeds for such tests: framings ("*** NEW IMPORTANT
INSTRUCTIONS ***", "Sorry, I forgot to ask you to ...") with an <INSTRUCTION> slot, and payloads (exfiltration
links, script tags, system-prompt requests). Each English framing is filled with payloads in turn, and every
third payload is kept alone, appended to a benign train document of the shared dataset, or written into the
middle of one, so the model sees the same document with and without an instruction in it. Train split only;
the document is chosen by position, so the rows are the same on every run. Its in-the-wild seed folder is
left out: the shared dataset holds that collection.

Only the second stage trains on these rows (encoder/__main__.py): they took the external check's indirect
injections from 68% to 95% there, while the first model, retrained with them, lost validation TPR at
FPR <= 2% and gained nothing on the external check.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from .pypi import fetch_wheel

SPIKEE = {
    "package": "spikee",
    "version": "0.9.2",
    "wheel": "spikee-0.9.2-py3-none-any.whl",
    "sha256": "60cec774a1138e62b68b4bed445285f5b5103818ffb68fab681f37b5e707802b",
    "repository": "WithSecureLabs/spikee",
    "license": "Apache-2.0 (spikee 0.9.2)",
}
GROUP = "spikee_injections"
SEEDS = ("seeds-cybersec-2026-01", "seeds-sysmsg-extraction-2025-04")
PAYLOADS_PER_FRAMING = 4
# A carrier long enough to read as a document, short enough that the payload is not a needle in a book.
CARRIER_CHARS = (300, 3000)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _english(zf: zipfile.ZipFile, name: str) -> list[dict]:
    rows = [json.loads(line) for line in zf.read(name).decode("utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("lang", "en") == "en"]


def seeds(wheel: Path) -> tuple[list[str], list[str]]:
    """English framings (with their <INSTRUCTION> slot) and payloads, de-duplicated, in file order."""
    framings: dict[str, None] = {}
    payloads: dict[str, None] = {}
    with zipfile.ZipFile(wheel) as zf:
        for folder in SEEDS:
            base = f"spikee/data/workspace/datasets/{folder}/"
            for r in _english(zf, base + "jailbreaks.jsonl"):
                if "<INSTRUCTION>" in r["text"]:
                    framings[r["text"]] = None
            for r in _english(zf, base + "instructions.jsonl"):
                payloads[r["instruction"].strip()] = None
    return list(framings), list(payloads)


def _inside(document: str, attack: str, middle: bool) -> str:
    if not middle:
        return f"{document.rstrip()}\n\n{attack}"
    sentences = SENTENCE_END.split(document.strip())
    cut = max(1, len(sentences) // 2)
    return " ".join(sentences[:cut]) + f"\n\n{attack}\n\n" + " ".join(sentences[cut:])


def spikee_rows(wheel: Path, dataset_rows: list[dict]) -> list[dict]:
    framings, payloads = seeds(wheel)
    carriers = [
        r["text"]
        for r in dataset_rows
        if r["split"] == "train" and r["label"] == "benign" and CARRIER_CHARS[0] <= len(r["text"]) <= CARRIER_CHARS[1]
    ]
    if not framings or not payloads or not carriers:
        raise SystemExit(f"spikee: {len(framings)} framings, {len(payloads)} payloads, {len(carriers)} carriers")
    rows: list[dict] = []
    n = 0
    for f, framing in enumerate(framings):
        for k in range(PAYLOADS_PER_FRAMING):
            payload = payloads[(f * PAYLOADS_PER_FRAMING + k) % len(payloads)]
            attack = framing.replace("<INSTRUCTION>", payload)
            if n % 3 == 0:
                text = attack
            else:
                text = _inside(carriers[(n * 7919) % len(carriers)], attack, middle=n % 3 == 2)
            n += 1
            rows.append(
                {
                    "text": text,
                    "label": "injection",
                    "source": f"{SPIKEE['repository']}:{'+'.join(SEEDS)}",
                    "license": SPIKEE["license"],
                    "split": "train",
                    "group": GROUP,
                }
            )
    return rows


def fetch() -> Path:
    return fetch_wheel(SPIKEE)
