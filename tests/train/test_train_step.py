"""The train step: updates, finiteness, compiling once, clipping; evaluation."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lstmjax as lj
from lstmjax import train
from lstmjax.data import synthetic

H, T, B = 6, 10, 4


def make_loss(cell):
    def loss_fn(params, batch, key):
        ys, _ = lj.rnn(cell, params["cell"], batch.inputs)
        pred = ys[:, -1] @ params["w"]
        return jnp.mean((pred - batch.targets) ** 2), {"pred_mean": jnp.mean(pred)}

    return loss_fn


def setup(optimizer, loss_wrapper=lambda f: f):
    cell = lj.lstm(H)
    params = {"cell": cell.init(jax.random.key(0), 2), "w": jnp.ones((H, 1))}
    state = train.create_state(params, optimizer, key=jax.random.key(1))
    return state, train.make_train_step(loss_wrapper(make_loss(cell)), optimizer), cell


def batch(i):
    return synthetic.adding(jax.random.key(i), B, T)


def test_step_changes_params_advances_step_and_key_and_reports_finite_metrics():
    state, step, _ = setup(optax.adam(1e-2))
    new, metrics = step(state, batch(0))
    assert int(new.step) == 1
    assert not np.array_equal(jax.random.key_data(new.key), jax.random.key_data(state.key))
    for old_leaf, new_leaf in zip(jax.tree.leaves(state.params), jax.tree.leaves(new.params)):
        assert not np.array_equal(old_leaf, new_leaf)
    assert set(metrics) == {"loss", "grad_norm", "pred_mean"}
    assert all(np.isfinite(float(v)) and v.dtype == jnp.float32 for v in metrics.values())


def test_step_compiles_once():
    # loss_fn runs once per trace: a second trace (recompilation) fails the assertion.
    state, step, _ = setup(optax.adam(optax.linear_schedule(1e-2, 1e-3, 10)), chex_wrap)
    for i in range(4):
        state, metrics = step(state, batch(i))
    assert int(state.step) == 4


def chex_wrap(loss_fn):
    chex.clear_trace_counter()
    return chex.assert_max_traces(loss_fn, n=1)


def test_clipping_bounds_the_update_by_max_norm():
    max_norm = 1e-3
    state, step, _ = setup(train.with_clipping(optax.sgd(1.0), max_norm))
    new, metrics = step(state, batch(0))
    moved = optax.tree.norm(jax.tree.map(jnp.subtract, new.params, state.params))
    assert float(metrics["grad_norm"]) > max_norm  # the raw gradient is larger ...
    np.testing.assert_allclose(float(moved), max_norm, rtol=1e-4)  # ... the step is clipped


def test_with_clipping_rejects_a_bad_norm_and_passes_none_through():
    sgd = optax.sgd(1.0)
    assert train.with_clipping(sgd, None) is sgd
    with pytest.raises(ValueError, match="max_norm"):
        train.with_clipping(sgd, 0.0)


def test_evaluate_averages_over_batches_without_a_key():
    cell = lj.lstm(H)
    params = {"cell": cell.init(jax.random.key(0), 2), "w": jnp.ones((H, 1))}
    seen_keys = []

    def loss_fn(params, batch, key):
        seen_keys.append(key)
        return make_loss(cell)(params, batch, key)

    eval_step = train.make_eval_step(loss_fn)
    batches = [batch(i) for i in range(3)]
    scores = train.evaluate(eval_step, params, batches)
    expected = np.mean([float(make_loss(cell)(params, b, None)[0]) for b in batches])
    np.testing.assert_allclose(scores["loss"], expected, rtol=1e-6)
    assert set(scores) == {"loss", "pred_mean"} and seen_keys == [None]
    with pytest.raises(ValueError, match="batches"):
        train.evaluate(eval_step, params, [])


def test_compiler_options_pass_to_the_jit_and_keep_the_result():
    optimizer = optax.adam(1e-2)
    state, plain_step, cell = setup(optimizer)
    options = lj.compiler_options()
    tuned_step = train.make_train_step(make_loss(cell), optimizer, compiler_options=options)
    plain, _ = plain_step(state, batch(0))
    tuned, _ = tuned_step(state, batch(0))
    chex.assert_trees_all_close(tuned.params, plain.params, rtol=1e-5, atol=1e-6)
    plain_eval = train.make_eval_step(make_loss(cell))(plain.params, batch(1))
    tuned_eval = train.make_eval_step(make_loss(cell), compiler_options=options)(
        plain.params, batch(1)
    )
    chex.assert_trees_all_close(tuned_eval, plain_eval, rtol=1e-5)
    bad_step = train.make_train_step(
        make_loss(cell), optimizer, compiler_options={"xla_no_such_option": "1"}
    )
    with pytest.raises(Exception, match="xla_no_such_option"):
        bad_step(state, batch(0))
