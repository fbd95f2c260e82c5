import jax
import jax.numpy as jnp
import numpy as np
import optax

import lstmjax as lj
from lstmjax.models.language_model import language_model, next_token_loss
from lstmjax.models.stateful_step import (
    StreamBatch,
    create_stateful_state,
    make_stateful_train_step,
)


def _setup():
    model = language_model(7, lj.stack([lj.lstm(5)]), embed_size=3)

    def loss_fn(params, batch, carry, key):
        logits, carry = model.apply(params, batch.inputs, carry)
        return next_token_loss(logits, batch.targets), ({}, carry)

    optimizer = optax.sgd(0.0)  # params stay put: only the carry moves
    zero = model.initial_carry(2)
    state = create_stateful_state(
        model.init(jax.random.key(0)), optimizer, key=jax.random.key(1), carry=zero
    )
    return model, make_stateful_train_step(loss_fn, optimizer, zero), state


def _batch(seed, reset):
    ids = jax.random.randint(jax.random.key(seed), (2, 5), 0, 7)
    return StreamBatch(ids, jnp.roll(ids, -1, axis=1), jnp.bool_(reset))


def test_carry_passes_between_batches_and_resets_on_request():
    model, step, state = _setup()
    first = _batch(0, True)
    state, _ = step(state, first)
    _, want = model.apply(state.params, first.inputs, model.initial_carry(2))
    jax.tree.map(np.testing.assert_allclose, state.carry, want)
    assert int(state.step) == 1

    carried, metrics_carried = step(state, _batch(1, False))
    reset, metrics_reset = step(state, _batch(1, True))
    assert float(metrics_carried["loss"]) != float(metrics_reset["loss"])
    _, fresh = model.apply(state.params, _batch(1, True).inputs, model.initial_carry(2))
    jax.tree.map(np.testing.assert_allclose, reset.carry, fresh)
    assert set(metrics_reset) == {"loss", "grad_norm"}
