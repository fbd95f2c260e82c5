"""Helpers shared by the seq2seq tests."""

import jax
import jax.numpy as jnp
import numpy as np


def random_params(layer, input_size: int, seed: int, scale: float = 0.5):
    """Params of ``layer.init``'s structure (traced, never run) filled with N(0, scale^2) draws.

    Tracing the init instead of running it op by op keeps the tests fast.
    """
    shapes = jax.eval_shape(lambda key: layer.init(key, input_size), jax.random.key(0))
    rng = np.random.default_rng(seed)
    return jax.tree.map(
        lambda s: jnp.asarray(scale * rng.standard_normal(s.shape), jnp.float32), shapes
    )
