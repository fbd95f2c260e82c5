"""ConvLSTM and ConvGRU against per-pixel NumPy loops, and through every layer of the protocol."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from tests.helpers import assert_close_to_scale, randomize

B, T, HEIGHT, WIDTH, C, F, K = 2, 3, 4, 5, 2, 3, 3


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _conv_at(x, w, y, xx):
    """Sum over the k x k neighbourhood of pixel (y, xx) of x [H, W, Cin] times w [k, k, Cin, N]."""
    k = w.shape[0]
    out = np.zeros(w.shape[-1])
    for dy in range(k):
        for dx in range(k):
            yy, xxx = y + dy - k // 2, xx + dx - k // 2
            if 0 <= yy < x.shape[0] and 0 <= xxx < x.shape[1]:
                out += x[yy, xxx] @ w[dy, dx]
    return out


def _numpy_conv_lstm(p, xs):
    w_x, w_h, b = (np.asarray(a, np.float64) for a in p)
    xs = np.asarray(xs, np.float64)
    h = np.zeros((B, HEIGHT, WIDTH, F))
    c = np.zeros((B, HEIGHT, WIDTH, F))
    ys = np.zeros((B, T, HEIGHT, WIDTH, F))
    for t in range(T):
        for n in range(B):
            h_new, c_new = np.zeros_like(h[n]), np.zeros_like(c[n])
            for y in range(HEIGHT):
                for x in range(WIDTH):
                    z = _conv_at(xs[n, t], w_x, y, x) + b + _conv_at(h[n], w_h, y, x)
                    i, f, g, o = np.split(z, 4)
                    c_new[y, x] = _sigmoid(f) * c[n, y, x] + _sigmoid(i) * np.tanh(g)
                    h_new[y, x] = _sigmoid(o) * np.tanh(c_new[y, x])
            h[n], c[n] = h_new, c_new
        ys[:, t] = h
    return ys, h, c


def _numpy_conv_gru(p, xs):
    w_x, w_h, b = (np.asarray(a, np.float64) for a in p)
    xs = np.asarray(xs, np.float64)
    h = np.zeros((B, HEIGHT, WIDTH, F))
    ys = np.zeros((B, T, HEIGHT, WIDTH, F))
    for t in range(T):
        for n in range(B):
            r = np.zeros((HEIGHT, WIDTH, F))
            z = np.zeros_like(r)
            a = np.zeros((HEIGHT, WIDTH, 3 * F))
            for y in range(HEIGHT):
                for x in range(WIDTH):
                    a[y, x] = _conv_at(xs[n, t], w_x, y, x) + b
                    u = _conv_at(h[n], w_h[..., : 2 * F], y, x)
                    r[y, x] = _sigmoid(a[y, x, :F] + u[:F])
                    z[y, x] = _sigmoid(a[y, x, F : 2 * F] + u[F:])
            rh = r * h[n]
            h_new = np.zeros_like(r)
            for y in range(HEIGHT):
                for x in range(WIDTH):
                    cand = np.tanh(a[y, x, 2 * F :] + _conv_at(rh, w_h[..., 2 * F :], y, x))
                    h_new[y, x] = (1 - z[y, x]) * cand + z[y, x] * h[n, y, x]
            h[n] = h_new
        ys[:, t] = h
    return ys, h


def _setup(factory):
    cell = factory(F, spatial_shape=(HEIGHT, WIDTH), kernel_size=K)
    params = randomize(cell.init(jax.random.key(0), C), 1, 0.4)
    xs = jax.random.normal(jax.random.key(2), (B, T, HEIGHT, WIDTH, C))
    return cell, params, xs


def test_conv_lstm_equals_a_per_pixel_loop():
    cell, params, xs = _setup(lj.conv_lstm)
    ys, final = lj.rnn(cell, params, xs)
    ys_ref, h_ref, c_ref = _numpy_conv_lstm(params, xs)
    np.testing.assert_allclose(ys, ys_ref, atol=1e-5)
    np.testing.assert_allclose(final.h, h_ref, atol=1e-5)
    np.testing.assert_allclose(final.c, c_ref, atol=1e-5)


def test_conv_gru_equals_a_per_pixel_loop():
    cell, params, xs = _setup(lj.conv_gru)
    ys, final = lj.rnn(cell, params, xs)
    ys_ref, h_ref = _numpy_conv_gru(params, xs)
    np.testing.assert_allclose(ys, ys_ref, atol=1e-5)
    np.testing.assert_allclose(final, h_ref, atol=1e-5)


@pytest.mark.parametrize("factory", [lj.conv_lstm, lj.conv_gru], ids=["convlstm", "convgru"])
def test_lengths_reverse_and_step_like_the_dense_cells(factory):
    cell, params, xs = _setup(factory)
    lengths = jnp.array([3, 2])
    ys, final = lj.rnn(cell, params, xs, lengths=lengths)
    ys_2, final_2 = lj.rnn(cell, params, xs[1:, :2])
    assert_close_to_scale(
        jax.tree.map(lambda x: x[1], final), jax.tree.map(lambda x: x[0], final_2), 1e-6
    )
    assert float(jnp.abs(ys[1, 2]).max()) == 0.0
    ys_rev, _ = lj.rnn(cell, params, xs, lengths=lengths, reverse=True)
    ys_flip, _ = lj.rnn(cell, params, jnp.flip(xs[1:, :2], axis=1))
    assert_close_to_scale(ys_rev[1, :2], jnp.flip(ys_flip[0], axis=0), 1e-6)
    carry = cell.initial_carry((B,))
    steps = []
    for t in range(T):
        carry, y = cell.step(params, carry, xs[:, t])
        steps.append(y)
    assert_close_to_scale(jnp.stack(steps, axis=1), lj.rnn(cell, params, xs)[0], 1e-6)
    time_major, _ = lj.rnn(cell, params, jnp.moveaxis(xs, 1, 0), time_major=True)
    assert_close_to_scale(jnp.moveaxis(time_major, 0, 1), lj.rnn(cell, params, xs)[0], 1e-6)


def test_bidirectional_stack_and_gradients():
    cell = lj.conv_lstm(F, spatial_shape=(HEIGHT, WIDTH))
    net = lj.stack(
        [lj.bidirectional(cell, merge="sum"), lj.conv_gru(F, spatial_shape=(HEIGHT, WIDTH))]
    )
    params = net.init(jax.random.key(0), C)
    xs = jax.random.normal(jax.random.key(1), (B, T, HEIGHT, WIDTH, C))
    lengths = jnp.array([3, 1])

    def loss(p):
        ys, _ = net.apply(p, xs, lengths=lengths)
        return jnp.mean(ys**2)

    value, grads = jax.jit(jax.value_and_grad(loss))(params)
    assert np.isfinite(float(value))
    for g in jax.tree.leaves(grads):
        assert np.isfinite(np.asarray(g)).all() and float(jnp.abs(g).max()) > 0


def test_named_errors():
    cell = lj.conv_lstm(F, spatial_shape=(HEIGHT, WIDTH))
    params = cell.init(jax.random.key(0), C)
    with pytest.raises(ValueError, match="xs: expected frames of spatial shape"):
        lj.rnn(cell, params, jnp.ones((B, T, HEIGHT + 1, WIDTH, C)))
    with pytest.raises(ValueError, match="xs: expected 2 features"):
        lj.rnn(cell, params, jnp.ones((B, T, HEIGHT, WIDTH, C + 1)))
    with pytest.raises(ValueError, match="xs: expected rank >= 4"):
        lj.rnn(cell, params, jnp.ones((HEIGHT, WIDTH, C)))
    with pytest.raises(ValueError, match="kernel_size: expected an odd size"):
        lj.conv_lstm(F, spatial_shape=(HEIGHT, WIDTH), kernel_size=2)
    with pytest.raises(ValueError, match="spatial_shape: expected"):
        lj.conv_gru(F, spatial_shape=(4,))
