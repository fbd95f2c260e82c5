import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from experiments.common import optim
from lstmjax import train


def _updates(optimizer, grads, steps):
    params = {"w": jnp.zeros(3)}
    state = optimizer.init(params)
    out = []
    for _ in range(steps):
        updates, state = optimizer.update(grads, state, params)
        out.append(np.asarray(updates["w"]))
    return out


def test_constant_schedule_is_clipped_adam_with_the_same_state():
    grads = {"w": jnp.array([3.0, 4.0, 0.0])}
    ours = optim.make_optimizer(1e-2, max_grad_norm=1.0, num_steps=5)
    plain = train.with_clipping(optax.adam(1e-2), 1.0)
    params = {"w": jnp.zeros(3)}
    assert jax.tree.structure(ours.init(params)) == jax.tree.structure(plain.init(params))
    for a, b in zip(_updates(ours, grads, 3), _updates(plain, grads, 3)):
        np.testing.assert_array_equal(a, b)


def test_weight_decay_gives_adamw():
    ours = optim.make_optimizer(1e-2, max_grad_norm=None, num_steps=5, weight_decay=0.1)
    plain = optax.adamw(1e-2, weight_decay=0.1)
    grads = {"w": jnp.array([1.0, -1.0, 0.5])}
    for a, b in zip(_updates(ours, grads, 2), _updates(plain, grads, 2)):
        np.testing.assert_array_equal(a, b)


def test_cosine_schedule_decays_to_zero_over_the_run():
    rate = optim.learning_rate(1e-2, "cosine", num_steps=10)
    assert float(rate(0)) == pytest.approx(1e-2)
    assert float(rate(5)) == pytest.approx(5e-3)
    assert float(rate(10)) == pytest.approx(0.0)
    updates = _updates(
        optim.make_optimizer(1e-2, max_grad_norm=None, num_steps=4, schedule="cosine"),
        {"w": jnp.ones(3)},
        5,
    )
    assert np.abs(updates[0]).max() > np.abs(updates[2]).max() > np.abs(updates[4]).max()


def test_unknown_schedule_is_rejected():
    with pytest.raises(ValueError, match="schedule"):
        optim.make_optimizer(1e-2, max_grad_norm=1.0, num_steps=5, schedule="linear")
