"""The character n-gram models against a direct dictionary implementation of
their recursions, and the properties every smoothed model must have."""

import collections
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.common import char_ngram


def reference_log2_probs(train, text, start, vocab_size, order, smoothing):
    """The module doc's recursions over tuples in dictionaries, one target at a time."""
    raw = collections.Counter()
    left = collections.defaultdict(set)  # k-gram -> the ids seen before it
    for k in range(1, order + 1):
        for i in range(len(train) - k + 1):
            gram = tuple(train[i : i + k])
            raw[gram] += 1
            if i > 0:
                left[gram].add(train[i - 1])

    def a(gram, top):
        if smoothing == "witten-bell" or top:
            return raw[gram]
        return len(left[gram])

    def discount(k, top):
        grams = [g for g in set(raw) | set(left) if len(g) == k]
        values = [a(g, top) for g in grams]
        n1, n2 = values.count(1), values.count(2)
        return n1 / (n1 + 2 * n2) if n1 else 0.5

    discounts = {k: discount(k, k == order) for k in range(1, order + 1)}
    out = []
    for t in range(start, len(text)):
        w = text[t]
        p = 1.0 / vocab_size
        for k in range(1, order + 1):
            if t - (k - 1) < 0:
                continue
            h = tuple(text[t - k + 1 : t])
            top = k == order
            counts = {v: a(h + (v,), top) for v in range(vocab_size)}
            total, types = sum(counts.values()), sum(c > 0 for c in counts.values())
            if total == 0:
                continue
            if smoothing == "witten-bell":
                p = (counts[w] + types * p) / (total + types)
            else:
                d = discounts[k]
                p = max(counts[w] - d, 0) / total + d * types / total * p
        out.append(math.log2(p))
    return np.array(out)


@pytest.mark.parametrize("smoothing", char_ngram.SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_matches_the_dictionary_recursion(smoothing, order):
    rng = np.random.default_rng(order)
    vocab_size = 5
    # a skewed, repetitive text so that every order's counts matter
    train = rng.choice(vocab_size, size=300, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    text = np.r_[train[-7:], rng.choice(vocab_size, size=60)]
    counts = char_ngram.fit_counts(train, vocab_size, max_order=4)
    got = char_ngram.log2_probs(counts, text, 0, order=order, smoothing=smoothing)
    want = reference_log2_probs(list(train), list(text), 0, vocab_size, order, smoothing)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=6, max_size=60),
    st.lists(st.integers(0, 3), min_size=1, max_size=6),
    st.integers(1, 5),
    st.sampled_from(char_ngram.SMOOTHINGS),
)
def test_each_distribution_sums_to_one_and_is_positive(train, history, order, smoothing):
    """``sum_w P(w | h) = 1`` with every ``P(w | h) > 0``, for any history,
    seen or not, including a symbol absent from training (id 4)."""
    vocab_size = 5
    order = min(order, len(train))
    counts = char_ngram.fit_counts(np.array(train), vocab_size, max_order=order)
    probs = [
        2.0
        ** char_ngram.log2_probs(
            counts, np.array(history + [w]), len(history), order=order, smoothing=smoothing
        )[0]
        for w in range(vocab_size)
    ]
    assert min(probs) > 0
    assert sum(probs) == pytest.approx(1.0, abs=1e-12)


def test_a_repeated_text_is_predicted_almost_surely_at_a_high_order():
    pattern = np.array([0, 1, 2, 3, 1, 2, 0, 3])
    train = np.tile(pattern, 50)
    counts = char_ngram.fit_counts(train, 4, max_order=4)
    for smoothing in char_ngram.SMOOTHINGS:
        high = char_ngram.log2_probs(counts, np.tile(pattern, 3), 8, order=4, smoothing=smoothing)
        low = char_ngram.log2_probs(counts, np.tile(pattern, 3), 8, order=1, smoothing=smoothing)
        assert -high.mean() < 0.1 < 1.5 < -low.mean()


def test_bad_arguments_name_themselves():
    train = np.array([0, 1, 2, 1, 0])
    with pytest.raises(ValueError, match="ids"):
        char_ngram.fit_counts(train, 2, max_order=2)
    with pytest.raises(ValueError, match="max_order"):
        char_ngram.fit_counts(train, 3, max_order=40)
    counts = char_ngram.fit_counts(train, 3, max_order=2)
    with pytest.raises(ValueError, match="order"):
        char_ngram.log2_probs(counts, train, 1, order=3)
    with pytest.raises(ValueError, match="smoothing"):
        char_ngram.log2_probs(counts, train, 1, order=2, smoothing="add-one")
    with pytest.raises(ValueError, match="start"):
        char_ngram.log2_probs(counts, train, 5, order=2)
