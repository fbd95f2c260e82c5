"""Test helpers shared by the core's tests."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def randomize(params, seed: int, scale: float = 0.5):
    """Replaces every leaf of ``params`` with N(0, scale^2) draws (same shapes)."""
    leaves, treedef = jax.tree.flatten(params)
    rng = np.random.default_rng(seed)
    new = [jnp.asarray(scale * rng.standard_normal(np.shape(x)), jnp.float32) for x in leaves]
    return jax.tree.unflatten(treedef, new)
