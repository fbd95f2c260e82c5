import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from lstmjax.models.forecaster import forecaster, recursive_forecaster


def test_forecaster_shapes_and_errors():
    model = forecaster(lj.stack([lj.lstm(8)]), horizon=5)
    params = model.init(jax.random.key(0))
    out = model.apply(params, jax.random.normal(jax.random.key(1), (3, 12)))
    chex.assert_shape(out, (3, 5))
    with pytest.raises(ValueError, match="horizon"):
        forecaster(lj.stack([lj.lstm(8)]), horizon=0)
    with pytest.raises(TypeError, match="encoder"):
        forecaster(object(), horizon=2)


def test_recursive_forecast_feeds_predictions_back():
    model = recursive_forecaster(lj.stack([lj.lstm(6), lj.lstm(5)]), horizon=4)
    params = model.init(jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (2, 7))
    chex.assert_shape(model.apply(params, x), (2, 7))
    got = model.forecast(params, x)
    chex.assert_shape(got, (2, 4))
    seq = x
    for k in range(4):  # re-reading the whole extended window must give the same values
        nxt = model.apply(params, seq)[:, -1]
        np.testing.assert_allclose(got[:, k], nxt, rtol=1e-4, atol=1e-5)
        seq = jnp.concatenate([seq, nxt[:, None]], axis=1)


def test_recursive_forecaster_rejects_bad_arguments():
    with pytest.raises(ValueError, match="horizon"):
        recursive_forecaster(lj.stack([lj.lstm(4)]), horizon=0)
    with pytest.raises(TypeError, match="encoder"):
        recursive_forecaster(object(), horizon=3)
