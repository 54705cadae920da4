"""Binary metrics for the operating point chosen on validation."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

# Trigger words of the dataset README's hard-negative list: benign rows with these must still pass.
TRIGGERS = {
    "act as": r"\bact as\b",
    "pretend": r"\bpretend",
    "instruction(s)": r"\binstructions?\b",
    "role-play": r"\brole[- ]?play",
    "ignore": r"\bignor(e|ing)\b",
    "forget": r"\bforget",
    "bypass": r"\bbypass",
    "disregard": r"\bdisregard",
    "override": r"\boverrid",
    "system prompt": r"\bsystem prompt",
}
LENGTH_BUCKETS = [(0, 200), (200, 1000), (1000, 4000), (4000, 10**9)]


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    # Mann-Whitney U with average ranks for ties.
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def pick_threshold(y: np.ndarray, p: np.ndarray, max_fpr: float) -> float:
    """Lowest threshold (flag when p >= t) whose FPR stays <= max_fpr; placed halfway to the next score."""
    neg = np.sort(p[y == 0])[::-1]
    allowed = int(np.floor(max_fpr * len(neg)))
    if allowed >= len(neg):
        return 0.0
    boundary = neg[allowed]  # the highest benign score that must stay below the threshold
    above = np.unique(p[p > boundary])
    upper = above[0] if len(above) else 1.0
    return float((boundary + upper) / 2)


def rate(flags: list[bool]) -> float:
    return round(float(np.mean(flags)), 4) if flags else 0.0


def binary_report(y: np.ndarray, p: np.ndarray, t: float) -> dict:
    pred = p >= t
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    tn = int((~pred & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    tpr = tp / (tp + fn) if tp + fn else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    f1 = 2 * precision * tpr / (precision + tpr) if precision + tpr else 0.0
    return {
        "n": int(len(y)),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "tpr": round(tpr, 4),
        "fpr": round(fpr, 4),
        "precision": round(precision, 4),
        "f1": round(f1, 4),
        "roc_auc": round(roc_auc(y, p), 4),
    }


def tpr_at_fpr(y: np.ndarray, p: np.ndarray, max_fpr: float) -> float:
    t = pick_threshold(y, p, max_fpr)
    return round(float((p[y == 1] >= t).mean()), 4)


def operating_point(y: np.ndarray, p: np.ndarray, max_fpr: float) -> tuple[float, dict]:
    """The threshold at the target FPR and the report there, with TPR at 1% and 5% FPR for context."""
    t = round(pick_threshold(y, p, max_fpr), 6)
    report = binary_report(y, p, t)
    report["tpr_at_fpr_1pct"] = tpr_at_fpr(y, p, 0.01)
    report["tpr_at_fpr_5pct"] = tpr_at_fpr(y, p, 0.05)
    return t, report


def breakdown(rows: list[dict], p: np.ndarray, t: float) -> dict:
    """Flag rate per label, per source file and label, per length bucket, and on trigger-word benign rows."""
    by_label: dict[str, list[bool]] = defaultdict(list)
    by_source: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    by_len: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    hard: dict[str, list[bool]] = defaultdict(list)
    for r, score in zip(rows, p):
        flag = bool(score >= t)
        by_label[r["label"]].append(flag)
        by_source[r["group"]][r["label"]].append(flag)
        n = len(r["text"])
        bucket = next(f"{lo}-{hi if hi < 10**9 else ''}" for lo, hi in LENGTH_BUCKETS if lo <= n < hi)
        by_len[bucket]["benign" if r["label"] == "benign" else "malicious"].append(flag)
        if r["label"] == "benign":
            low = r["text"].lower()
            for name, rx in TRIGGERS.items():
                if re.search(rx, low):
                    hard[name].append(flag)
    return {
        "flag_rate_by_label": {k: {"n": len(v), "flagged": rate(v)} for k, v in sorted(by_label.items())},
        "flag_rate_by_source": {
            s: {lab: {"n": len(v), "flagged": rate(v)} for lab, v in sorted(d.items())}
            for s, d in sorted(by_source.items())
        },
        "flag_rate_by_length_chars": {
            b: {lab: {"n": len(v), "flagged": rate(v)} for lab, v in sorted(d.items())}
            for b, d in sorted(by_len.items(), key=lambda kv: int(kv[0].split("-")[0]))
        },
        "benign_with_trigger_word_fpr": {k: {"n": len(v), "flagged": rate(v)} for k, v in sorted(hard.items())},
    }
