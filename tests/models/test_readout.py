"""Readout heads against direct NumPy computation, with and without lengths."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from lstmjax.models.readout import last_step_readout, linear_readout, per_step_readout

B, T, H, OUT = 3, 5, 4, 2
LENGTHS = np.array([5, 2, 0])


def setup(readout):
    params = readout.init(jax.random.key(0), H)
    params = params._replace(b=params.b + 0.5)
    ys = np.asarray(jax.random.normal(jax.random.key(1), (B, T, H)))
    return params, ys, np.asarray(params.w), np.asarray(params.b)


def test_linear_readout_any_leading_dims():
    params, ys, w, b = setup(linear_readout(OUT))
    out = linear_readout(OUT).apply(params, ys)
    np.testing.assert_allclose(out, ys @ w + b, rtol=1e-5, atol=1e-6)
    assert out.shape == (B, T, OUT)


def test_last_step_readout_reads_each_last_valid_step():
    head = last_step_readout(OUT)
    params, ys, w, b = setup(head)
    np.testing.assert_allclose(head.apply(params, ys), ys[:, -1] @ w + b, rtol=1e-5, atol=1e-6)
    expected = np.stack([ys[0, 4] @ w + b, ys[1, 1] @ w + b, b])  # length 0 -> h = 0
    np.testing.assert_allclose(head.apply(params, ys, LENGTHS), expected, rtol=1e-5, atol=1e-6)


def test_per_step_readout_is_zero_past_each_length():
    head = per_step_readout(OUT)
    params, ys, w, b = setup(head)
    out = np.asarray(head.apply(params, ys, LENGTHS))
    for i, n in enumerate(LENGTHS):
        np.testing.assert_allclose(out[i, :n], ys[i, :n] @ w + b, rtol=1e-5, atol=1e-6)
        assert np.all(out[i, n:] == 0)


def test_init_bounds_and_bias():
    params = linear_readout(OUT, bias=1.0).init(jax.random.key(0), 100)
    assert params.w.shape == (100, OUT) and np.all(np.abs(params.w) <= 0.1)
    np.testing.assert_array_equal(params.b, np.ones(OUT))


def test_bad_input_names_the_argument():
    head = last_step_readout(OUT)
    params = head.init(jax.random.key(0), H)
    with pytest.raises(ValueError, match=r"ys: expected last axis 4"):
        head.apply(params, np.zeros((B, T, H + 1)))
    with pytest.raises(ValueError, match=r"ys: expected shape \[B, T, H\]"):
        head.apply(params, np.zeros((T, H)))
    with pytest.raises(ValueError, match="output_size"):
        per_step_readout(0)
