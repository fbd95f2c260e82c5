"""Variational dropout and zoneout against hand-written scans with the same random draws."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from tests.helpers import assert_close_to_scale, randomize

B, T, D, H = 3, 7, 2, 4
KEY = jax.random.key(42)


def _setup(cell):
    params = randomize(cell.init(jax.random.key(0), D), 1, 0.6)
    xs = jax.random.normal(jax.random.key(2), (B, T, D))
    return params, xs


def _draws(rate_x, rate_h, widths, P):
    """The masks the layer draws from KEY (the documented split into three keys)."""
    k_x, k_h, k_z = jax.random.split(KEY, 3)
    m_x = jax.random.bernoulli(k_x, 1 - rate_x, (B, 1, D)) / (1 - rate_x)
    m_h = jax.random.bernoulli(k_h, 1 - rate_h, (B, P)) / (1 - rate_h)
    u = jax.random.uniform(k_z, (B, T, widths))
    return m_x, m_h, u


def _hand_scan(cell, params, xs, hidden_mask=None, zoneout=None, draws=None, train=True):
    """A plain loop of the cell's step with the given masks and zoneout."""
    carry = cell.initial_carry((B,))
    ys = []
    for t in range(T):
        xp = cell.input_projection(params, xs[:, t])
        kwargs = {} if hidden_mask is None else {"hidden_mask": hidden_mask}
        new, y = cell.recurrent_step(params, carry, xp, **kwargs)
        if zoneout is not None:
            leaves, treedef = jax.tree.flatten(carry)
            new_leaves, out, start = jax.tree.leaves(new), [], 0
            for old, n, z in zip(leaves, new_leaves, zoneout):
                w = old.shape[-1]
                keep = (draws[:, t, start : start + w] < z).astype(n.dtype) if train else z
                out.append(keep * old + (1 - keep) * n)
                start += w
            new = jax.tree.unflatten(treedef, out)
            y = out[0]
        carry = new
        ys.append(y)
    return jnp.stack(ys, axis=1), carry


def test_variational_input_dropout_is_one_mask_per_sequence_and_keeps_the_kernel():
    cell = lj.lstm(H)
    params, xs = _setup(cell)
    layer = lj.regularize(cell, input_dropout=0.4)
    ys, final = layer.apply(params, xs, train=True, dropout_key=KEY)
    m_x, _, _ = _draws(0.4, 0.0, 0, H)
    expected = lj.rnn(cell, params, xs * m_x)
    assert_close_to_scale((ys, final), expected, 1e-6)
    assert float(jnp.min(m_x)) == 0.0  # something was dropped
    layer.apply(params, xs, train=True, dropout_key=KEY, implementation="fused")


@pytest.mark.parametrize("factory", [lj.lstm, lj.gru, lj.simple_rnn])
def test_variational_recurrent_dropout_equals_a_hand_scan(factory):
    cell = factory(H)
    params, xs = _setup(cell)
    layer = lj.regularize(cell, recurrent_dropout=0.5)
    ys, final = layer.apply(params, xs, train=True, dropout_key=KEY)
    _, m_h, _ = _draws(0.0, 0.5, 0, H)
    assert_close_to_scale((ys, final), _hand_scan(cell, params, xs, hidden_mask=m_h), 1e-5)


@pytest.mark.parametrize("train", [True, False])
def test_zoneout_on_h_and_c_equals_a_hand_scan(train):
    cell = lj.lstm(H)
    params, xs = _setup(cell)
    layer = lj.regularize(cell, zoneout=(0.3, 0.1))
    ys, final = layer.apply(params, xs, train=train, dropout_key=KEY if train else None)
    _, _, u = _draws(0.0, 0.0, 2 * H, H)
    expected = _hand_scan(cell, params, xs, zoneout=(0.3, 0.1), draws=u, train=train)
    assert_close_to_scale((ys, final), expected, 1e-5)


def test_all_three_together_and_evaluation_is_the_plain_layer():
    cell = lj.gru(H)
    params, xs = _setup(cell)
    layer = lj.regularize(cell, input_dropout=0.2, recurrent_dropout=0.3, zoneout=0.25)
    ys, _ = layer.apply(params, xs, train=True, dropout_key=KEY)
    m_x, m_h, u = _draws(0.2, 0.3, H, H)
    expected, _ = _hand_scan(cell, params, xs * m_x, hidden_mask=m_h, zoneout=(0.25,), draws=u)
    assert_close_to_scale(ys, expected, 1e-5)
    plain = lj.regularize(cell, input_dropout=0.2, recurrent_dropout=0.3)
    assert_close_to_scale(plain.apply(params, xs), lj.rnn(cell, params, xs), 0)


def test_bidirectional_stack_lengths_and_remat_with_gradients():
    net = lj.stack(
        [
            lj.regularize(lj.bidirectional(lj.lstm(H)), recurrent_dropout=0.3, zoneout=0.1),
            lj.regularize(lj.gru(H), input_dropout=0.2, recurrent_dropout=0.2),
        ],
        dropout=0.1,
    )
    params = net.init(jax.random.key(0), D)
    xs = jax.random.normal(jax.random.key(1), (B, T, D))
    lengths = jnp.array([7, 4, 0])

    def loss(p, remat):
        ys, _ = net.apply(p, xs, lengths=lengths, train=True, dropout_key=KEY, remat=remat)
        return jnp.sum(ys**2)

    g_plain = jax.jit(jax.grad(loss), static_argnums=1)(params, None)
    g_remat = jax.jit(jax.grad(loss), static_argnums=1)(params, 3)
    assert_close_to_scale(g_remat, g_plain, 1e-5)
    for g in jax.tree.leaves(g_plain):
        assert np.isfinite(np.asarray(g)).all()


def test_step_runs_as_at_evaluation():
    cell = lj.lstm(H)
    params, xs = _setup(cell)
    layer = lj.regularize(cell, recurrent_dropout=0.5, zoneout=0.2)
    carry, steps = layer.initial_carry((B,)), []
    for t in range(T):
        carry, y = layer.step(params, carry, xs[:, t])
        steps.append(y)
    ys_eval, _ = layer.apply(params, xs)
    assert_close_to_scale(jnp.stack(steps, axis=1), ys_eval, 1e-6)


def test_errors_are_named():
    cell = lj.lstm(H)
    params, xs = _setup(cell)
    for kwargs, match in [
        (dict(input_dropout=1.0), "input_dropout: expected a rate"),
        (dict(recurrent_dropout=-0.1), "recurrent_dropout: expected a rate"),
        (dict(zoneout="0.1"), "zoneout: expected a rate"),
    ]:
        with pytest.raises(ValueError, match=match):
            lj.regularize(cell, **kwargs)
    with pytest.raises(ValueError, match="zoneout: expected one rate or 2"):
        lj.regularize(cell, zoneout=(0.1, 0.1, 0.1)).apply(params, xs)
    with pytest.raises(ValueError, match="dropout_key: expected a PRNG key"):
        lj.regularize(cell, recurrent_dropout=0.1).apply(params, xs, train=True)
    with pytest.raises(ValueError, match='implementation: "fused"'):
        lj.regularize(cell, recurrent_dropout=0.1).apply(
            params, xs, train=True, dropout_key=KEY, implementation="fused"
        )
    with pytest.raises(ValueError, match="layer: expected a dense cell"):
        lj.regularize(lj.conv_lstm(2, spatial_shape=(3, 3)), input_dropout=0.1)
    with pytest.raises(TypeError, match="layer: expected a cell or a bidirectional"):
        lj.regularize(lj.stack([cell]), input_dropout=0.1)
