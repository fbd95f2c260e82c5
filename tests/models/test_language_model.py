import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from lstmjax.models.language_model import language_model, next_token_loss, sample


def _model():
    return language_model(11, lj.stack([lj.lstm(8), lj.lstm(6)]), embed_size=4)


def test_carry_makes_two_windows_equal_one_long_window():
    model = _model()
    params = model.init(jax.random.key(0))
    ids = jax.random.randint(jax.random.key(1), (3, 10), 0, 11)
    whole, carry_whole = model.apply(params, ids, model.initial_carry(3))
    first, carry = model.apply(params, ids[:, :4], model.initial_carry(3))
    second, carry = model.apply(params, ids[:, 4:], carry)
    chex.assert_shape(whole, (3, 10, 11))
    np.testing.assert_allclose(jnp.concatenate([first, second], 1), whole, rtol=1e-5, atol=1e-6)
    chex.assert_trees_all_close(carry, carry_whole, rtol=1e-5, atol=1e-6)


def test_next_token_loss_of_uniform_logits_is_log_vocab():
    loss = next_token_loss(jnp.zeros((2, 5, 11)), jnp.ones((2, 5), jnp.int32))
    assert float(loss) == pytest.approx(np.log(11), rel=1e-6)


def test_sample_is_deterministic_per_key_and_near_greedy_at_low_temperature():
    model = _model()
    params = model.init(jax.random.key(0))
    prompt = jnp.array([1, 2, 3])
    a = sample(model, params, prompt, 12, temperature=0.8, key=jax.random.key(5))
    b = sample(model, params, prompt, 12, temperature=0.8, key=jax.random.key(5))
    chex.assert_shape(a, (12,))
    np.testing.assert_array_equal(a, b)
    assert int(a.min()) >= 0 and int(a.max()) < 11
    logits, _ = model.apply(params, prompt[None], model.initial_carry(1))
    cold = sample(model, params, prompt, 1, temperature=1e-4, key=jax.random.key(6))
    assert int(cold[0]) == int(jnp.argmax(logits[0, -1]))


def test_bad_arguments():
    model = _model()
    params = model.init(jax.random.key(0))
    with pytest.raises(ValueError, match="temperature"):
        sample(model, params, jnp.array([1]), 3, temperature=0.0, key=jax.random.key(0))
    with pytest.raises(ValueError, match="prompt"):
        sample(model, params, jnp.zeros((0,), jnp.int32), 3, temperature=1.0, key=jax.random.key(0))
    with pytest.raises(ValueError, match="encoder: expected a causal layer"):
        language_model(11, lj.stack([lj.bidirectional(lj.lstm(4))]), embed_size=4)
