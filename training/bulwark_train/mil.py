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


def fit_mil(x, owner: np.ndarray, y_text: np.ndarray, c: float, rounds: int) -> tuple[np.ndarray, float]:
    y = y_text[owner]
    weight = 1.0 / np.bincount(owner)[owner]
    select = np.ones(len(owner), dtype=bool)
    model = None
    for r in range(rounds + 1):
        model = LogisticRegression(C=c, max_iter=3000, tol=1e-6)
        model.fit(x[select], y[select], sample_weight=weight[select] if r == 0 else None)
        scores = model.decision_function(x)
        best = max_per_owner(scores, owner, len(y_text))
        select = (y == 0) | (scores >= best[owner])
    assert model is not None
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])
