import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.common.dtw import dtw_distances, nearest_neighbour_predict


def _reference_dtw(a, b):
    n, m = len(a), len(b)
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = np.sum((a[i - 1] - b[j - 1]) ** 2)
            acc[i, j] = cost + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    return acc[n, m]


def _padded(seqs, steps):
    xs = np.zeros((len(seqs), steps, seqs[0].shape[1]))
    for i, s in enumerate(seqs):
        xs[i, : len(s)] = s
    return xs, np.array([len(s) for s in seqs])


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.integers(1, 6), min_size=1, max_size=4),
    st.lists(st.integers(1, 6), min_size=1, max_size=4),
    st.integers(0, 10_000),
)
def test_matches_a_plain_loop_and_ignores_padding(len_a, len_b, seed):
    rng = np.random.default_rng(seed)
    seqs_a = [rng.normal(size=(n, 3)) for n in len_a]
    seqs_b = [rng.normal(size=(n, 3)) for n in len_b]
    a, la = _padded(seqs_a, 7)
    b, lb = _padded(seqs_b, 8)
    a[np.arange(7)[None, :] >= la[:, None]] = 99.0  # padding that must never be read
    got = dtw_distances(a, la, b, lb, chunk=2)
    want = [[_reference_dtw(x, y) for y in seqs_b] for x in seqs_a]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_warping_absorbs_a_repeated_frame():
    a = np.array([[[0.0], [1.0], [2.0], [0.0]]])
    b = np.array([[[0.0], [1.0], [1.0], [2.0]]])
    d = dtw_distances(a, np.array([3]), b, np.array([4]))
    assert d[0, 0] == 0.0


def test_nearest_neighbour_predict_takes_the_closest_label():
    distances = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 1.0]])
    np.testing.assert_array_equal(nearest_neighbour_predict(distances, [7, 8, 9]), [8, 7])


def test_zero_length_is_an_error():
    with pytest.raises(ValueError, match="length"):
        dtw_distances(np.zeros((1, 2, 1)), np.array([0]), np.zeros((1, 2, 1)), np.array([2]))
