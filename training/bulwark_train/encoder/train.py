"""Fine-tune MiniLM as a window classifier with a multiple-instance loss (a text's logit is the max over its
windows, as at inference), source-balanced row weights, AdamW with warm-up and cosine decay.

Deterministic: fixed seed for the row order, fixed batch shapes, XLA on CPU with a fixed thread count.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .model import window_logit

SEED = 7
EPOCHS = 3
WINDOWS_PER_STEP = 32
ENCODER_LR = 3e-5
HEAD_LR = 1e-3
WEIGHT_DECAY = 0.01
WARMUP = 0.1
BUCKETS = (32, 64, 128)


def bucket_of(n: int) -> int:
    return next(b for b in BUCKETS if n <= b)


def plan_steps(row_windows: list[list[list[int]]], rng: np.random.Generator) -> list[list[int]]:
    """Rows grouped into steps of at most WINDOWS_PER_STEP windows, each step within one length bucket (a
    row's windows stay together, the MIL max needs them all), steps in a seeded random order."""
    by_bucket: dict[int, list[int]] = {b: [] for b in BUCKETS}
    for r, ws in enumerate(row_windows):
        by_bucket[bucket_of(max(len(w) for w in ws))].append(r)
    steps = []
    for b in BUCKETS:
        order = rng.permutation(by_bucket[b])
        cur: list[int] = []
        n = 0
        for r in order.tolist():
            k = len(row_windows[r])
            if n + k > WINDOWS_PER_STEP:
                steps.append(cur)
                cur, n = [], 0
            cur.append(r)
            n += k
        if cur:
            steps.append(cur)
    return [steps[i] for i in rng.permutation(len(steps))]


def pack(rows: list[int], row_windows, width: int):
    """Fixed-shape arrays for one step: windows padded to WINDOWS_PER_STEP x width; padding windows belong
    to a dummy segment that has weight 0."""
    ids = np.zeros((WINDOWS_PER_STEP, width), np.int32)
    mask = np.zeros((WINDOWS_PER_STEP, width), np.int32)
    seg = np.full(WINDOWS_PER_STEP, WINDOWS_PER_STEP, np.int32)
    k = 0
    for j, r in enumerate(rows):
        for w in row_windows[r]:
            ids[k, : len(w)] = w
            mask[k, : len(w)] = 1
            seg[k] = j
            k += 1
    mask[k:, 0] = 1  # padding windows attend to one token, so pooling stays finite
    return ids, mask, seg


def train(params: dict, row_windows, y: np.ndarray, weight: np.ndarray, log, on_epoch=None) -> dict:
    rng = np.random.default_rng(SEED)
    plans = [plan_steps(row_windows, rng) for _ in range(EPOCHS)]
    total = sum(map(len, plans))
    def schedule(peak):
        return optax.warmup_cosine_decay_schedule(0.0, peak, int(total * WARMUP), total, 0.0)

    labels = {k: ("head" if k.startswith("head.") else "encoder") for k in params}
    opt = optax.multi_transform(
        {
            "encoder": optax.adamw(schedule(ENCODER_LR), weight_decay=WEIGHT_DECAY),
            "head": optax.adamw(schedule(HEAD_LR), weight_decay=0.0),
        },
        labels,
    )
    p = {k: jnp.asarray(v) for k, v in params.items()}
    state = opt.init(p)

    def loss_fn(p, ids, mask, seg, yy, ww):
        z = window_logit(p, ids, mask)
        zr = jax.ops.segment_max(z, seg, num_segments=WINDOWS_PER_STEP + 1)[:WINDOWS_PER_STEP]
        zr = jnp.where(ww > 0, zr, 0.0)
        bce = optax.sigmoid_binary_cross_entropy(zr, yy)
        return (bce * ww).sum() / jnp.maximum(ww.sum(), 1e-9)

    @jax.jit
    def step(p, state, ids, mask, seg, yy, ww):
        loss, g = jax.value_and_grad(loss_fn)(p, ids, mask, seg, yy, ww)
        upd, state = opt.update(g, state, p)
        return optax.apply_updates(p, upd), state, loss

    t0 = time.time()
    done = 0
    for epoch, plan in enumerate(plans):
        running = []
        for rows in plan:
            width = bucket_of(max(len(w) for r in rows for w in row_windows[r]))
            ids, mask, seg = pack(rows, row_windows, width)
            yy = np.zeros(WINDOWS_PER_STEP, np.float32)
            ww = np.zeros(WINDOWS_PER_STEP, np.float32)
            yy[: len(rows)] = y[rows]
            ww[: len(rows)] = weight[rows]
            p, state, loss = step(p, state, ids, mask, seg, yy, ww)
            running.append(float(loss))
            done += 1
            if done % 50 == 0:
                log(f"step {done}/{total} epoch {epoch + 1} loss {np.mean(running[-50:]):.4f} ({time.time() - t0:.0f}s)")
        if on_epoch:
            on_epoch(epoch + 1, {k: np.asarray(v) for k, v in p.items()})
    return {k: np.asarray(v) for k, v in p.items()}


def score_windows(params: dict, row_windows, batch: int = 64) -> np.ndarray:
    """Max window logit per row."""
    p = {k: jnp.asarray(v) for k, v in params.items()}
    fn = jax.jit(window_logit)
    flat = [(r, w) for r, ws in enumerate(row_windows) for w in ws]
    flat.sort(key=lambda x: len(x[1]))
    out = np.full(len(row_windows), -np.inf)
    for b in range(0, len(flat), batch):
        part = flat[b : b + batch]
        width = bucket_of(max(len(w) for _, w in part))
        ids = np.zeros((batch, width), np.int32)
        mask = np.zeros((batch, width), np.int32)
        mask[:, 0] = 1
        for k, (_, w) in enumerate(part):
            ids[k, : len(w)] = w
            mask[k, : len(w)] = 1
        z = np.asarray(fn(p, ids, mask))
        for k, (r, _) in enumerate(part):
            out[r] = max(out[r], z[k])
    return out
