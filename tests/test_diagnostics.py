"""Gate statistics read the cell's own sigmoids; gradient norms per step match a hand loop."""

import jax
import jax.numpy as jnp
import numpy as np

import lstmjax as lj
from lstmjax.diagnostics import gate_statistics, gradient_norm_per_step, recording_sigmoids
from tests import numpy_reference as ref
from tests.helpers import randomize

B, T, D, H = 3, 6, 2, 4
LENGTHS = jnp.array([6, 3, 1])


def _numpy_lstm_gates(p, xs):
    """Forget, input and output gates of every step, ``[T, B, H]`` each, by NumPy."""
    p = ref.as64(p)
    h, c = np.zeros((B, H)), np.zeros((B, H))
    gates = {"forget": [], "input": [], "output": []}
    for t in range(T):
        x = np.asarray(xs[:, t], np.float64)
        z = x @ p["w_ih"] + h @ p["w_hh"] + p["b"]
        z_i, z_f, _, z_o = np.split(z, 4, axis=-1)
        gates["forget"].append(ref.sigmoid(z_f))
        gates["input"].append(ref.sigmoid(z_i))
        gates["output"].append(ref.sigmoid(z_o))
        h, c = ref.lstm_step(p, h, c, x)
    return {k: np.stack(v) for k, v in gates.items()}


def test_lstm_gate_statistics_against_numpy():
    cell = lj.lstm(H)
    params = randomize(cell.init(jax.random.key(0), D), 1, 1.0)
    xs = jax.random.normal(jax.random.key(2), (B, T, D))
    stats = gate_statistics(cell, params, xs, lengths=LENGTHS, threshold=0.2)
    gates = _numpy_lstm_gates(params, xs)
    valid = (np.arange(T)[:, None] < np.asarray(LENGTHS)[None, :])[..., None] * np.ones(H)
    assert set(stats) == {"forget", "input", "output"}
    for name, g in gates.items():
        mean = lambda x: np.sum(x * valid) / np.sum(valid)  # noqa: E731
        np.testing.assert_allclose(stats[name]["mean"], mean(g), rtol=1e-5)
        np.testing.assert_allclose(stats[name]["left_saturated"], mean(g < 0.2), atol=1e-6)
        np.testing.assert_allclose(stats[name]["right_saturated"], mean(g > 0.8), atol=1e-6)


def test_gru_gates_are_reset_then_update():
    cell = lj.gru(H)
    params = randomize(cell.init(jax.random.key(0), D), 3, 0.7)
    h = jax.random.normal(jax.random.key(4), (B, H))
    x = jax.random.normal(jax.random.key(5), (B, D))
    (new_h, _), (r, z) = recording_sigmoids(cell.recurrent_step)(
        params, h, cell.input_projection(params, x)
    )
    p = ref.as64(params)
    a = np.asarray(x, np.float64) @ p["w_ih"] + p["b"]
    u = np.asarray(h, np.float64) @ p["w_hh"]
    np.testing.assert_allclose(r, ref.sigmoid(a[:, :H] + u[:, :H]), rtol=1e-5)
    np.testing.assert_allclose(z, ref.sigmoid(a[:, H : 2 * H] + u[:, H : 2 * H]), rtol=1e-5)
    np.testing.assert_allclose(new_h, ref.gru_step(p, np.asarray(h, np.float64), x), rtol=1e-5)
    stats = gate_statistics(cell, params, jnp.ones((B, T, D)))
    assert set(stats) == {"reset", "update"}


def test_a_custom_cell_gets_numbered_gates_and_jit_works():
    def recurrent_step(params, h, xp_t):
        f = jax.nn.sigmoid(xp_t + h @ params["u"])
        return (1 - f) * h + f * jnp.tanh(xp_t), h

    cell = lj.make_cell(
        "MGU-ish",
        H,
        H,
        init=lambda key, d: {"w": jax.random.normal(key, (d, H)), "u": jnp.eye(H)},
        initial_carry=lambda batch_shape=(), dtype=jnp.float32: jnp.zeros((*batch_shape, H)),
        input_projection=lambda p, xs: xs @ p["w"],
        recurrent_step=recurrent_step,
    )
    params = cell.init(jax.random.key(0), D)
    stats = jax.jit(lambda p, x: gate_statistics(cell, p, x))(params, jnp.ones((B, T, D)))
    assert set(stats) == {"sigmoid_0"}
    assert 0.0 < float(stats["sigmoid_0"]["mean"]) < 1.0


def test_gradient_norm_per_step_against_a_hand_loop():
    cell = lj.simple_rnn(H)
    params = randomize(cell.init(jax.random.key(0), D), 6, 0.8)
    xs = jax.random.normal(jax.random.key(7), (B, T, D))

    def loss(x):
        ys, _ = lj.rnn(cell, params, x)
        return jnp.sum(ys[:, -1] ** 2)

    got = gradient_norm_per_step(loss, xs)
    grads = np.asarray(jax.grad(loss)(xs))
    want = [np.mean([np.linalg.norm(grads[b, t]) for b in range(B)]) for t in range(T)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    time_major = gradient_norm_per_step(
        lambda x: loss(jnp.swapaxes(x, 0, 1)), jnp.swapaxes(xs, 0, 1), time_axis=0
    )
    np.testing.assert_allclose(time_major, want, rtol=1e-5)
