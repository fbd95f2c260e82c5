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


def assert_close_to_scale(actual, expected, tol: float, floor: float = 0.1):
    """Each leaf of ``actual`` within ``tol * max(max|expected leaf|, floor)`` of ``expected``.

    The floor keeps a value that cancels to near zero (a loss summing terms of
    order one) from demanding a relative precision float32 sums do not have.
    """
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        a, e = np.asarray(a, np.float32), np.asarray(e, np.float32)
        scale = max(float(np.max(np.abs(e), initial=0.0)), floor)
        np.testing.assert_allclose(a / scale, e / scale, atol=tol, rtol=0)
