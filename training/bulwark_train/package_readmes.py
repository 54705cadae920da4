"""The READMEs of Python packages (their PyPI long descriptions), as external-check rows: benign documents
that instruct their reader, from another ecosystem and other authors than the npm READMEs both models train on
(readmes.py). training/data/pypi-readme-wheels.jsonl pins 71 pure-Python wheels by version and sha256; the
long description is the body of each wheel's METADATA, cut at readmes.MAX_CHARS as the training rows are.
"""

from __future__ import annotations

import email
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from .pypi import fetch_wheels
from .readmes import MAX_CHARS

PINS = Path(__file__).resolve().parents[1] / "data" / "pypi-readme-wheels.jsonl"
SOURCE = "pypi_readmes"

Row = Callable[[str, str, str, str], dict]


def pins() -> list[dict]:
    return [json.loads(line) for line in PINS.read_text(encoding="utf-8").split("\n") if line.strip()]


def description(wheel: Path) -> tuple[str, str]:
    """The wheel's long description and its licence as the metadata states it."""
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_string(zf.read(name).decode("utf-8", errors="replace"))
    body = meta.get_payload()
    classifiers = [c.rsplit(" :: ", 1)[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    license_ = meta.get("License-Expression") or next(iter(classifiers), None) or (meta.get("License") or "")[:60]
    return (body if isinstance(body, str) else "").strip(), license_ or "(not stated)"


def rows(row: Row) -> list[dict]:
    out = []
    for wheel in fetch_wheels(pins()):
        text, license_ = description(wheel)
        out.append(row(text[:MAX_CHARS], "benign", SOURCE, f"{license_} ({wheel.name})"))
    return out
