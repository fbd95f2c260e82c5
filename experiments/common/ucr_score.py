"""The UCR anomaly archive's score: is the single highest score on the anomaly?

Wu & Keogh's archive (KDD Cup 2021) judges a detector by one location per
series: the step ``p = argmax_t s_t`` of its score over the test stretch
(the first such step on ties). With the labelled events as runs of 1s,
``[begin_e, end_e]`` (inclusive) of length ``len_e = end_e - begin_e + 1``,
the rule implemented here is::

    correct  iff  begin_e - w_e <= p <= end_e + w_e  for some event e,
    w_e = max(min_margin, len_e)                      (min_margin = 100)

i.e. a margin of 100 steps on each side, widened to the event's own length
for events longer than 100 (the rule of the KDD Cup 2021 scoring script).
The UCR accuracy of a detector is the fraction of series it gets correct.
"""

from __future__ import annotations

import numpy as np


def events(labels) -> list[tuple[int, int]]:
    """The runs of 1s in ``labels [N]`` as inclusive ``(begin, end)`` steps."""
    labels = np.asarray(labels).astype(bool).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], labels, [0]])))
    return [(int(b), int(e) - 1) for b, e in edges.reshape(-1, 2)]


def ucr_correct(labels, scores, *, min_margin: int = 100) -> bool:
    """Whether the argmax of ``scores [N]`` falls within an event of ``labels [N]`` ± its margin.

    Pass the test stretch only (``labels[test], scores[test]``): the argmax is
    taken over every step given.
    """
    labels, scores = np.asarray(labels), np.asarray(scores)
    if labels.shape != scores.shape or labels.ndim != 1:
        raise ValueError(
            f"labels, scores: expected equal 1-d shapes, got {labels.shape}, {scores.shape}"
        )
    found = events(labels)
    if not found:
        raise ValueError("labels: the UCR score needs at least one labelled event")
    peak = int(np.argmax(scores))
    for begin, end in found:
        margin = max(min_margin, end - begin + 1)
        if begin - margin <= peak <= end + margin:
            return True
    return False
