"""Padding never reaches a gradient; out-of-range traced lengths never give NaN (issue 11).

NaN or inf stored in padding must leave values and every gradient exactly as
with zeros there; lengths outside ``[0, T]`` under ``jax.jit`` act clipped
(checked against explicitly clipped lengths), and checked mode raises.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lstmjax as lj
from lstmjax import train
from tests.helpers import randomize

B, T, D, H = 3, 5, 2, 4
LENGTHS = jnp.array([5, 2, 0])

LAYERS = {
    "lstm": lambda: lj.lstm(H),
    "gru": lambda: lj.gru(H),
    "simple_rnn": lambda: lj.simple_rnn(H),
    "peephole_lstm": lambda: lj.lstm(H, peephole=True),
    "bidirectional": lambda: lj.bidirectional(lj.lstm(H)),
    "bidirectional_gru": lambda: lj.bidirectional(lj.gru(H)),
    "stack": lambda: lj.stack([lj.bidirectional(lj.lstm(H)), lj.gru(H)]),
}


def _xs(seed=0):
    return jax.random.normal(jax.random.key(seed), (B, T, D))


def _loss(layer, params, xs, lengths, implementation, reverse=False):
    kwargs = dict(lengths=lengths, implementation=implementation)
    if reverse:
        ys, final = lj.rnn(layer, params, xs, reverse=True, **kwargs)
    else:
        ys, final = layer.apply(params, xs, **kwargs)
    weights = jnp.cos(jnp.arange(ys.size, dtype=jnp.float32)).reshape(ys.shape)
    return jnp.sum(ys * weights) + sum(jnp.sum(jnp.sin(x)) for x in jax.tree.leaves(final))


def _poison(xs):
    """``xs`` with its padding filled by NaN, inf and -inf in turn."""
    padding = jnp.arange(T)[None, :] >= LENGTHS[:, None]
    junk = jnp.array([jnp.nan, jnp.inf, -jnp.inf])[jnp.arange(xs.size) % 3].reshape(xs.shape)
    return jnp.where(padding[:, :, None], junk, xs)


def _clean(xs):
    padding = jnp.arange(T)[None, :] >= LENGTHS[:, None]
    return jnp.where(padding[:, :, None], 0.0, xs)


# "auto" differs from "reference" only where a fused kernel exists.
CASES = [(kind, False, "reference") for kind in LAYERS if kind != "stack"]
CASES += [(kind, False, "auto") for kind in ("lstm", "gru", "bidirectional", "stack")]
CASES += [("lstm", True, "auto"), ("gru", True, "auto"), ("simple_rnn", True, "reference")]


@pytest.mark.parametrize("kind,reverse,implementation", CASES)
def test_nonfinite_padding_changes_no_value_and_no_gradient(kind, reverse, implementation):
    layer = LAYERS[kind]()
    params = randomize(layer.init(jax.random.key(0), D), 1, 0.5)
    grad = jax.jit(jax.value_and_grad(_loss, argnums=(1, 2)), static_argnums=(0, 4, 5))
    expected = grad(layer, params, _clean(_xs()), LENGTHS, implementation, reverse)
    got = grad(layer, params, _poison(_xs()), LENGTHS, implementation, reverse)
    for leaf in jax.tree.leaves(got):
        assert np.isfinite(np.asarray(leaf)).all()
    # Bitwise: the padding is replaced by exact zeros before anything reads it.
    for a, e in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e))


@pytest.mark.parametrize(
    "kind,reverse", [("lstm", False), ("lstm", True), ("gru", True), ("bidirectional", False)]
)
def test_out_of_range_traced_lengths_act_clipped(kind, reverse):
    """The reviewer's case: a bidirectional layer, lengths [6, 3] at T = 5, under jit."""
    layer = LAYERS[kind]()
    params = randomize(layer.init(jax.random.key(0), D), 2, 0.5)
    wild = jnp.array([T + 1, -2, 3])
    run = jax.jit(jax.value_and_grad(_loss, argnums=(1, 2)), static_argnums=(0, 4, 5))
    got = run(layer, params, _xs(), wild, "auto", reverse)
    expected = run(layer, params, _xs(), jnp.clip(wild, 0, T), "auto", reverse)
    for a, e in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
        assert np.isfinite(np.asarray(a)).all()
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e))


def test_reverse_in_length_is_safe_for_any_lengths():
    xs = jnp.arange(T * 2, dtype=jnp.float32).reshape(T, 2)
    got = lj.reverse_in_length(xs, jnp.array([T + 4, -3]))
    np.testing.assert_array_equal(got, lj.reverse_in_length(xs, jnp.array([T, 0])))


@pytest.mark.parametrize("lengths", [[6, 3, 1], [5, -1, 2]])
def test_checked_mode_raises_on_out_of_range_traced_lengths(lengths):
    layer = lj.bidirectional(lj.lstm(H))
    params = layer.init(jax.random.key(0), D)
    run = jax.jit(lj.checked(lambda p, x, n: _loss(layer, p, x, n, "auto")))
    error, _ = run(params, _xs(), jnp.array([5, 3, 0]))
    error.throw()  # in range: nothing raised
    error, _ = run(params, _xs(), jnp.array(lengths))
    with pytest.raises(ValueError, match=r"lengths: expected values in \[0, 5\] \(T\)"):
        error.throw()


def test_checked_train_step_raises_and_default_step_clips():
    layer = lj.lstm(H)
    optimizer = optax.sgd(0.1)

    def loss_fn(params, batch, key):
        xs, lengths = batch
        return _loss(layer, params, xs, lengths, "auto"), {}

    state = train.create_state(layer.init(jax.random.key(0), D), optimizer, key=jax.random.key(1))
    bad = (_xs(), jnp.array([9, 3, 1]))
    checked_step = train.make_train_step(loss_fn, optimizer, checked=True)
    checked_step(state, (_xs(), LENGTHS))
    with pytest.raises(ValueError, match="lengths: expected values in"):
        checked_step(state, bad)
    new_state, metrics = train.make_train_step(loss_fn, optimizer)(state, bad)
    assert np.isfinite(float(metrics["loss"]))
    eval_step = train.make_eval_step(loss_fn, checked=True)
    with pytest.raises(ValueError, match="lengths: expected values in"):
        eval_step(state.params, bad)


def test_checked_step_needs_jit():
    with pytest.raises(ValueError, match="checked: needs jit=True"):
        train.make_train_step(lambda p, b, k: (0.0, {}), optax.sgd(0.1), jit=False, checked=True)
