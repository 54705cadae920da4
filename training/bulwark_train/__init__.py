"""Bulwark's training pipeline: data builders, the two trainers, their cards and checks."""

import os

# onnxruntime's wheel starts a telemetry client when it loads, as its Node binding does (see
# shared/classifier/no-telemetry.ts). Set here, where every entry point starts, so a trainer run with the
# venv's python directly is as quiet as one run by make; an explicit setting in the environment is kept.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
