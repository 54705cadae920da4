"""Benign train rows of another style: the READMEs of npm packages, as a coding agent or a documentation
search hands them to a model.

A README is instructions to its reader ("Install", "Run", "Make sure", "Do not"), long, in Markdown with code.
Neither model had seen the style: the default policy flagged about a quarter of package READMEs, the first
model deciding most of them. training/data/npm-readme-packages.jsonl pins the packages (name, version, the
registry's sha512 integrity, the licence package-lock.json recorded); the tarballs are fetched from the npm
registry into the cache, checked against that integrity, and never copied into the repository. Only the
README goes into the rows, cut at MAX_CHARS (a few very long ones would otherwise outweigh the rest).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tarfile
import urllib.request
from pathlib import Path

from .pypi import cache_root

PACKAGES = Path(__file__).resolve().parents[1] / "data" / "npm-readme-packages.jsonl"
REGISTRY = "https://registry.npmjs.org"
GROUP = "npm_readmes"
MAX_CHARS = 20_000
MIN_CHARS = 200
README = re.compile(r"^package/readme(?:\.(?:md|markdown|txt))?$", re.IGNORECASE)


def cache_dir() -> Path:
    return cache_root() / "npm"


def packages() -> list[dict]:
    return [json.loads(line) for line in PACKAGES.read_text(encoding="utf-8").split("\n") if line.strip()]


def tarball_url(name: str, version: str) -> str:
    return f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def check_integrity(data: bytes, integrity: str, what: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise SystemExit(f"{what}: integrity {integrity!r} is not sha512")
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != expected:
        raise SystemExit(f"{what}: sha512 {got}, expected {expected}; delete it to re-download")


def fetch(pkg: dict) -> Path:
    """The package's tarball, downloaded once and checked against its pinned integrity on every use."""
    path = cache_dir() / f"{pkg['name'].replace('/', '__')}-{pkg['version']}.tgz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(tarball_url(pkg["name"], pkg["version"]), timeout=60) as response:
            data = response.read()
        check_integrity(data, pkg["integrity"], f"{pkg['name']}@{pkg['version']}")
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)
    check_integrity(path.read_bytes(), pkg["integrity"], str(path))
    return path


def readme(tarball: Path) -> str | None:
    with tarfile.open(tarball, "r:gz") as tf:
        members = sorted((m for m in tf.getmembers() if m.isfile() and README.match(m.name)), key=lambda m: m.name)
        if not members:
            return None
        data = tf.extractfile(members[0])
        return data.read().decode("utf-8", errors="replace") if data else None


def readme_rows() -> list[dict]:
    """One benign train row per package whose README has at least MIN_CHARS, in the pinned list's order."""
    rows: list[dict] = []
    seen: set[str] = set()
    for pkg in packages():
        text = (readme(fetch(pkg)) or "").strip()[:MAX_CHARS].strip()
        if len(text) < MIN_CHARS or text in seen:
            continue
        seen.add(text)
        rows.append(
            {
                "text": text,
                "label": "benign",
                "source": f"npm:{pkg['name']}@{pkg['version']}/README",
                "license": pkg["license"],
                "split": "train",
                "group": GROUP,
            }
        )
    return rows


def provenance(rows: list[dict]) -> dict:
    return {
        "file": "training/data/npm-readme-packages.jsonl",
        "sha256_of_list": hashlib.sha256(PACKAGES.read_bytes()).hexdigest(),
        "registry": REGISTRY,
        "licenses": sorted({r["license"] for r in rows}),
        "rows": len(rows),
    }
