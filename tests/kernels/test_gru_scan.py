"""The fused GRU kernel against a plain ``lax.scan`` of ``lstmjax.gru``'s recurrent_step."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import lstmjax as lj
from lstmjax.kernels import tuning
from lstmjax.kernels.gru_scan import gru_directions, gru_sequence
from tests.helpers import assert_close_to_scale, randomize

T, B, D, H = 5, 3, 4, 6
LENGTHS = jnp.array([5, 2, 0])


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
    lengths = LENGTHS if masked else jnp.array([T, T, T])
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


@pytest.mark.parametrize("masked", [False, True])
def test_check_grads_one_and_two_directions(masked):
    _, p = _params(3)
    xs = jax.random.normal(jax.random.PRNGKey(4), (4, B, D))
    h0 = 0.5 * jax.random.normal(jax.random.PRNGKey(5), (B, H))
    mask = (jnp.arange(4)[:, None] < jnp.array([4, 2, 0])[None]) if masked else None
    one = (p.w_ih, p.b, p.w_hh, p.b_hn, xs, h0)
    check_grads(
        lambda *a: gru_sequence(*a, mask), one, order=1, modes=["rev"], atol=1e-2, rtol=1e-2
    )
    two = tuple((a, 0.5 * a) for a in one)
    check_grads(
        lambda *a: gru_directions(*a, mask), two, order=1, modes=["rev"], atol=1e-2, rtol=1e-2
    )
    # each direction of the one scan is the one-direction layer on its own
    ys, h_T = gru_directions(*two, mask)
    for d in range(2):
        ys_d, h_d = gru_sequence(*(a[d] for a in two), mask)
        assert_close_to_scale((ys[d], h_T[d]), (ys_d, h_d), 1e-6)


def _fused_and_reference(loss, *args):
    """``value_and_grad`` of ``loss(..., implementation)``, fused then reference."""
    return tuple(
        jax.jit(jax.value_and_grad(functools.partial(loss, implementation=impl)))(*args)
        for impl in ("fused", "reference")
    )


def _weighted(ys, final):
    weights = jnp.cos(jnp.arange(ys.size, dtype=jnp.float32)).reshape(ys.shape)
    return jnp.sum(ys * weights) + sum(jnp.sum(jnp.sin(x)) for x in jax.tree.leaves(final))


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, LENGTHS])
def test_rnn_matches_reference(reverse, lengths):
    cell = lj.gru(H)
    params = randomize(cell.init(jax.random.key(0), D), 1, 0.4)
    xs = jax.random.normal(jax.random.key(1), (B, T, D))
    h0 = jax.random.normal(jax.random.key(2), (B, H))

    def loss(args, implementation):
        p, x, h = args
        out = lj.rnn(
            cell,
            p,
            x,
            lengths=lengths,
            initial_carry=h,
            reverse=reverse,
            implementation=implementation,
        )
        return _weighted(*out)

    fused, ref = _fused_and_reference(loss, (params, xs, h0))
    assert_close_to_scale(fused, ref, 1e-5)


@pytest.mark.parametrize("bf16", [False, True])
def test_bidirectional_stack_matches_reference(bf16):
    cell = lj.gru(H, compute_dtype=jnp.bfloat16 if bf16 else None)
    net = lj.stack([lj.bidirectional(cell), cell])
    params = randomize(net.init(jax.random.key(3), D), 4, 0.4)
    xs = jax.random.normal(jax.random.key(5), (B, T, D))

    def loss(args, implementation):
        p, x = args
        return _weighted(*net.apply(p, x, lengths=LENGTHS, implementation=implementation))

    fused, ref = _fused_and_reference(loss, (params, xs))
    assert_close_to_scale(fused, ref, 1e-2 if bf16 else 1e-5)


def test_bidirectional_split_and_vmapped_directions_agree(monkeypatch):
    """Both ways a backend may run the directions: one scan of unbatched steps, or vmap."""
    bi = lj.bidirectional(lj.gru(H))
    params = randomize(bi.init(jax.random.key(6), D), 7, 0.4)
    xs = jax.random.normal(jax.random.key(8), (B, T, D))

    def loss(p, x):
        return _weighted(*bi.apply(p, x, lengths=LENGTHS))

    results = []
    for split in (frozenset({jax.default_backend()}), frozenset()):
        monkeypatch.setattr(tuning, "SPLIT_DIRECTIONS", split)
        results.append(jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(params, xs))
    assert_close_to_scale(*results, 1e-5)
