"""Length helpers: masks, reversal inside each length, last valid step."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmjax as lj
from lstmjax.masking import reverse_indices


def test_length_mask():
    mask = lj.length_mask(jnp.array([2, 0, 3]), 3)
    np.testing.assert_array_equal(mask, [[1, 0, 1], [1, 0, 1], [0, 0, 1]])


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 8).flatmap(
        lambda T: st.tuples(st.just(T), st.lists(st.integers(0, T), min_size=1))
    )
)
def test_reverse_in_length_reverses_valid_steps_and_keeps_padding(case):
    T, lengths = case
    lengths = np.asarray(lengths)
    xs = np.arange(T * len(lengths), dtype=np.float32).reshape(T, len(lengths))
    out = np.asarray(lj.reverse_in_length(jnp.asarray(xs), jnp.asarray(lengths)))
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(out[:n, b], xs[:n, b][::-1])
        np.testing.assert_array_equal(out[n:, b], xs[n:, b])
    idx = reverse_indices(jnp.asarray(lengths), T)
    identity = np.broadcast_to(np.arange(T)[:, None], idx.shape)
    np.testing.assert_array_equal(jnp.take_along_axis(idx, idx, axis=0), identity)


def test_last_valid():
    ys = jnp.arange(2 * 3 * 2, dtype=jnp.float32).reshape(2, 3, 2)
    out = lj.last_valid(ys, jnp.array([2, 0]))
    np.testing.assert_array_equal(out, [[2.0, 3.0], [0.0, 0.0]])
    out_tm = lj.last_valid(jnp.swapaxes(ys, 0, 1), jnp.array([3, 1]), time_axis=0)
    np.testing.assert_array_equal(out_tm, [[4.0, 5.0], [6.0, 7.0]])
