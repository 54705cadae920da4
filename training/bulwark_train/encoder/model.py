"""MiniLM (BERT, 6 layers, 384 wide, 12 heads) as a pure JAX function, plus the classification head.

A window's score is one logit z from the mean-pooled last hidden state (the pooling all-MiniLM-L6-v2 was
trained with); the exported ONNX graph emits logits [0, z] so softmax(logits)[1] = sigmoid(z).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .base import HEADS, HIDDEN, LAYERS

LN_EPS = 1e-12


def layer_norm(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / jnp.sqrt(var + LN_EPS) * w + b


def dense(p, name, x):
    return x @ p[name + ".weight"] + p[name + ".bias"]


def encode(p, ids, mask):
    """Last hidden state [B, T, H] for int ids [B, T] and a 0/1 mask [B, T]."""
    t = ids.shape[1]
    x = p["embeddings.word_embeddings.weight"][ids]
    x = x + p["embeddings.position_embeddings.weight"][:t][None] + p["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"])
    d = HIDDEN // HEADS
    neg = (1.0 - mask[:, None, None, :].astype(x.dtype)) * jnp.finfo(x.dtype).min
    for i in range(LAYERS):
        pre = f"encoder.layer.{i}."

        def heads(y):
            return y.reshape(y.shape[0], t, HEADS, d).transpose(0, 2, 1, 3)

        q = heads(dense(p, pre + "attention.self.query", x))
        k = heads(dense(p, pre + "attention.self.key", x))
        v = heads(dense(p, pre + "attention.self.value", x))
        att = jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) / jnp.sqrt(d) + neg, axis=-1)
        ctx = (att @ v).transpose(0, 2, 1, 3).reshape(x.shape)
        x = layer_norm(
            x + dense(p, pre + "attention.output.dense", ctx),
            p[pre + "attention.output.LayerNorm.weight"],
            p[pre + "attention.output.LayerNorm.bias"],
        )
        h = jax.nn.gelu(dense(p, pre + "intermediate.dense", x), approximate=False)
        x = layer_norm(
            x + dense(p, pre + "output.dense", h),
            p[pre + "output.LayerNorm.weight"],
            p[pre + "output.LayerNorm.bias"],
        )
    return x


def mean_pool(hidden, mask):
    m = mask[..., None].astype(hidden.dtype)
    return (hidden * m).sum(1) / jnp.maximum(m.sum(1), 1e-9)


def window_logit(p, ids, mask):
    """One logit per window: the head over the mean-pooled encoding."""
    pooled = mean_pool(encode(p, ids, mask), mask)
    return (pooled @ p["head.weight"] + p["head.bias"])[:, 0]
