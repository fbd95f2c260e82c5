import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmjax.data.sequences import (
    SequenceSet,
    channel_stats,
    pad_sequences,
    split_validation,
    standardise,
)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=6), st.integers(1, 4))
def test_pad_sequences_keeps_values_and_zero_pads(lengths, features):
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, features)).astype(np.float32) for n in lengths]
    xs, got_lengths = pad_sequences(seqs)
    assert xs.shape == (len(lengths), max(lengths), features)
    np.testing.assert_array_equal(got_lengths, lengths)
    for i, s in enumerate(seqs):
        np.testing.assert_array_equal(xs[i, : len(s)], s)
        assert not xs[i, len(s) :].any()


def test_pad_sequences_rejects_short_num_steps_and_mixed_features():
    with pytest.raises(ValueError, match="num_steps"):
        pad_sequences([np.ones((5, 2))], num_steps=3)
    with pytest.raises(ValueError, match="one D"):
        pad_sequences([np.ones((5, 2)), np.ones((5, 3))])


def _toy(n_per_class=10, classes=3):
    labels = np.repeat(np.arange(classes), n_per_class).astype(np.int32)
    lengths = np.arange(len(labels)) % 5 + 1
    xs = np.zeros((len(labels), 5, 2), np.float32)
    for i, n in enumerate(lengths):
        xs[i, :n] = i + 1
    return SequenceSet(xs, lengths.astype(np.int32), labels)


def test_split_validation_is_disjoint_stratified_and_complete():
    data = _toy()
    train, valid = split_validation(data, 0.2, seed=0)
    assert len(train.labels) + len(valid.labels) == len(data.labels)
    np.testing.assert_array_equal(np.bincount(valid.labels), [2, 2, 2])
    ids_train = set(train.xs[:, 0, 0].tolist())
    ids_valid = set(valid.xs[:, 0, 0].tolist())
    assert not ids_train & ids_valid
    assert ids_train | ids_valid == set(data.xs[:, 0, 0].tolist())


def test_split_validation_depends_on_seed():
    a = split_validation(_toy(), 0.3, seed=0)[1].xs[:, 0, 0]
    b = split_validation(_toy(), 0.3, seed=1)[1].xs[:, 0, 0]
    assert set(a.tolist()) != set(b.tolist())


def test_standardise_uses_valid_steps_only_and_keeps_padding_zero():
    data = _toy()
    mean, std = channel_stats(data)
    valid_values = np.concatenate([data.xs[i, :n] for i, n in enumerate(data.lengths)])
    np.testing.assert_allclose(mean, valid_values.mean(0), rtol=1e-6)
    out = standardise(data, mean, std)
    mask = np.arange(5)[None, :] < data.lengths[:, None]
    assert not out.xs[~mask].any()
    np.testing.assert_allclose(out.xs[mask].mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.xs[mask].std(0), 1.0, atol=1e-5)
