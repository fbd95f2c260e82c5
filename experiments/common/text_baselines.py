"""Same-data baselines of a character language model, scored per test block.

Every baseline sees what the model sees: the training block to learn from,
the validation block to choose its one setting (an order) on, and the test
text after everything before it. Test costs are kept per block of
``BLOCK_CHARS`` characters, so that a model and a baseline pair up block by
block (``paired_bootstrap`` over blocks).

- ``kneser-ney`` / ``witten-bell``: character n-grams (``char_ngram``) over
  the training block's vocabulary plus its unknown symbol, the order from
  ``NGRAM_ORDERS`` with the fewest validation bits (validation conditioned on
  the end of the training block, test on the end of the validation block);
  counts from the training block only.
- ``ppmd``: PPMd variant I, the order from ``PPMD_ORDERS`` chosen the same way
  (validation coded after the training block, test after training +
  validation). It adapts as it codes: its counts grow on the test text itself.
- ``xz -9e``, ``xz -9``, ``bzip2 -9``: whole-test bits per char after the
  training + validation prefix (``bits_per_char`` with a ``prefix``); one number
  each (their coded streams cannot be split into blocks).
"""

from __future__ import annotations

import numpy as np

from experiments.common import char_ngram
from experiments.common.compression import (
    COMPRESSORS,
    bits_per_char,
    ppmd_block_bits,
)
from experiments.common.text import CharVocab

BLOCK_CHARS = 2000
NGRAM_ORDERS = tuple(range(2, 11))
PPMD_ORDERS = (4, 6, 8, 12, 16)


def block_bounds(n: int, block_chars: int = BLOCK_CHARS) -> list[tuple[int, int]]:
    """``[(start, stop)]`` of consecutive blocks of ``block_chars`` covering
    ``range(n)``; the last block holds the remainder."""
    if n < 1 or block_chars < 1:
        raise ValueError(f"n, block_chars: expected >= 1, got {n}, {block_chars}")
    starts = list(range(0, n, block_chars))
    return [(s, min(s + block_chars, n)) for s in starts]


def block_sums(costs, block_chars: int = BLOCK_CHARS) -> np.ndarray:
    """``[n_blocks]`` sums of per-character ``costs [N]`` over ``block_bounds(N)``."""
    costs = np.asarray(costs, dtype=np.float64)
    return np.array([costs[a:b].sum() for a, b in block_bounds(len(costs), block_chars)])


def _ngram(counts, train_ids, valid_ids, test_ids, smoothing) -> dict:
    valid_context = np.r_[train_ids[-NGRAM_ORDERS[-1] :], valid_ids]
    valid_bpc = {
        order: float(
            -char_ngram.log2_probs(
                counts, valid_context, NGRAM_ORDERS[-1], order=order, smoothing=smoothing
            ).mean()
        )
        for order in NGRAM_ORDERS
    }
    order = min(valid_bpc, key=valid_bpc.get)
    test_context = np.r_[valid_ids[-NGRAM_ORDERS[-1] :], test_ids]
    bits = -char_ngram.log2_probs(
        counts, test_context, NGRAM_ORDERS[-1], order=order, smoothing=smoothing
    )
    return {
        "order": order,
        "valid_bpc_by_order": {str(k): v for k, v in valid_bpc.items()},
        "test_bpc": float(bits.mean()),
        "test_block_bits": block_sums(bits).tolist(),
    }


def _ppmd(train: str, valid: str, test: str) -> dict:
    valid_bpc = {
        order: float(ppmd_block_bits(train, [valid], order).sum() / len(valid))
        for order in PPMD_ORDERS
    }
    order = min(valid_bpc, key=valid_bpc.get)
    blocks = [test[a:b] for a, b in block_bounds(len(test))]
    bits = ppmd_block_bits(train + valid, blocks, order)
    return {
        "order": order,
        "valid_bpc_by_order": {str(k): v for k, v in valid_bpc.items()},
        "test_bpc": float(bits.sum() / len(test)),
        "test_block_bits": bits.tolist(),
    }


def same_data_baselines(train: str, valid: str, test: str, vocab: CharVocab) -> dict:
    """Every baseline of the module doc on one split: ``{name: {"test_bpc", ...}}``,
    with ``"test_block_bits"`` (``[n_blocks]``) for the block-scored ones."""
    ids = [vocab.encode(t) for t in (train, valid, test)]
    counts = char_ngram.fit_counts(ids[0], vocab.size, max_order=NGRAM_ORDERS[-1])
    out = {s: _ngram(counts, *ids, smoothing=s) for s in char_ngram.SMOOTHINGS}
    out["ppmd"] = _ppmd(train, valid, test)
    for name in COMPRESSORS:
        out[name] = {"test_bpc": bits_per_char(test, name, prefix=train + valid)}
    return out
