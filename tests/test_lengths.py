"""Variable-length batches: every sequence of a padded batch gives exactly what
it gives when run alone without padding (property-based over B, T, D, H and
lengths, including length 0 and length T)."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmjax as lj
from tests.helpers import randomize

SETTINGS = settings(max_examples=8, deadline=None, derandomize=True)


@st.composite
def batches(draw):
    B = draw(st.integers(1, 4))
    T = draw(st.integers(1, 6))
    D = draw(st.integers(1, 4))
    H = draw(st.integers(1, 5))
    lengths = draw(st.lists(st.integers(0, T), min_size=B, max_size=B))
    seed = draw(st.integers(0, 2**16))
    xs = np.random.default_rng(seed).standard_normal((B, T, D)).astype(np.float32)
    return xs, np.asarray(lengths, np.int32), H, seed


def _alone(apply, xs, lengths):
    """Runs each sequence alone (no padding, no lengths); zero-length gives None."""
    return [apply(xs[b : b + 1, : lengths[b]]) if lengths[b] > 0 else None for b in range(len(xs))]


def _check(padded_ys, padded_final, alone, lengths, initial_final, final_axis=0):
    for b, result in enumerate(alone):
        final_b = jax.tree.map(lambda x, b=b: jnp.take(x, b, axis=final_axis), padded_final)
        if result is None:
            np.testing.assert_array_equal(padded_ys[b], 0.0)
            chex.assert_trees_all_close(final_b, initial_final)
            continue
        ys, final = result
        n = lengths[b]
        chex.assert_trees_all_close(padded_ys[b, :n], ys[0], atol=1e-5, rtol=1e-5)
        np.testing.assert_array_equal(padded_ys[b, n:], 0.0)
        chex.assert_trees_all_close(
            final_b,
            jax.tree.map(lambda x: jnp.take(x, 0, axis=final_axis), final),
            atol=1e-5,
            rtol=1e-5,
        )


@SETTINGS
@given(batches())
def test_unidirectional(batch):
    xs, lengths, H, seed = batch
    cell = lj.lstm(H)
    params = randomize(cell.init(jax.random.key(seed), xs.shape[-1]), seed)
    ys, final = lj.rnn(cell, params, xs, lengths=lengths)
    alone = _alone(lambda x: lj.rnn(cell, params, x), xs, lengths)
    _check(ys, final, alone, lengths, cell.initial_carry())


@SETTINGS
@given(batches())
def test_unidirectional_reversed(batch):
    xs, lengths, H, seed = batch
    cell = lj.gru(H)
    params = randomize(cell.init(jax.random.key(seed), xs.shape[-1]), seed)
    ys, final = lj.rnn(cell, params, xs, lengths=lengths, reverse=True)
    alone = _alone(lambda x: lj.rnn(cell, params, x, reverse=True), xs, lengths)
    _check(ys, final, alone, lengths, cell.initial_carry())


@SETTINGS
@given(batches())
def test_bidirectional(batch):
    xs, lengths, H, seed = batch
    cell = lj.lstm(H)
    bi = lj.bidirectional(cell)
    params = randomize(bi.init(jax.random.key(seed), xs.shape[-1]), seed)
    ys, final = bi.apply(params, xs, lengths=lengths)
    alone = _alone(lambda x: bi.apply(params, x), xs, lengths)
    initial = jax.tree.map(lambda x: jnp.stack([x, x]), cell.initial_carry())
    _check(ys, final, alone, lengths, initial, final_axis=1)


@SETTINGS
@given(batches())
def test_stacked(batch):
    xs, lengths, H, seed = batch
    net = lj.stack([lj.bidirectional(lj.lstm(H)), lj.lstm(H + 1)], residual=False)
    params = randomize(net.init(jax.random.key(seed), xs.shape[-1]), seed)
    ys, finals = net.apply(params, xs, lengths=lengths)
    alone = [
        None if r is None else (r[0], r[1][1])  # outputs and the top layer's final carry
        for r in _alone(lambda x: net.apply(params, x), xs, lengths)
    ]
    _check(ys, finals[1], alone, lengths, net.layers[1].initial_carry())
