import math

import numpy as np
import pytest

from experiments.common import ranking


def loop_metrics(scores, targets, exclude):
    """The module doc's definitions, one user and one item at a time."""
    sums = dict.fromkeys(ranking.METRICS, 0.0)
    for u, t in enumerate(targets):
        rank = 1
        for j in range(len(scores[u])):
            if j != t and not exclude[u][j] and scores[u][j] >= scores[u][t]:
                rank += 1
        sums["recall10"] += rank <= 10
        sums["recall20"] += rank <= 20
        sums["ndcg10"] += 1 / math.log2(rank + 1) if rank <= 10 else 0.0
        sums["mrr20"] += 1 / rank if rank <= 20 else 0.0
    return {k: v / len(targets) for k, v in sums.items()}


def test_hand_ranks_and_metrics():
    scores = np.array([[0.0, 0.9, 0.5, 0.7], [0.0, 0.1, 0.1, 0.1]])
    exclude = np.array([[True, True, False, False], [True, False, False, False]])
    ranks = ranking.target_ranks(scores, np.array([2, 2]), exclude)
    # user 0: 0.9 is excluded, 0.7 is ahead -> 2; user 1: ties count against -> 3
    assert ranks.tolist() == [2, 3]
    found = ranking.metrics(ranks)
    assert found["recall10"] == 1.0 and found["mrr20"] == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert found["ndcg10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(4)) / 2)


def test_metrics_match_a_numpy_loop_on_random_cases():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=(30, 40)).astype(float)  # many ties
    exclude = rng.random((30, 40)) < 0.3
    targets = rng.integers(0, 40, size=30)
    exclude[np.arange(30), targets] = False
    found = ranking.metrics(ranking.target_ranks(scores, targets, exclude))
    assert found == pytest.approx(loop_metrics(scores, targets, exclude))


def test_excluded_target_is_an_error():
    with pytest.raises(ValueError, match="excluded"):
        ranking.target_ranks(np.zeros((1, 3)), np.array([1]), np.array([[0, 1, 0]], dtype=bool))


def test_lexicographic_breaks_ties_by_the_second_key_then_index():
    scores = ranking.lexicographic(np.array([[1.0, 2.0, 1.0, 1.0]]), np.array([5.0, 0.0, 7.0, 5.0]))
    assert scores.tolist() == [[0.0, 3.0, 2.0, 1.0]]
