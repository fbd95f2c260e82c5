"""apply_layer_norm: finite values and gradients at |x| = 1e30; same values as float64."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from lstmjax.cells.base import apply_layer_norm, layer_norm_init


def _reference(x, eps=1e-5):
    x = np.asarray(x, np.float64)
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


@pytest.mark.parametrize("magnitude", [1e-3, 1.0, 10.0, 1e4])
def test_matches_float64_reference_on_ordinary_inputs(magnitude):
    x = np.random.default_rng(0).normal(size=(4, 16)).astype(np.float32) * magnitude
    out = apply_layer_norm(jnp.asarray(x), layer_norm_init(16))
    np.testing.assert_allclose(np.asarray(out), _reference(x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
def test_finite_values_and_gradients_at_1e30(dtype):
    x = jnp.asarray(np.random.default_rng(1).normal(size=(3, 8)) * 1e30, dtype)
    params = layer_norm_init(8)
    out = apply_layer_norm(x, params)
    assert bool(jnp.all(jnp.isfinite(out.astype(jnp.float32))))
    grad = jax.grad(lambda v: jnp.sum(apply_layer_norm(v, params)[..., 0].astype(jnp.float32)))(x)
    assert bool(jnp.all(jnp.isfinite(grad.astype(jnp.float32))))
    expected = _reference(np.asarray(x.astype(jnp.float32)))
    tol = 1e-4 if dtype == jnp.float32 else 5e-2
    np.testing.assert_allclose(np.asarray(out.astype(jnp.float32)), expected, rtol=tol, atol=tol)


def test_constant_huge_row_gives_zero_not_nan():
    x = jnp.full((2, 8), 1e30, jnp.float32)
    out = apply_layer_norm(x, layer_norm_init(8))
    np.testing.assert_array_equal(np.asarray(out), 0.0)


def test_grad_through_lstm_layer_norm_at_1e30():
    cell = lj.lstm(8, layer_norm=True)
    params = cell.init(jax.random.key(0), 3)
    xs = jnp.full((5, 3), 1e30, jnp.float32).at[:, 1].set(-1e30)

    def loss(p, v):
        ys, _ = lj.rnn(cell, p, v)
        return jnp.sum(ys)

    gp, gx = jax.grad(loss, argnums=(0, 1))(params, xs)
    for leaf in jax.tree_util.tree_leaves((gp, gx)):
        assert bool(jnp.all(jnp.isfinite(leaf)))
