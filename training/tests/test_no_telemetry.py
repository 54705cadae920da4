"""Importing the package turns onnxruntime's telemetry off before any trainer loads the runtime."""

import os
import subprocess
import sys
from pathlib import Path

TRAINING = Path(__file__).resolve().parents[1]
PRINT_SWITCH = "import bulwark_train, os; print(os.environ.get('ORT_DISABLE_TELEMETRY'))"


def switch_after_import(env: dict[str, str]) -> str:
    run = subprocess.run(
        [sys.executable, "-c", PRINT_SWITCH], cwd=TRAINING, env=env, capture_output=True, text=True, check=True
    )
    return run.stdout.strip()


def test_telemetry_is_off_unless_the_environment_says_otherwise():
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    assert switch_after_import(env) == "1"


def test_an_explicit_setting_is_kept():
    assert switch_after_import({**os.environ, "ORT_DISABLE_TELEMETRY": "0"}) == "0"
