import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from experiments.common.detection_metrics import best_f1_threshold, precision_recall_f1, roc_auc
from experiments.common.rolling_zscore import rolling_zscore


def test_precision_recall_f1_on_hand_made_labels():
    labels = np.array([0, 1, 1, 0, 1, 0])
    predicted = np.array([1, 1, 0, 0, 1, 0])
    p, r, f = precision_recall_f1(labels, predicted)
    assert (p, r) == pytest.approx((2 / 3, 2 / 3))
    assert f == pytest.approx(2 / 3)
    assert precision_recall_f1(labels, np.zeros(6)) == (0.0, 0.0, 0.0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(5, 60))
def test_roc_auc_matches_scikit_learn_with_ties(seed, n):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    labels[:2] = [0, 1]
    scores = rng.integers(0, 5, n).astype(float)  # many ties
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))


def test_roc_auc_needs_both_classes():
    with pytest.raises(ValueError, match="both"):
        roc_auc(np.zeros(4), np.arange(4.0))


def test_best_f1_threshold_separates_a_separable_stretch():
    labels = np.array([0, 0, 1, 1, 0])
    scores = np.array([0.1, 0.3, 0.9, 0.8, 0.2])
    threshold = best_f1_threshold(labels, scores)
    assert precision_recall_f1(labels, scores >= threshold)[2] == 1.0


def test_rolling_zscore_flags_a_spike_and_not_the_warm_up():
    rng = np.random.default_rng(0)
    values = np.sin(np.arange(400) / 5) + 0.05 * rng.normal(size=400)
    values[300] += 3.0
    scores = rolling_zscore(values, window=20)
    assert scores.shape == values.shape
    assert not scores[:20].any()
    assert np.argmax(scores) == 300


def test_rolling_zscore_equals_its_definition_at_one_step():
    values = np.array([1.0, 3.0, 2.0, 6.0, 4.0])
    scores = rolling_zscore(values, window=3)
    past = values[0:3]
    assert scores[3] == pytest.approx(abs(6.0 - past.mean()) / past.std())
    with pytest.raises(ValueError, match="window"):
        rolling_zscore(values, window=5)
