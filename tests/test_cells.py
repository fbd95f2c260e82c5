"""Every cell and option against the float64 NumPy reference."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from tests import numpy_reference as ref
from tests.helpers import randomize

LSTM_OPTIONS = [
    {},
    {"peephole": True},
    {"proj_size": 3},
    {"layer_norm": True},
    {"coupled": True},
    {"coupled": True, "peephole": True},
    {"peephole": True, "proj_size": 3, "layer_norm": True},
]
B, T, D, H = 3, 6, 4, 5


def _reference_lstm(cell_kwargs, params, xs):
    p = ref.as64(params)
    out = cell_kwargs.get("proj_size") or H
    coupled = cell_kwargs.get("coupled", False)

    def step(state, x):
        h, c = ref.lstm_step(p, state[0], state[1], x, coupled=coupled)
        return (h, c), h

    ys, finals = [], []
    for b in range(xs.shape[0]):
        y, (h, c) = ref.run_sequence(step, xs[b], (np.zeros(out), np.zeros(H)), out)
        ys.append(y)
        finals.append((h, c))
    return np.stack(ys), np.stack([f[0] for f in finals]), np.stack([f[1] for f in finals])


@pytest.mark.parametrize("options", LSTM_OPTIONS, ids=lambda o: "-".join(o) or "plain")
def test_lstm_matches_numpy_reference(options):
    cell = lj.lstm(H, **options)
    params = randomize(cell.init(jax.random.key(0), D), seed=1)
    xs = np.random.default_rng(2).standard_normal((B, T, D))
    ys, final = lj.rnn(cell, params, jnp.asarray(xs, jnp.float32))
    want_ys, want_h, want_c = _reference_lstm(options, params, xs)
    out = options.get("proj_size") or H
    chex.assert_shape(ys, (B, T, out))
    np.testing.assert_allclose(ys, want_ys, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(final.h, want_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(final.c, want_c, rtol=1e-5, atol=1e-5)


def test_gru_matches_numpy_reference():
    cell = lj.gru(H)
    params = randomize(cell.init(jax.random.key(0), D), seed=3)
    xs = np.random.default_rng(4).standard_normal((B, T, D))
    ys, final = lj.rnn(cell, params, jnp.asarray(xs, jnp.float32))
    p = ref.as64(params)
    for b in range(B):
        want, h = ref.run_sequence(lambda s, x: (ref.gru_step(p, s, x),) * 2, xs[b], np.zeros(H), H)
        np.testing.assert_allclose(ys[b], want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(final[b], h, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_simple_rnn_matches_numpy_reference(nonlinearity):
    cell = lj.simple_rnn(H, nonlinearity=nonlinearity)
    params = randomize(cell.init(jax.random.key(0), D), seed=5)
    xs = np.random.default_rng(6).standard_normal((B, T, D))
    ys, final = lj.rnn(cell, params, jnp.asarray(xs, jnp.float32))
    p = ref.as64(params)
    for b in range(B):
        want, h = ref.run_sequence(
            lambda s, x: (ref.simple_rnn_step(p, s, x, nonlinearity),) * 2, xs[b], np.zeros(H), H
        )
        np.testing.assert_allclose(ys[b], want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(final[b], h, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "cell",
    [lj.lstm(H), lj.lstm(H, proj_size=2, peephole=True), lj.gru(H), lj.simple_rnn(H)],
    ids=["lstm", "lstmp", "gru", "rnn"],
)
def test_step_equals_projection_then_recurrence(cell):
    params = randomize(cell.init(jax.random.key(0), D), seed=7)
    carry = randomize(cell.initial_carry(batch_shape=(B,)), seed=8)
    x = jax.random.normal(jax.random.key(9), (B, D))
    new_carry, y = cell.step(params, carry, x)
    again = cell.recurrent_step(params, carry, cell.input_projection(params, x))
    chex.assert_trees_all_close((new_carry, y), again)
    chex.assert_shape(y, (B, cell.output_size))


def test_init_shapes_and_forget_bias():
    cell = lj.lstm(8, forget_bias=1.0)
    params = cell.init(jax.random.key(0), input_size=3)
    chex.assert_shape([params.w_ih, params.w_hh, params.b], [(3, 32), (8, 32), (32,)])
    np.testing.assert_array_equal(params.b[8:16], 1.0)
    np.testing.assert_array_equal(params.b[:8], 0.0)
    assert params.peephole is None and params.w_proj is None and params.layer_norm is None


def test_recurrent_blocks_are_orthogonal():
    params = lj.lstm(16).init(jax.random.key(0), 4)
    for k in range(4):
        block = np.asarray(params.w_hh[:, 16 * k : 16 * (k + 1)])
        np.testing.assert_allclose(block.T @ block, np.eye(16), atol=1e-5)


def test_irnn_starts_as_a_relu_rnn_that_carries_its_state_unchanged():
    """Identity ``w_hh``, zero bias, zero input: ``h_t = relu(h_{t-1}) = h_{t-1}`` for h >= 0."""
    cell = lj.simple_rnn(6, nonlinearity="relu", recurrent_init="identity")
    params = cell.init(jax.random.key(0), 3)
    np.testing.assert_array_equal(params.w_hh, np.eye(6))
    h0 = jnp.abs(jax.random.normal(jax.random.key(1), (2, 6)))
    ys, h = lj.rnn(cell, params, jnp.zeros((2, 50, 3)), initial_carry=h0)
    np.testing.assert_array_equal(h, h0)
    lstm_params = lj.lstm(4, recurrent_init="identity").init(jax.random.key(0), 3)
    np.testing.assert_array_equal(lstm_params.w_hh, np.tile(np.eye(4), 4))  # per gate
    with pytest.raises(ValueError, match="identity"):  # w_hh [P, 4H] with P = 2 != H
        lj.lstm(4, proj_size=2, recurrent_init="identity").init(jax.random.key(0), 3)


def test_chrono_init_spreads_forget_bias_and_mirrors_input_bias():
    T_max = 100
    params = lj.lstm(64, chrono=T_max).init(jax.random.key(0), 2)
    b_i, b_f = np.asarray(params.b[:64]), np.asarray(params.b[64:128])
    assert np.all(b_f >= 0.0) and np.all(b_f <= np.log(T_max - 1) + 1e-6)
    assert b_f.std() > 0.3
    np.testing.assert_allclose(b_i, -b_f)


def test_compute_dtype_bfloat16_keeps_float32_state():
    cell = lj.lstm(8, compute_dtype=jnp.bfloat16)
    params = cell.init(jax.random.key(0), 4)
    ys, final = lj.rnn(cell, params, jnp.ones((2, 5, 4)))
    assert ys.dtype == jnp.float32 and final.c.dtype == jnp.float32


@pytest.mark.parametrize(
    "make_cell",
    [
        lambda cd: lj.lstm(32, compute_dtype=cd),
        lambda cd: lj.lstm(32, proj_size=16, compute_dtype=cd),
        lambda cd: lj.gru(32, compute_dtype=cd),
    ],
    ids=["lstm", "lstmp", "gru"],
)
def test_bfloat16_policy_within_1e2_of_float32(make_cell):
    f32, bf16 = make_cell(None), make_cell(jnp.bfloat16)
    params = f32.init(jax.random.key(0), 16)
    xs = jax.random.normal(jax.random.key(1), (4, 40, 16))
    lengths = jnp.array([40, 33, 10, 1])
    want, _ = lj.rnn(f32, params, xs, lengths=lengths)
    got, _ = lj.rnn(bf16, params, xs, lengths=lengths)
    rel = jnp.linalg.norm(got - want) / jnp.linalg.norm(want)
    assert rel < 1e-2, rel
    assert rel > 0.0  # bfloat16 operands were really used
