"""The fused GRU kernel against a plain ``lax.scan`` of ``lstmjax.gru``'s recurrent_step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import lstmjax as lj
from lstmjax.kernels.gru_scan import gru_directions, gru_sequence

T, B, D, H = 5, 3, 4, 6


def _params(seed):
    cell = lj.gru(H)
    p = cell.init(jax.random.PRNGKey(seed), D)
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed + 100))
    p = p._replace(
        b=0.3 * jax.random.normal(k1, p.b.shape), b_hn=0.3 * jax.random.normal(k2, p.b_hn.shape)
    )
    return cell, p


def _reference(cell, p, xs, h0, mask):
    def step(h, inputs):
        xp_t, m_t = inputs
        h_new, _ = cell.recurrent_step(p, h, xp_t)
        m_t = m_t[:, None]
        return jnp.where(m_t, h_new, h), jnp.where(m_t, h_new, 0)

    h_T, ys = jax.lax.scan(step, h0, (cell.input_projection(p, xs), mask))
    return ys, h_T


def _loss(ys, h_T):
    return jnp.sum(ys**2) + jnp.sum(jnp.sin(h_T))


@pytest.mark.parametrize("masked", [False, True])
def test_values_and_gradients_match_the_cell_scan(masked):
    cell, p = _params(0)
    xs = jax.random.normal(jax.random.PRNGKey(1), (T, B, D))
    h0 = jax.random.normal(jax.random.PRNGKey(2), (B, H))
    lengths = jnp.array([T, 2, 0]) if masked else jnp.array([T, T, T])
    mask = jnp.arange(T)[:, None] < lengths[None]

    def fused(p, xs, h0):
        return _loss(*gru_sequence(p.w_ih, p.b, p.w_hh, p.b_hn, xs, h0, mask))

    def ref(p, xs, h0):
        return _loss(*_reference(cell, p, xs, h0, mask))

    ys, h_T = gru_sequence(p.w_ih, p.b, p.w_hh, p.b_hn, xs, h0, mask)
    ys_r, h_T_r = _reference(cell, p, xs, h0, mask)
    np.testing.assert_allclose(ys, ys_r, atol=1e-5)
    np.testing.assert_allclose(h_T, h_T_r, atol=1e-5)
    for g, g_r in zip(
        jax.tree.leaves(jax.grad(fused, argnums=(0, 1, 2))(p, xs, h0)),
        jax.tree.leaves(jax.grad(ref, argnums=(0, 1, 2))(p, xs, h0)),
        strict=True,
    ):
        np.testing.assert_allclose(g, g_r, atol=1e-5)


def test_two_directions_and_check_grads():
    _, p = _params(3)
    xs = jax.random.normal(jax.random.PRNGKey(4), (1, B, D))
    h0 = jnp.zeros((B, H))
    args = tuple((a, a) for a in (p.w_ih, p.b, p.w_hh, p.b_hn, xs, h0))
    (ys_a, ys_b), _ = gru_directions(*args, None)
    np.testing.assert_allclose(ys_a, ys_b)
    check_grads(
        lambda *a: gru_directions(*a, None), args, order=1, modes=["rev"], atol=1e-2, rtol=1e-2
    )
