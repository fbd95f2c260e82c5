import jax.numpy as jnp
import numpy as np
import pytest

from lstmjax.models.pooling import masked_mean, pool


def test_masked_mean_averages_valid_steps_only():
    ys = jnp.arange(2 * 4 * 3, dtype=jnp.float32).reshape(2, 4, 3)
    lengths = jnp.array([2, 0])
    out = masked_mean(ys, lengths)
    np.testing.assert_allclose(out[0], ys[0, :2].mean(0))
    np.testing.assert_array_equal(out[1], 0.0)


def test_pool_last_and_unknown():
    ys = jnp.arange(2 * 4 * 3, dtype=jnp.float32).reshape(2, 4, 3)
    np.testing.assert_array_equal(pool(ys, jnp.array([3, 4]), "last"), ys[jnp.arange(2), [2, 3]])
    with pytest.raises(ValueError, match="how"):
        pool(ys, jnp.array([3, 4]), "max")
