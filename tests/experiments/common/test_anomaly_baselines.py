import numpy as np
import pytest

from experiments.common.difference_scores import abs_difference
from experiments.common.isolation_forest import isolation_forest_scores
from experiments.common.matrix_profile import centred_scores, discord_scores, dominant_period
from experiments.common.ucr_score import events, ucr_correct


def test_events_are_inclusive_runs_of_ones():
    assert events([0, 1, 1, 0, 0, 1]) == [(1, 2), (5, 5)]
    assert events([0, 0]) == []


@pytest.mark.parametrize(
    ("peak", "correct"),
    [(500, True), (400, True), (399, False), (611, True), (612, False), (0, False)],
)
def test_ucr_margin_is_100_steps_for_a_short_event(peak, correct):
    labels = np.zeros(1000, int)
    labels[500:512] = 1  # (500, 511): margin 100 -> [400, 611]
    scores = np.zeros(1000)
    scores[peak] = 1.0
    assert ucr_correct(labels, scores) is correct


def test_ucr_margin_grows_to_a_long_events_length():
    labels = np.zeros(2000, int)
    labels[1000:1150] = 1  # length 150 -> [850, 1299]
    scores = np.zeros(2000)
    scores[851] = 1.0
    assert ucr_correct(labels, scores)
    scores[851], scores[849] = 0.0, 1.0
    assert not ucr_correct(labels, scores)


def test_ucr_takes_the_first_peak_and_accepts_any_event():
    labels = np.zeros(1000, int)
    labels[100] = labels[900] = 1
    scores = np.zeros(1000)
    scores[[500, 905]] = 1.0  # tie: the first (500) counts, near no event
    assert not ucr_correct(labels, scores)
    scores[500] = 0.5
    assert ucr_correct(labels, scores)
    with pytest.raises(ValueError, match="event"):
        ucr_correct(np.zeros(5), np.arange(5.0))


def test_differences_by_hand():
    y = np.array([1.0, 4.0, 2.0, 2.0, 7.0])
    np.testing.assert_array_equal(abs_difference(y, 1), [0, 3, 2, 0, 5])
    np.testing.assert_array_equal(abs_difference(y, 2), [0, 0, 5, 2, 5])
    with pytest.raises(ValueError, match="order"):
        abs_difference(y, 3)


def test_dominant_period_of_a_trending_sine():
    t = np.arange(1000)
    y = np.sin(2 * np.pi * t / 25) + 0.01 * t
    assert dominant_period(y, max_lag=60) == 25
    with pytest.raises(ValueError, match="negative"):
        dominant_period(np.cumsum(np.ones(100)) ** 2, max_lag=20)


def test_centred_scores_put_each_distance_on_its_middle_step():
    np.testing.assert_array_equal(centred_scores([1.0, 2.0, 3.0], 7, 5), [0, 0, 1, 2, 3, 0, 0])
    with pytest.raises(ValueError, match="shape"):
        centred_scores([1.0, 2.0], 7, 5)


@pytest.mark.slow  # stumpy compiles its kernels with numba for about a minute
def test_discord_scores_match_brute_force_distances():
    rng = np.random.default_rng(0)
    y = np.sin(np.arange(120) / 3) + 0.1 * rng.normal(size=120)
    y[90:94] += 2.0
    m, end = 8, 60

    def z(x):
        return (x - x.mean()) / x.std()

    reference = [z(y[j : j + m]) for j in range(end - m + 1)]
    brute = [
        min(np.linalg.norm(z(y[i : i + m]) - r) for r in reference) for i in range(120 - m + 1)
    ]
    scores = discord_scores(y, end, m)
    np.testing.assert_allclose(scores[m // 2 : m // 2 + len(brute)], brute, atol=1e-6)
    assert 86 <= np.argmax(scores) <= 98


def test_isolation_forest_flags_an_odd_window_and_is_seeded():
    rng = np.random.default_rng(0)
    y = np.sin(np.arange(600) / 4) + 0.05 * rng.normal(size=600)
    y[450:455] = 3.0
    scores = isolation_forest_scores(y, 300, 10, seed=1)
    assert scores.shape == y.shape and not scores[:9].any()
    assert 450 <= np.argmax(scores) <= 464
    np.testing.assert_array_equal(scores, isolation_forest_scores(y, 300, 10, seed=1))
    with pytest.raises(ValueError, match="window"):
        isolation_forest_scores(y, 300, 300)
