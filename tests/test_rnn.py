"""``lstmjax.rnn``: the scan against a Python loop, layouts, jit, grads."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import lstmjax as lj
from tests.helpers import randomize

CELLS = {
    "lstm": lj.lstm(6),
    "lstm_all": lj.lstm(6, peephole=True, proj_size=4, layer_norm=True),
    "gru": lj.gru(6),
    "rnn": lj.simple_rnn(6),
}


def _setup(name, B=3, T=7, D=5, seed=0):
    cell = CELLS[name]
    params = randomize(cell.init(jax.random.key(seed), D), seed=seed + 1)
    xs = jax.random.normal(jax.random.key(seed + 2), (B, T, D))
    return cell, params, xs


def _python_loop(cell, params, xs, length, reverse=False):
    """One sequence ``xs [T, D]``, stepped by hand for ``length`` steps."""
    carry = cell.initial_carry()
    ys = [jnp.zeros(cell.output_size)] * xs.shape[0]
    order = range(length - 1, -1, -1) if reverse else range(length)
    for t in order:
        carry, ys[t] = cell.step(params, carry, xs[t])
    return jnp.stack(ys), carry


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_equals_python_loop_with_lengths(name, reverse):
    cell, params, xs = _setup(name)
    lengths = jnp.array([7, 3, 0])
    ys, final = lj.rnn(cell, params, xs, lengths=lengths, reverse=reverse)
    for b in range(3):
        want_ys, want_final = _python_loop(cell, params, xs[b], int(lengths[b]), reverse)
        chex.assert_trees_all_close(ys[b], want_ys, atol=1e-5, rtol=1e-5)
        chex.assert_trees_all_close(
            jax.tree.map(lambda x, b=b: x[b], final), want_final, atol=1e-5, rtol=1e-5
        )


@pytest.mark.parametrize("name", sorted(CELLS))
def test_jit_equals_no_jit(name):
    cell, params, xs = _setup(name)
    lengths = jnp.array([7, 5, 2])

    def run(p, x, n):
        return lj.rnn(cell, p, x, lengths=n, unroll=3)

    chex.assert_trees_all_close(
        jax.jit(run)(params, xs, lengths), run(params, xs, lengths), atol=1e-6
    )


def test_unroll_does_not_change_results():
    cell, params, xs = _setup("lstm")
    want = lj.rnn(cell, params, xs, unroll=1)
    for unroll in (2, 4, 7, 16):
        chex.assert_trees_all_close(lj.rnn(cell, params, xs, unroll=unroll), want, atol=1e-6)


def test_time_major_is_a_transpose():
    cell, params, xs = _setup("gru")
    ys, final = lj.rnn(cell, params, xs)
    ys_t, final_t = lj.rnn(cell, params, jnp.swapaxes(xs, 0, 1), time_major=True)
    chex.assert_trees_all_close(jnp.swapaxes(ys_t, 0, 1), ys, atol=1e-6)
    chex.assert_trees_all_close(final_t, final, atol=1e-6)


def test_leading_batch_dims_and_unbatched():
    cell, params, xs = _setup("lstm", B=6)
    lengths = jnp.array([7, 1, 4, 0, 7, 2])
    ys, final = lj.rnn(cell, params, xs, lengths=lengths)
    ys2, final2 = lj.rnn(cell, params, xs.reshape(2, 3, 7, 5), lengths=lengths.reshape(2, 3))
    chex.assert_shape(ys2, (2, 3, 7, 6))
    chex.assert_trees_all_close(ys2.reshape(6, 7, 6), ys, atol=1e-6)
    chex.assert_trees_all_close(jax.tree.map(lambda x: x.reshape(6, -1), final2), final)
    ys1, final1 = lj.rnn(cell, params, xs[2], lengths=lengths[2])
    chex.assert_shape(ys1, (7, 6))
    chex.assert_trees_all_close(ys1, ys[2], atol=1e-6)


def test_initial_carry_is_used():
    cell, params, xs = _setup("lstm")
    carry0 = randomize(cell.initial_carry(batch_shape=(3,)), seed=11)
    ys, _ = lj.rnn(cell, params, xs, initial_carry=carry0)
    carry, first = cell.step(params, jax.tree.map(lambda x: x[0], carry0), xs[0, 0])
    chex.assert_trees_all_close(ys[0, 0], first, atol=1e-6)
    ys_zero, _ = lj.rnn(cell, params, xs)
    assert not np.allclose(ys, ys_zero)


def test_length_zero_returns_initial_carry():
    cell, params, xs = _setup("lstm")
    carry0 = randomize(cell.initial_carry(batch_shape=(3,)), seed=12)
    ys, final = lj.rnn(cell, params, xs, lengths=jnp.array([0, 0, 0]), initial_carry=carry0)
    np.testing.assert_array_equal(ys, 0.0)
    chex.assert_trees_all_close(final, carry0)


def test_no_gradient_flows_from_padding():
    cell, params, xs = _setup("lstm")
    lengths = jnp.array([7, 3, 0])

    def loss(x):
        ys, final = lj.rnn(cell, params, x, lengths=lengths)
        return jnp.sum(ys**2) + jnp.sum(final.c)

    grad = jax.grad(loss)(xs)
    np.testing.assert_array_equal(grad[1, 3:], 0.0)
    np.testing.assert_array_equal(grad[2], 0.0)
    assert np.all(np.abs(grad[1, :3]).sum(-1) > 0)


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn"])
def test_check_grads(name):
    cell, params, xs = _setup(name, B=2, T=4, D=3)
    lengths = jnp.array([4, 2])

    def f(p, x):
        ys, final = lj.rnn(cell, p, x, lengths=lengths)
        return ys, final

    check_grads(f, (params, xs), order=1, modes=("rev",), atol=2e-2, rtol=2e-2)


def test_compiles_once_per_shape():
    cell, params, xs = _setup("lstm")

    @jax.jit
    @chex.assert_max_traces(n=1)
    def run(p, x, n):
        return lj.rnn(cell, p, x, lengths=n)

    for k in range(3):
        run(params, xs + k, jnp.array([7, k, 1]))


def test_vmap_over_batch_equals_batched_call():
    cell, params, xs = _setup("gru")
    lengths = jnp.array([7, 4, 1])
    want = lj.rnn(cell, params, xs, lengths=lengths)
    got = jax.vmap(lambda x, n: lj.rnn(cell, params, x, lengths=n))(xs, lengths)
    chex.assert_trees_all_close(got, want, atol=1e-6)
