"""Leave one source out for the second-stage model: how it scores a source it never saw.

    python -m bulwark_train.encoder.loso --held-out deepset_prompt_injections [--held-out ...] \\
        --out ../models/bulwark-injection-minilm-v1/loso.json

The same protocol as the first-stage card's table: the model is fine-tuned (same recipe and seed as the shipped
one) without any row of the held-out source file, its threshold set at FPR <= 2% on the validation rows of the
other sources, then every row (train + validation) of the held-out file scored with the int8 export, as the
runtime would. One fit takes as long as the shipped model's (about half an hour on two cores), so sources are
run one at a time and merged into the file; MODEL_CARD.md shows what it holds.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ..__main__ import REPO, read_training_rows, write_json
from ..metrics import pick_threshold
from . import base, export
from .__main__ import MAX_FPR, NAME, RECIPE, fit, log, onnx_window_logits, windows_for, with_injections


def held_out_figures(rows: list[dict], provenance: dict, held: str, scores_dir: Path | None = None) -> dict:
    """rows: the dataset's and extra.py's (provenance); the injection rows are built without the held-out source."""
    held_rows = [r for r in rows if r["group"] == held]
    if not held_rows:
        raise SystemExit(f"no rows of source file {held!r} in the dataset")
    others, _ = with_injections([r for r in rows if r["group"] != held], provenance)
    train_rows = [r for r in others if r["split"] == "train"]
    reference = [r for r in others if r["split"] == "validation"]
    t0 = time.time()
    params, tok = base.load()
    windows_of = windows_for(tok)
    log(f"without {held}: {len(train_rows)} train rows; {len(held_rows)} held-out rows")
    trained = fit(params, train_rows, windows_of([r["text"] for r in train_rows]), log)
    model_bytes = export.quantize(export.build(trained, f"{NAME} without {held}"))

    def labels(rs: list[dict]) -> np.ndarray:
        return np.asarray([0 if r["label"] == "benign" else 1 for r in rs])

    p_ref = onnx_window_logits(model_bytes, windows_of([r["text"] for r in reference]))
    threshold = round(pick_threshold(labels(reference), p_ref, MAX_FPR), 6)
    p = onnx_window_logits(model_bytes, windows_of([r["text"] for r in held_rows]))
    y = labels(held_rows)
    out: dict = {"n": len(held_rows), "threshold": threshold, "recipe": RECIPE}
    if (y == 1).any():
        out["tpr"] = round(float((p[y == 1] >= threshold).mean()), 4)
    if (y == 0).any():
        out["fpr"] = round(float((p[y == 0] >= threshold).mean()), 4)
    out["seconds"] = round(time.time() - t0)
    if scores_dir is not None:
        # Per-row scores, to study a cascade with the first stage's leave-one-source-out scores of the same rows.
        scores_dir.mkdir(parents=True, exist_ok=True)
        write_json(
            scores_dir / f"{held}.json",
            {"threshold": threshold, "rows": [{"text": r["text"], "label": r["label"], "p": float(x)} for r, x in zip(held_rows, p)]},
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO.parent / "shared/datasets/all.jsonl"))
    ap.add_argument("--out", default=str(REPO / "models" / NAME / "loso.json"))
    ap.add_argument("--held-out", action="append", required=True, help="a source file name without .jsonl")
    ap.add_argument("--scores", help="also write each held-out row's score to DIR/<source>.json")
    args = ap.parse_args()
    _, rows, provenance = read_training_rows(Path(args.data))
    out = Path(args.out)
    results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    for held in args.held_out:
        results[held] = held_out_figures(rows, provenance, held, Path(args.scores) if args.scores else None)
        log(f"{held}: {results[held]}")
        write_json(out, dict(sorted(results.items())))


if __name__ == "__main__":
    main()
