"""Bidirectional layers against two separate runs of ``lstmjax.rnn``."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from lstmjax._bidirectional import direction
from tests.helpers import randomize


def _setup(cell, merge="concat", B=4, T=6, D=3):
    bi = lj.bidirectional(cell, merge=merge)
    params = randomize(bi.init(jax.random.key(0), D), seed=1)
    xs = jax.random.normal(jax.random.key(2), (B, T, D))
    return bi, params, xs


@pytest.mark.parametrize("cell", [lj.lstm(5), lj.gru(5), lj.lstm(5, proj_size=2)])
def test_equals_forward_and_reversed_runs(cell):
    bi, params, xs = _setup(cell, merge="none")
    lengths = jnp.array([6, 4, 1, 0])
    (fwd, bwd), finals = bi.apply(params, xs, lengths=lengths)
    want_f, final_f = lj.rnn(cell, direction(params, 0), xs, lengths=lengths)
    want_b, final_b = lj.rnn(cell, direction(params, 1), xs, lengths=lengths, reverse=True)
    chex.assert_trees_all_close((fwd, bwd), (want_f, want_b), atol=1e-5, rtol=1e-5)
    chex.assert_trees_all_close(direction(finals, 0), final_f, atol=1e-5, rtol=1e-5)
    chex.assert_trees_all_close(direction(finals, 1), final_b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "merge, combine",
    [
        ("concat", lambda f, b: jnp.concatenate([f, b], -1)),
        ("sum", lambda f, b: f + b),
        ("mean", lambda f, b: (f + b) / 2),
        ("mul", lambda f, b: f * b),
    ],
)
def test_merges(merge, combine):
    cell = lj.lstm(5)
    bi, params, xs = _setup(cell, merge=merge)
    lengths = jnp.array([6, 2, 5, 3])
    ys, _ = bi.apply(params, xs, lengths=lengths)
    (fwd, bwd), _ = lj.bidirectional(cell, merge="none").apply(params, xs, lengths=lengths)
    chex.assert_trees_all_close(ys, combine(fwd, bwd), atol=1e-6)
    chex.assert_shape(ys, (4, 6, bi.output_size))


def test_backward_direction_reverses_inside_each_length():
    """Padding stays at the end: the backward output at t=0 has seen the whole sequence."""
    cell = lj.simple_rnn(4)
    bi, params, xs = _setup(cell, merge="none", B=1, T=5)
    (_, bwd), _ = bi.apply(params, xs, lengths=jnp.array([3]))
    alone, _ = lj.rnn(cell, direction(params, 1), xs[:, :3], reverse=True)
    chex.assert_trees_all_close(bwd[:, :3], alone, atol=1e-6)
    np.testing.assert_array_equal(bwd[:, 3:], 0.0)


def _count_scans(jaxpr) -> int:
    """Scans in ``jaxpr`` and every jaxpr nested in its equations' params."""
    count = 0
    for eqn in jaxpr.eqns:
        count += eqn.primitive.name == "scan"
        for value in eqn.params.values():
            for sub in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    count += _count_scans(inner)
    return count


def test_one_scan_for_both_directions():
    bi, params, xs = _setup(lj.lstm(5))
    jaxpr = jax.make_jaxpr(lambda p, x: bi.apply(p, x, lengths=jnp.array([6, 1, 2, 3])))(params, xs)
    assert _count_scans(jaxpr.jaxpr) == 1


def test_jit_and_grad():
    bi, params, xs = _setup(lj.gru(5))
    lengths = jnp.array([6, 4, 3, 1])

    @jax.jit
    def loss(p, x):
        ys, _ = bi.apply(p, x, lengths=lengths)
        return jnp.mean(ys**2)

    grads = jax.grad(loss, argnums=(0, 1))(params, xs)
    assert all(np.all(np.isfinite(g)) for g in jax.tree.leaves(grads))
    np.testing.assert_array_equal(grads[1][3, 1:], 0.0)


def test_initial_carry_per_direction():
    cell = lj.lstm(5)
    bi, params, xs = _setup(cell, merge="none")
    carry0 = randomize(jax.tree.map(lambda x: jnp.stack([x, x]), cell.initial_carry((4,))), 3)
    (fwd, bwd), _ = bi.apply(params, xs, initial_carry=carry0)
    want_b, _ = lj.rnn(
        cell, direction(params, 1), xs, reverse=True, initial_carry=direction(carry0, 1)
    )
    chex.assert_trees_all_close(bwd, want_b, atol=1e-5)


def test_bad_merge_and_params():
    with pytest.raises(ValueError, match="merge"):
        lj.bidirectional(lj.lstm(3), merge="max")
    bi = lj.bidirectional(lj.lstm(3))
    single = lj.lstm(3).init(jax.random.key(0), 2)
    with pytest.raises(ValueError, match="params: expected a bidirectional"):
        bi.apply(single, jnp.ones((1, 4, 2)))
