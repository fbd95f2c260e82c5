"""Learned initial carries, resets, and truncated BPTT against hand-written loops."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from tests.helpers import assert_close_to_scale, randomize

B, T, D, H = 3, 8, 2, 4


@pytest.mark.parametrize(
    "layer",
    [lj.lstm(H), lj.gru(H), lj.bidirectional(lj.lstm(H)), lj.stack([lj.lstm(H), lj.gru(H)])],
    ids=["lstm", "gru", "bidirectional", "stack"],
)
def test_learned_initial_carry_broadcasts_and_gets_the_summed_gradient(layer):
    params = layer.init(jax.random.key(0), D)
    h0 = randomize(lj.learned_initial_carry(layer), 1)
    xs = jax.random.normal(jax.random.key(2), (B, T, D))
    batch_carry = lj.broadcast_carry(layer, h0, (B,))
    chex_shapes = jax.tree.map(jnp.shape, layer.initial_carry((B,)))
    assert jax.tree.map(jnp.shape, batch_carry) == chex_shapes

    def loss_learned(h0):
        ys, _ = layer.apply(params, xs, initial_carry=lj.broadcast_carry(layer, h0, (B,)))
        return jnp.sum(jnp.sin(ys))

    def loss_batch(carry):
        ys, _ = layer.apply(params, xs, initial_carry=carry)
        return jnp.sum(jnp.sin(ys))

    g_learned = jax.grad(loss_learned)(h0)
    g_batch = jax.grad(loss_batch)(batch_carry)
    # Each learned leaf [*lead, F] gets the batch's gradients [*lead, B, F] summed over B.
    expected = jax.tree.map(lambda g: jnp.sum(g, axis=-2), g_batch)
    assert_close_to_scale(g_learned, expected, 1e-6)


def test_broadcast_carry_errors_name_the_carry():
    cell = lj.lstm(H)
    with pytest.raises(TypeError, match="carry: expected a pytree like"):
        lj.broadcast_carry(cell, jnp.zeros(H), (B,))
    with pytest.raises(ValueError, match="carry: expected leaves of shape"):
        lj.broadcast_carry(cell, cell.initial_carry((B,)), (B,))


def test_reset_carry_against_numpy():
    layer = lj.bidirectional(lj.lstm(H))
    carry = randomize(layer.initial_carry((B,)), 3)
    initial = randomize(layer.initial_carry((B,)), 4)
    reset = jnp.array([True, False, True])
    got = lj.reset_carry(carry, reset, initial)
    for g, c, i in zip(jax.tree.leaves(got), jax.tree.leaves(carry), jax.tree.leaves(initial)):
        c, i = np.asarray(c), np.asarray(i)
        want = np.stack([[i[d, b] if reset[b] else c[d, b] for b in range(B)] for d in range(2)])
        np.testing.assert_array_equal(g, want)
    with pytest.raises(TypeError, match="reset: expected a"):
        lj.reset_carry(carry, jnp.array([1, 0, 1]), initial)


def _window_loss(cell):
    def loss_fn(params, carry, batch):
        xs, targets = batch
        ys, carry = lj.rnn(cell, params, xs, initial_carry=carry)
        return jnp.mean((ys[..., 0] - targets) ** 2), carry

    return loss_fn


@pytest.mark.parametrize("window", [2, 4])
def test_truncated_bptt_equals_a_python_loop_of_windows(window):
    cell = lj.lstm(H)
    params = randomize(cell.init(jax.random.key(0), D), 5, 0.5)
    xs = jax.random.normal(jax.random.key(1), (B, T, D))
    targets = jnp.cumsum(xs[..., 0], axis=1) / 4
    carry0 = randomize(cell.initial_carry((B,)), 6)
    loss_fn = _window_loss(cell)

    loss, grads, final = jax.jit(
        lambda p, c, b: lj.truncated_bptt(loss_fn, p, c, b, window=window)
    )(params, carry0, (xs, targets))

    carry, losses, all_grads = carry0, [], []
    for k in range(T // window):
        piece = (xs[:, k * window : (k + 1) * window], targets[:, k * window : (k + 1) * window])
        (value, carry), g = jax.value_and_grad(loss_fn, has_aux=True)(params, carry, piece)
        losses.append(value)
        all_grads.append(g)
    expected_grads = jax.tree.map(lambda *g: sum(g) / len(g), *all_grads)
    np.testing.assert_allclose(loss, np.mean(losses), rtol=1e-6)
    assert_close_to_scale(grads, expected_grads, 1e-5)
    assert_close_to_scale(final, carry, 1e-6)


def test_one_window_is_full_backpropagation_and_shorter_ones_truncate():
    cell = lj.lstm(H)
    params = randomize(cell.init(jax.random.key(0), D), 5, 0.5)
    xs = jax.random.normal(jax.random.key(1), (B, T, D))
    batch = (xs, jnp.cumsum(xs[..., 0], axis=1) / 4)
    carry0 = cell.initial_carry((B,))
    loss_fn = _window_loss(cell)
    _, full, _ = lj.truncated_bptt(loss_fn, params, carry0, batch, window=T)
    (_, _), expected = jax.value_and_grad(loss_fn, has_aux=True)(params, carry0, batch)
    assert_close_to_scale(full, expected, 1e-6)
    _, truncated, _ = lj.truncated_bptt(loss_fn, params, carry0, batch, window=2)
    assert not np.allclose(truncated.w_hh, full.w_hh, atol=1e-4)


def test_truncated_bptt_aux_and_errors():
    cell = lj.gru(H)
    params = cell.init(jax.random.key(0), D)
    xs = jnp.ones((B, T, D))

    def loss_fn(p, c, x):
        ys, c = lj.rnn(cell, p, x, initial_carry=c)
        return jnp.mean(ys), (c, jnp.max(ys))

    loss, grads, final, aux = lj.truncated_bptt(
        loss_fn, params, cell.initial_carry((B,)), xs, window=4, has_aux=True
    )
    assert aux.shape == (2,)
    with pytest.raises(ValueError, match="window: expected a divisor of T = 8, got 3"):
        lj.truncated_bptt(loss_fn, params, None, xs, window=3, has_aux=True)
    with pytest.raises(ValueError, match="window: expected a positive int"):
        lj.truncated_bptt(loss_fn, params, None, xs, window=0)
