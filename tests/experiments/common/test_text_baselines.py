"""The character LM's same-data baselines on a small generated text."""

import numpy as np
import pytest

from experiments.common import char_ngram, text_baselines
from experiments.common.text import build_vocab
from tests.experiments.common.test_compression import random_words


def test_blocks_cover_the_text_once_and_sum_its_costs():
    bounds = text_baselines.block_bounds(4500, 2000)
    assert bounds == [(0, 2000), (2000, 4000), (4000, 4500)]
    costs = np.arange(4500.0)
    np.testing.assert_allclose(text_baselines.block_sums(costs, 2000).sum(), costs.sum())
    with pytest.raises(ValueError, match="block_chars"):
        text_baselines.block_bounds(10, 0)


def test_every_baseline_is_scored_on_the_test_text_with_its_order_from_validation():
    train, valid, test = random_words(3000, 0), random_words(400, 1), random_words(900, 2)
    test = test + " zebra"  # characters outside the training vocabulary
    vocab = build_vocab(train, unknown=True)
    out = text_baselines.same_data_baselines(train, valid, test, vocab)
    assert set(out) == {"kneser-ney", "witten-bell", "ppmd", "xz -9", "xz -9e", "bzip2 -9"}
    n_blocks = len(text_baselines.block_bounds(len(test)))
    for name in ("kneser-ney", "witten-bell", "ppmd"):
        result = out[name]
        by_order = {int(k): v for k, v in result["valid_bpc_by_order"].items()}
        assert result["order"] == min(by_order, key=by_order.get)
        assert len(result["test_block_bits"]) == n_blocks
        assert sum(result["test_block_bits"]) / len(test) == pytest.approx(result["test_bpc"])
    # the n-gram's test bits are its own log-probabilities of the test ids
    ids = [vocab.encode(t) for t in (train, valid, test)]
    counts = char_ngram.fit_counts(ids[0], vocab.size, max_order=10)
    context = np.r_[ids[1][-10:], ids[2]]
    want = -char_ngram.log2_probs(counts, context, 10, order=out["kneser-ney"]["order"]).mean()
    assert out["kneser-ney"]["test_bpc"] == pytest.approx(want)
    # the source has about 0.6 bits per char: every learned model comes near it
    for name in ("kneser-ney", "witten-bell", "ppmd"):
        assert 0.55 < out[name]["test_bpc"] < 1.0
