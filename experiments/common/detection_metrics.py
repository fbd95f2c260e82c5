"""Point-wise anomaly detection scores: precision, recall, F1, ROC-AUC.

Labels are ``1`` for anomalous steps; a detector gives a score per step (higher
is more anomalous) and a threshold turns scores into predictions.
ROC-AUC is the probability that a random anomalous step scores above a random
normal one (ties count one half), computed from average ranks (Mann-Whitney U).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def precision_recall_f1(labels: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    """``(precision, recall, F1)`` of boolean ``predicted [N]`` against ``labels [N]``;
    0 where undefined."""
    labels = np.asarray(labels).astype(bool)
    predicted = np.asarray(predicted).astype(bool)
    hits = float(np.sum(labels & predicted))
    precision = hits / predicted.sum() if predicted.any() else 0.0
    recall = hits / labels.sum() if labels.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve of ``scores [N]`` for binary ``labels [N]``."""
    labels = np.asarray(labels).astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("labels: ROC-AUC needs both anomalous and normal steps")
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    u = ranks[labels].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The score threshold (``predicted = scores >= t``) with the highest F1.

    For model selection on a VALIDATION stretch only; reporting it on the test
    stretch would be tuning on the test labels.
    """
    candidates = np.unique(np.asarray(scores))
    f1s = [precision_recall_f1(labels, scores >= t)[2] for t in candidates]
    return float(candidates[int(np.argmax(f1s))])
