"""Train Bulwark's default prompt-injection / jailbreak classifier and write models/<name>/.

    python -m bulwark_train --data ../shared/datasets/all.jsonl --out ../models/bulwark-injection-ngram-v1

Deterministic: fixed hyper-parameters, no random sampling, single-threaded BLAS (set below, before numpy
loads), canonical vocabulary order, sorted JSON. Nothing time- or machine-dependent is written.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

from . import card, readmes, refusals, tool_content, user_prompts  # noqa: E402
from .extra import extra_rows  # noqa: E402
from .features import FeatureSpec, chunk_features, chunk_matrix, encode_all, max_per_owner, train_tokenizer  # noqa: E402
from .metrics import binary_report, breakdown, operating_point, pick_threshold  # noqa: E402
from .mil import fit_mil, source_balanced_weights  # noqa: E402
from .onnx_graph import build_graph  # noqa: E402

NAME = "bulwark-injection-ngram-v1"
# Train groups the tokenizer does not learn its vocabulary from (see main()).
VOCABULARY_EXCLUDED = (readmes.GROUP, user_prompts.GROUP, refusals.GROUP, tool_content.GROUP_KB, tool_content.GROUP_ISSUES)
REPO = Path(__file__).resolve().parents[2]
HPARAMS = {
    "vocab_size": 8000,
    "bigram_buckets": 1 << 16,
    "bigram_prime": 1000003,
    "block": 32,
    "min_sources_per_feature": 2,
    "C": 10.0,
    "mil_rounds": 3,
    "source_weighting": "1/sqrt(rows of the same source and label)",
    "max_length": 512,
    "max_fpr": 0.02,
}
MAX_LENGTH = HPARAMS["max_length"]
LOSO_MIN_ROWS = 50
# Window starts step by max_length - block, so windows overlap by one block and their chunks line up with
# the chunks of the whole text (see features.chunk_features).
WINDOW_STRIDE = MAX_LENGTH - HPARAMS["block"]


def log(msg: str) -> None:
    print(f"[train] {msg}", file=sys.stderr, flush=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def onnx_scores(model_bytes: bytes, encs: list[np.ndarray], batch: int = 16) -> np.ndarray:
    """P(malicious) per text the way the TypeScript runtime computes it: windows, batches, max over windows."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    windows: list[tuple[int, np.ndarray]] = []
    for t, ids in enumerate(encs):
        start = 0
        while True:
            windows.append((t, ids[start : start + MAX_LENGTH]))
            if start + MAX_LENGTH >= len(ids):
                break
            start += WINDOW_STRIDE
    out = np.zeros(len(encs))
    for b in range(0, len(windows), batch):
        part = windows[b : b + batch]
        width = max(1, max(len(w) for _, w in part))
        ids = np.zeros((len(part), width), dtype=np.int64)
        mask = np.zeros((len(part), width), dtype=np.int64)
        for k, (_, w) in enumerate(part):
            ids[k, : len(w)] = w
            mask[k, : len(w)] = 1
        logits = sess.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0].astype(np.float64)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e[:, 1] / e.sum(axis=1)
        for k, (t, _) in enumerate(part):
            out[t] = max(out[t], p[k])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data",
        default=os.environ.get("BULWARK_DATASET", str(REPO.parent / "shared/datasets/all.jsonl")),
        help="labelled JSONL with text, label, source, license, split (default: ../shared/datasets/all.jsonl)",
    )
    ap.add_argument("--out", default=str(REPO / "models" / NAME), help="output model directory")
    ap.add_argument(
        "--application-texts",
        action="store_true",
        help="also train on training/data/application-texts.train.jsonl (measured, not shipped: see the card)",
    )
    ap.add_argument(
        "--tool-content",
        action="store_true",
        help="also train on tool_content.py's knowledge-base articles and issue reports (measured, not shipped)",
    )
    args = ap.parse_args()
    t_start = time.time()

    data_path = Path(args.data)
    data_bytes, rows, extra_provenance = read_training_rows(data_path, args.application_texts, args.tool_content)
    rows, extra_provenance = with_refusals(rows, extra_provenance)
    train = [r for r in rows if r["split"] == "train"]
    val = [r for r in rows if r["split"] == "validation"]
    y_train = np.asarray([0 if r["label"] == "benign" else 1 for r in train])
    y_val = np.asarray([0 if r["label"] == "benign" else 1 for r in val])
    log(f"{len(train)} train / {len(val)} validation rows from {data_path}")

    # The READMEs' many rare characters tie in the Rust trainer's merge counts, and it breaks ties in a per-process
    # hash order: with them the vocabulary differed between runs. The weights learn from them; the vocabulary not.
    # The written user prompts, refusals and tool content are left out of it too, so the vocabulary stays the one
    # the LOSO figures were made with.
    tok = train_tokenizer(
        [r["text"] for r in train if r["group"] not in VOCABULARY_EXCLUDED],
        HPARAMS["vocab_size"],
    )
    spec = FeatureSpec(
        vocab_size=tok.get_vocab_size(),
        bigram_buckets=HPARAMS["bigram_buckets"],
        bigram_prime=HPARAMS["bigram_prime"],
        block=HPARAMS["block"],
        chunk=2 * HPARAMS["block"],
    )
    enc_train = encode_all(tok, [r["text"] for r in train])
    enc_val = encode_all(tok, [r["text"] for r in val])
    f_train = [chunk_features(e, spec) for e in enc_train]
    f_val = [chunk_features(e, spec) for e in enc_val]
    log(f"tokenizer: {spec.vocab_size} tokens; {sum(map(len, f_train))} train chunks ({time.time() - t_start:.1f}s)")

    x_train, own_train = chunk_matrix(f_train, spec)
    x_val, own_val = chunk_matrix(f_val, spec)
    groups = [r["group"] for r in train]

    def fit(rows_idx: np.ndarray) -> tuple[np.ndarray, float, int]:
        """Fit on a subset of the train rows: weights over all features, bias, number of features kept."""
        # A feature seen in one source (dataset file) only is more likely that source's artefact than a sign
        # of an attack (one label per file is the rule here), so it gets no weight: this is for unseen sources.
        sub_groups = sorted({groups[i] for i in rows_idx})
        gid = {g: k for k, g in enumerate(sub_groups)}
        seen = np.zeros((spec.num_features, len(sub_groups)), dtype=bool)
        for i in rows_idx:
            for f in f_train[i]:
                seen[f, gid[groups[i]]] = True
        keep = np.flatnonzero(seen.sum(axis=1) >= HPARAMS["min_sources_per_feature"])
        x, own = chunk_matrix([f_train[i] for i in rows_idx], spec)
        y = y_train[rows_idx]
        tw = source_balanced_weights([groups[i] for i in rows_idx], y)
        coef, b = fit_mil(x[:, keep], own, y, tw, HPARAMS["C"], HPARAMS["mil_rounds"])
        w = np.zeros(spec.num_features)
        w[keep] = coef
        return w, b, len(keep)

    weights, bias, kept = fit(np.arange(len(train)))
    weights32 = weights.astype(np.float32)
    log(f"fitted, {kept} features with a weight ({time.time() - t_start:.1f}s)")
    loso = leave_one_source_out(fit, train, val, f_train, f_val, spec, y_train, y_val)
    log(f"leave-one-source-out done ({time.time() - t_start:.1f}s)")

    # Reference scores in float64 from the float32 weights that ship.
    w64 = weights32.astype(np.float64)
    b64 = float(np.float32(bias))
    ref_val = sigmoid(max_per_owner(x_val @ w64 + b64, own_val, len(val)))
    ref_train = sigmoid(max_per_owner(x_train @ w64 + b64, own_train, len(train)))

    doc = f"{NAME}: hashed uni+bigram chunk classifier; P(malicious) = softmax(logits)[1]. See MODEL_CARD.md."
    model = build_graph(spec, weights32, float(np.float32(bias)), doc)
    model_bytes = model.SerializeToString(deterministic=True)
    onnx_val = onnx_scores(model_bytes, enc_val)
    diff = float(np.max(np.abs(onnx_val - ref_val)))
    log(f"ONNX vs reference on validation: max |dp| = {diff:.2e}")
    if diff > 1e-4:
        raise SystemExit(f"ONNX graph disagrees with the reference featuriser (max |dp| = {diff})")

    threshold, val_report = operating_point(y_val, onnx_val, HPARAMS["max_fpr"])
    metrics = {
        "model": NAME,
        "threshold": threshold,
        "threshold_rule": f"lowest threshold with validation FPR <= {HPARAMS['max_fpr']}; flag when p >= threshold",
        "validation": {**val_report, **breakdown(val, onnx_val, threshold)},
        "train": binary_report(y_train, ref_train, threshold),
        "leave_one_source_out": loso,
        "dataset": {
            "file": data_path.name,
            "sha256": hashlib.sha256(data_bytes).hexdigest(),
            "rows": {"train": len(train), "validation": len(val)},
            "sources": composition(rows),
            "extra_train_rows": extra_provenance,
        },
        "hyperparameters": HPARAMS,
    }
    config = {
        "model_type": "bulwark-ngram-chunk",
        "name": NAME,
        "id2label": {"0": "benign", "1": "malicious"},
        "label2id": {"benign": 0, "malicious": 1},
        "max_length": MAX_LENGTH,
        "window_stride": WINDOW_STRIDE,
        "threshold": threshold,
        "add_special_tokens": False,
        "features": {
            "vocab_size": spec.vocab_size,
            "bigram_buckets": spec.bigram_buckets,
            "bigram_prime": spec.bigram_prime,
            "block": spec.block,
            "chunk": spec.chunk,
        },
    }

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.onnx").write_bytes(model_bytes)
    tok.save(str(out / "tokenizer.json"), pretty=True)
    write_json(out / "config.json", config)
    write_json(out / "metrics.json", metrics)
    (out / "MODEL_CARD.md").write_text(card.render(NAME, config, metrics, len(model_bytes), card.load_policy_eval(REPO)), encoding="utf-8")
    log(
        f"wrote {out}: validation TPR {val_report['tpr']} FPR {val_report['fpr']} AUC {val_report['roc_auc']} "
        f"at p >= {threshold}; model.onnx {len(model_bytes)} bytes; {time.time() - t_start:.1f}s"
    )


def leave_one_source_out(fit, train, val, f_train, f_val, spec, y_train, y_val) -> dict:
    """Generalisation to an unseen source: refit without one source file (its train rows), set the threshold
    at the target FPR on the validation rows of the other sources, and report the held-out source's train +
    validation rows at that threshold. The tokenizer is not refitted (it saw the source's train text)."""
    groups = sorted({r["group"] for r in train + val})
    out = {}
    for g in groups:
        held_train = [i for i, r in enumerate(train) if r["group"] == g]
        held_val = [i for i, r in enumerate(val) if r["group"] == g]
        if len(held_train) + len(held_val) < LOSO_MIN_ROWS:
            continue
        w, b, _ = fit(np.asarray([i for i, r in enumerate(train) if r["group"] != g]))
        ref = [i for i, r in enumerate(val) if r["group"] != g]

        def scores(feats: list) -> np.ndarray:
            x, own = chunk_matrix(feats, spec)
            return sigmoid(max_per_owner(x @ w + b, own, len(feats)))

        p_ref = scores([f_val[i] for i in ref])
        t = pick_threshold(y_val[ref], p_ref, HPARAMS["max_fpr"])
        p = scores([f_train[i] for i in held_train] + [f_val[i] for i in held_val])
        y = np.concatenate([y_train[held_train], y_val[held_val]])
        res: dict = {"n": int(len(y))}
        if (y == 1).any():
            res["tpr"] = round(float((p[y == 1] >= t).mean()), 4)
        if (y == 0).any():
            res["fpr"] = round(float((p[y == 0] >= t).mean()), 4)
        out[g] = res
    return out


def read_dataset(data_path: Path) -> tuple[bytes, list[dict]]:
    """The file's bytes (for its sha256) and its rows, each with "group": the source file that holds it."""
    data_bytes = data_path.read_bytes()
    rows = [json.loads(line) for line in data_bytes.decode("utf-8").split("\n") if line.strip()]
    group_of = source_files(data_path)
    for r in rows:
        r["group"] = group_of.get(r["text"], r["source"].split(":")[0])
    return data_bytes, rows


def read_training_rows(
    data_path: Path, with_application_texts: bool = False, with_tool_content: bool = False
) -> tuple[bytes, list[dict], dict]:
    """The dataset's rows plus the benign train rows from outside it (extra.py), and where those came from."""
    data_bytes, rows = read_dataset(data_path)
    extra, provenance = extra_rows(rows, with_application_texts, with_tool_content)
    return data_bytes, rows + extra, provenance


def with_refusals(rows: list[dict], provenance: dict) -> tuple[list[dict], dict]:
    """The rows plus an assistant's refusals as benign rows (refusals.py), which only this model learns from."""
    known = {r["text"].strip().casefold() for r in rows}
    added = [r for r in refusals.refusal_rows() if r["text"].casefold() not in known]
    return rows + added, {**provenance, refusals.GROUP: {"file": "training/bulwark_train/refusals.py", "rows": len(added)}}


def source_files(data_path: Path) -> dict[str, str]:
    """text -> name of the per-source file beside all.jsonl that holds it (the dataset's unit of "source")."""
    out: dict[str, str] = {}
    for f in sorted(data_path.parent.glob("*.jsonl")):
        if f.resolve() == data_path.resolve():
            continue
        for line in f.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                out[json.loads(line)["text"]] = f.stem
    return out


def composition(rows: list[dict]) -> dict:
    out: dict[str, dict] = {}
    for r in rows:
        s = out.setdefault(
            r["group"],
            {"license": [], **{sp: {"benign": 0, "malicious": 0} for sp in ("train", "validation")}},
        )
        if r["license"] not in s["license"]:
            s["license"] = sorted([*s["license"], r["license"]])
        s[r["split"]]["benign" if r["label"] == "benign" else "malicious"] += 1
    return dict(sorted(out.items()))


def write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
