"""Per-backend settings: the default ``unroll`` and the XLA compile options."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from lstmjax.kernels import tuning


def test_default_unroll_is_at_least_one_and_at_most_the_length():
    assert tuning.default_unroll(1) == 1
    assert tuning.default_unroll(1, backward=True) == 1
    forward, backward = tuning.UNROLL[jax.default_backend()]
    assert tuning.default_unroll(1000) == forward
    assert tuning.default_unroll(1000, backward=True) == backward


def test_compiler_options_are_the_measured_ones_for_this_backend():
    options = lj.compiler_options()
    assert options == tuning.COMPILER_OPTIONS.get(jax.default_backend(), {})
    # accepted by jax.jit as they are
    assert jax.jit(lambda x: x * 2, compiler_options=options)(jnp.ones(3)).tolist() == [2.0] * 3


def test_options_this_jaxlib_does_not_know_are_dropped(monkeypatch):
    unknown = {jax.default_backend(): {"xla_lstmjax_no_such_option": "1"}}
    monkeypatch.setattr(tuning, "COMPILER_OPTIONS", unknown)
    assert lj.compiler_options() == {}


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradients_are_the_same_with_and_without_the_options(bidirectional):
    cell = lj.lstm(16)
    layer = lj.bidirectional(cell) if bidirectional else cell
    params = layer.init(jax.random.key(0), 5)
    xs = jax.random.normal(jax.random.key(1), (3, 9, 5))
    apply = layer.apply if bidirectional else lambda p, x: lj.rnn(cell, p, x)

    def loss(p, x):
        return jnp.sum(jnp.sin(apply(p, x)[0]))

    grad = jax.grad(loss, argnums=(0, 1))
    plain = jax.jit(grad)(params, xs)
    tuned = jax.jit(grad, compiler_options=lj.compiler_options())(params, xs)
    for a, b in zip(jax.tree.leaves(tuned), jax.tree.leaves(plain), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
