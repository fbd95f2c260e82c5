"""Stacked networks against layer-by-layer composition."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from tests.helpers import randomize


def _setup(layers, D=3, **kwargs):
    net = lj.stack(layers, **kwargs)
    params = randomize(net.init(jax.random.key(0), D), seed=1)
    xs = jax.random.normal(jax.random.key(2), (3, 6, D))
    return net, params, xs


def test_equals_layer_by_layer():
    layers = [lj.lstm(5), lj.bidirectional(lj.gru(4)), lj.simple_rnn(2)]
    net, params, xs = _setup(layers)
    lengths = jnp.array([6, 2, 0])
    ys, finals = net.apply(params, xs, lengths=lengths)
    h1, f1 = lj.rnn(layers[0], params[0], xs, lengths=lengths)
    h2, f2 = layers[1].apply(params[1], h1, lengths=lengths)
    h3, f3 = lj.rnn(layers[2], params[2], h2, lengths=lengths)
    chex.assert_trees_all_close((ys, finals), (h3, (f1, f2, f3)), atol=1e-6)
    chex.assert_shape(ys, (3, 6, 2))


def test_residual_adds_each_layers_input():
    layers = [lj.lstm(4), lj.lstm(4), lj.bidirectional(lj.gru(2))]
    net, params, xs = _setup(layers, residual=True)
    ys, _ = net.apply(params, xs)
    h1, _ = lj.rnn(layers[0], params[0], xs)
    h2, _ = lj.rnn(layers[1], params[1], h1)
    h2 = h2 + h1
    h3, _ = layers[2].apply(params[2], h2)
    chex.assert_trees_all_close(ys, h3 + h2, atol=1e-6)


def test_dropout_only_when_training_and_between_layers():
    net, params, xs = _setup([lj.lstm(8), lj.lstm(8)], dropout=0.5)
    lengths = jnp.array([6, 3, 1])
    eval_ys, _ = net.apply(params, xs, lengths=lengths)
    no_drop, _ = lj.stack([lj.lstm(8), lj.lstm(8)]).apply(params, xs, lengths=lengths)
    chex.assert_trees_all_close(eval_ys, no_drop)
    a, _ = net.apply(params, xs, lengths=lengths, train=True, dropout_key=jax.random.key(0))
    b, _ = net.apply(params, xs, lengths=lengths, train=True, dropout_key=jax.random.key(1))
    assert not np.allclose(a, eval_ys) and not np.allclose(a, b)
    np.testing.assert_array_equal(a[1, 3:], 0.0)  # padding stays zero
    with pytest.raises(ValueError, match="dropout_key"):
        net.apply(params, xs, train=True)


def test_dropout_on_first_layer_input_is_not_applied():
    net, params, xs = _setup([lj.lstm(4)], dropout=0.5)
    a, _ = net.apply(params, xs, train=True, dropout_key=jax.random.key(0))
    b, _ = net.apply(params, xs)
    chex.assert_trees_all_close(a, b)


def test_grad_through_stack_with_dropout_under_jit():
    net, params, xs = _setup([lj.bidirectional(lj.lstm(4)), lj.lstm(3)], dropout=0.2)

    @jax.jit
    def loss(p, key):
        ys, _ = net.apply(p, xs, lengths=jnp.array([6, 5, 2]), train=True, dropout_key=key)
        return jnp.sum(ys**2)

    grads = jax.grad(loss)(params, jax.random.key(0))
    assert all(np.all(np.isfinite(g)) for g in jax.tree.leaves(grads))
    assert np.abs(grads[0].w_ih).sum() > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="layers"):
        lj.stack([])
    with pytest.raises(TypeError, match=r"layers\[1\]"):
        lj.stack([lj.lstm(3), "lstm"])
    with pytest.raises(ValueError, match="dropout"):
        lj.stack([lj.lstm(3)], dropout=1.0)
    with pytest.raises(ValueError, match=r"layers\[1\]: residual"):
        lj.stack([lj.lstm(3), lj.lstm(4)], residual=True)
    with pytest.raises(ValueError, match="merge"):
        lj.stack([lj.bidirectional(lj.lstm(3), merge="none")])
    net = lj.stack([lj.lstm(3), lj.lstm(3)])
    params = net.init(jax.random.key(0), 2)
    with pytest.raises(ValueError, match="params: expected a sequence of 2"):
        net.apply(params[:1], jnp.ones((1, 4, 2)))
    with pytest.raises(ValueError, match="initial_carry: expected 2"):
        net.apply(params, jnp.ones((1, 4, 2)), initial_carry=[None])
