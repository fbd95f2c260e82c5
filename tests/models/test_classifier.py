import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from lstmjax.models.classifier import cross_entropy, sequence_classifier


def _model(pool_how="mean"):
    return sequence_classifier(lj.stack([lj.bidirectional(lj.lstm(8))]), 3, pool_how=pool_how)


@pytest.mark.parametrize("pool_how", ["mean", "last"])
def test_logits_ignore_padding(pool_how):
    model = _model(pool_how)
    params = model.init(jax.random.key(0), 4)
    xs = jax.random.normal(jax.random.key(1), (2, 6, 4))
    lengths = jnp.array([6, 3])
    logits = model.apply(params, xs, lengths)
    chex.assert_shape(logits, (2, 3))
    garbage = xs.at[1, 3:].set(100.0)
    np.testing.assert_allclose(model.apply(params, garbage, lengths), logits, rtol=1e-5, atol=1e-6)
    alone = model.apply(params, xs[1:, :3], lengths[1:])
    np.testing.assert_allclose(alone[0], logits[1], rtol=1e-5, atol=1e-6)


def test_cross_entropy_of_uniform_logits_is_log_classes():
    loss = cross_entropy(jnp.zeros((4, 5)), jnp.array([0, 1, 2, 4]))
    assert float(loss) == pytest.approx(np.log(5), rel=1e-6)


def test_bad_arguments():
    with pytest.raises(TypeError, match="encoder"):
        sequence_classifier(object(), 3)
    with pytest.raises(ValueError, match="num_classes"):
        sequence_classifier(lj.stack([lj.lstm(4)]), 1)
    with pytest.raises(ValueError, match="pool_how"):
        sequence_classifier(lj.stack([lj.lstm(4)]), 3, pool_how="max")
