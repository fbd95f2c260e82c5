"""Synthetic long-memory tasks, as pure functions of a PRNG key.

Every generator is ``task(key, batch_size, ...) -> Batch``, deterministic in
``key``; a training stream is ``task(jax.random.fold_in(key, step), ...)``,
so the position in the data is just the step count (what a checkpoint
stores). The three tasks are the classic tests of long-term memory
(Hochreiter & Schmidhuber 1997), where the relevant input lies up to ``T``
steps before the answer:

- ``adding``: regression, sum of two marked values (Arjovsky et al. 2016 form).
- ``adding_hs97``: the same in the paper's own form (experiment 4, Table 7):
  variable lengths, signed values, a tolerance that counts wrong sequences.
- ``delayed_recall``: copy a short symbol string after a long blank delay.
- ``temporal_order``: classify the order of two symbols among distractors.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

# Always predicting 1 for the sum of two U(0,1) values: Var = 2 / 12.
ADDING_BASELINE_MSE = 1.0 / 6.0
# adding_hs97: a sequence is wrong when |prediction - target| exceeds this.
HS97_TOLERANCE = 0.04


class Batch(NamedTuple):
    """A batch: ``inputs [B, T, D]`` float32 and ``targets`` (task-specific shape)."""

    inputs: jax.Array
    targets: jax.Array


class LengthBatch(NamedTuple):
    """A batch of sequences of several lengths: ``inputs [B, T_max, D]`` float32
    (zero past each length), ``targets`` and ``lengths [B]`` int32."""

    inputs: jax.Array
    targets: jax.Array
    lengths: jax.Array


def batch_at(task, key: jax.Array, step, *args, **kwargs) -> Batch:
    """The training batch of ``step``: ``task(fold_in(key, step), *args, **kwargs)``."""
    return task(jax.random.fold_in(key, step), *args, **kwargs)


def adding(key: jax.Array, batch_size: int, num_steps: int) -> Batch:
    """The adding problem (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016).

    Channel 0 holds ``T`` values ``U(0, 1)``; channel 1 is zero except for two
    ones, one at a uniform position in the first half ``[0, T//2)`` and one in
    the second half ``[T//2, T)``. The target is the sum of the two marked
    values. Predicting the constant 1 scores ``ADDING_BASELINE_MSE = 1/6``.

    Returns:
      ``Batch(inputs [B, T, 2], targets [B, 1])``.
    """
    if num_steps < 2:
        raise ValueError(f"num_steps: expected >= 2, got {num_steps}")
    k_val, k_first, k_second = jax.random.split(key, 3)
    half = num_steps // 2
    values = jax.random.uniform(k_val, (batch_size, num_steps))
    first = jax.random.randint(k_first, (batch_size,), 0, half)
    second = jax.random.randint(k_second, (batch_size,), half, num_steps)
    t = jnp.arange(num_steps)[None, :]
    marks = ((t == first[:, None]) | (t == second[:, None])).astype(jnp.float32)
    targets = jnp.sum(values * marks, axis=1, keepdims=True)
    return Batch(jnp.stack([values, marks], axis=-1), targets)


def adding_hs97(key: jax.Array, batch_size: int, min_steps: int) -> LengthBatch:
    """The adding problem as Hochreiter & Schmidhuber 1997 posed it (experiment 4).

    A sequence has a length drawn uniformly from ``[T, T + T // 10]``
    (``T = min_steps``); each step is a pair ``(x_t, m_t)`` with
    ``x_t ~ U(-1, 1)``. Exactly two pairs are marked ``m_t = 1``: one of the
    first ten (value ``X1``) and one of the first ``T // 2 - 1`` pairs still
    unmarked (``X2``). Every other ``m_t`` is 0 except the first and the last
    pair's, which are -1 (a marked first pair keeps ``m = 1`` and has
    ``X1 = 0``). The target, read at the sequence's last step, is

        y = 0.5 + (X1 + X2) / 4          (in [0, 1])

    and a sequence counts as wrong when ``|prediction - y| > HS97_TOLERANCE``
    (0.04). The paper calls the task solved when at most 3 of 2560 test
    sequences are wrong (Table 7: 74k / 209k / 853k training sequences at
    T = 100 / 500 / 1000). Predicting 0.5 gets about 0.040 MSE with 85% of
    the sequences wrong (``hs97_baselines``).

    Returns:
      ``LengthBatch(inputs [B, T + T // 10, 2], targets [B, 1], lengths [B])``.
    """
    if min_steps < 22:
        raise ValueError(f"min_steps: expected >= 22 (ten marks before T/2 - 1), got {min_steps}")
    k_len, k_val, k_first, k_second = jax.random.split(key, 4)
    t_max = min_steps + min_steps // 10
    lengths = jax.random.randint(k_len, (batch_size,), min_steps, t_max + 1)
    values = jax.random.uniform(k_val, (batch_size, t_max), minval=-1.0, maxval=1.0)
    first = jax.random.randint(k_first, (batch_size,), 0, 10)
    # uniform over the first T // 2 - 1 positions other than ``first``
    other = jax.random.randint(k_second, (batch_size,), 0, min_steps // 2 - 2)
    second = other + (other >= first)
    t = jnp.arange(t_max)[None, :]
    marked = (t == first[:, None]) | (t == second[:, None])
    ends = (t == 0) | (t == lengths[:, None] - 1)
    markers = jnp.where(marked, 1.0, jnp.where(ends, -1.0, 0.0))
    valid = t < lengths[:, None]
    values = jnp.where(valid & ~((t == 0) & marked), values, 0.0)
    markers = jnp.where(valid, markers, 0.0)
    targets = 0.5 + jnp.sum(jnp.where(marked, values, 0.0), axis=1, keepdims=True) / 4
    return LengthBatch(jnp.stack([values, markers], axis=-1), targets, lengths.astype(jnp.int32))


def hs97_baselines(min_steps: int) -> tuple[float, float]:
    """``(mse, wrong)`` of always predicting 0.5 in ``adding_hs97(.., min_steps)``.

    A mark on the first pair has value 0, which happens with probability
    ``p0 = 1/10 + (9/10) / (T // 2 - 2)`` (X1 there, or X2 there). Then

        mse   = E[(X1 + X2)^2] / 16 = (2 - p0) / 48
        wrong = p0 (1 - 4 tol) + (1 - p0) (2 - 4 tol)^2 / 4

    the second from ``|X1 + X2| / 4 > tol`` with one ``U(-1, 1)`` term (a zeroed
    mark) or two (triangular on ``[-2, 2]``).
    """
    p0 = 0.1 + 0.9 / (min_steps // 2 - 2)
    a = 4 * HS97_TOLERANCE
    return (2 - p0) / 48, p0 * (1 - a) + (1 - p0) * (2 - a) ** 2 / 4


def delayed_recall(
    key: jax.Array, batch_size: int, delay: int, *, num_symbols: int = 8, length: int = 10
) -> Batch:
    """The copy task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016), recall part only.

    The input shows ``length`` symbols drawn from ``num_symbols``, then
    ``delay`` blanks, then a delimiter, then ``length - 1`` more blanks; the
    model must output the symbols, in order, at the last ``length`` steps.
    Inputs are one-hot over ``num_symbols + 2`` channels (symbols, blank,
    delimiter), ``L = 2 * length + delay`` steps. Guessing scores accuracy
    ``1 / num_symbols`` and cross-entropy ``log(num_symbols)``.

    Returns:
      ``Batch(inputs [B, L, num_symbols + 2], targets [B, length])`` int32
      symbols to emit at steps ``L - length .. L - 1``.
    """
    if delay < 0:
        raise ValueError(f"delay: expected >= 0, got {delay}")
    blank, delimiter = num_symbols, num_symbols + 1
    symbols = jax.random.randint(key, (batch_size, length), 0, num_symbols)
    tokens = jnp.concatenate(
        [
            symbols,
            jnp.full((batch_size, delay), blank),
            jnp.full((batch_size, 1), delimiter),
            jnp.full((batch_size, length - 1), blank),
        ],
        axis=1,
    )
    return Batch(jax.nn.one_hot(tokens, num_symbols + 2), symbols.astype(jnp.int32))


def temporal_order(key: jax.Array, batch_size: int, num_steps: int) -> Batch:
    """The temporal-order task (Hochreiter & Schmidhuber 1997, experiment 6a).

    A sequence of ``T`` symbols over the alphabet ``a b c d X Y B E``: ``B``
    first, ``E`` last, distractors ``a..d`` elsewhere, except that ``X`` or
    ``Y`` sits at a position ``t1`` in ``[T/10, 2T/10]`` and another at ``t2``
    in ``[5T/10, 6T/10]``. The class is the order: XX=0, XY=1, YX=2, YY=3.
    Guessing scores accuracy 1/4.

    Returns:
      ``Batch(inputs [B, T, 8], targets [B])`` int32 classes.
    """
    if num_steps < 20:
        raise ValueError(f"num_steps: expected >= 20, got {num_steps}")
    k_tok, k_t1, k_t2, k_cls = jax.random.split(key, 4)
    tokens = jax.random.randint(k_tok, (batch_size, num_steps), 0, 4)  # a, b, c, d
    lo1, hi1 = math.floor(num_steps / 10), math.floor(2 * num_steps / 10)
    lo2, hi2 = math.floor(5 * num_steps / 10), math.floor(6 * num_steps / 10)
    t1 = jax.random.randint(k_t1, (batch_size,), lo1, hi1 + 1)
    t2 = jax.random.randint(k_t2, (batch_size,), lo2, hi2 + 1)
    classes = jax.random.randint(k_cls, (batch_size,), 0, 4)
    t = jnp.arange(num_steps)[None, :]
    tokens = jnp.where(t == t1[:, None], 4 + classes[:, None] // 2, tokens)  # X=4, Y=5
    tokens = jnp.where(t == t2[:, None], 4 + classes[:, None] % 2, tokens)
    tokens = tokens.at[:, 0].set(6).at[:, -1].set(7)  # B, E
    return Batch(jax.nn.one_hot(tokens, 8), classes.astype(jnp.int32))
