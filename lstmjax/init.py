"""Initialisers for recurrent weights and biases.

All take an explicit PRNG ``key`` and return float32 arrays (or ``dtype``).
Fused gate matrices ``[K, G*H]`` are initialised gate by gate, so each
``[K, H]`` block gets the statistics it would have as a separate matrix.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

INPUT_INITS = ("glorot_uniform", "glorot_normal", "lecun_normal", "lecun_uniform")
RECURRENT_INITS = ("orthogonal", "glorot_uniform", "lecun_normal", "identity")


def orthogonal(key: jax.Array, shape: tuple[int, int], dtype=jnp.float32) -> jax.Array:
    """A ``[rows, cols]`` matrix (``shape``) with orthonormal rows or columns (Saxe et al. 2014).

    Drawn as the Q factor of a Gaussian matrix, with the signs of R's diagonal
    folded in so the distribution is uniform (Haar) over orthogonal matrices.
    """
    rows, cols = shape
    n, m = max(rows, cols), min(rows, cols)
    a = jax.random.normal(key, (n, m), jnp.float32)
    q, r = jnp.linalg.qr(a)
    q = q * jnp.sign(jnp.diagonal(r))[None, :]
    if rows < cols:
        q = q.T
    return q.astype(dtype)


def _scaled(key, shape, distribution: str, fan_in: int, fan_out: int, dtype):
    if distribution.startswith("glorot"):
        variance = 2.0 / (fan_in + fan_out)
    else:  # lecun
        variance = 1.0 / fan_in
    if distribution.endswith("uniform"):
        limit = math.sqrt(3.0 * variance)
        return jax.random.uniform(key, shape, dtype, -limit, limit)
    return math.sqrt(variance) * jax.random.normal(key, shape, dtype)


def gate_matrix(
    key: jax.Array, fan_in: int, hidden_size: int, num_gates: int, kind: str, dtype=jnp.float32
) -> jax.Array:
    """A fused gate matrix ``[fan_in, num_gates * hidden_size]``.

    Each gate's ``[fan_in, hidden_size]`` block is drawn independently with
    ``kind`` (one of ``INPUT_INITS`` or ``RECURRENT_INITS``); ``"identity"``
    makes every block the identity (square blocks only: the IRNN of Le, Jaitly
    & Hinton 2015, a ReLU RNN whose ``w_hh`` starts as ``I``).
    """
    keys = jax.random.split(key, num_gates)
    if kind == "identity":
        if fan_in != hidden_size:
            raise ValueError(
                f"initializer: 'identity' needs a square block, got [{fan_in}, {hidden_size}]"
            )
        blocks = [jnp.eye(hidden_size, dtype=dtype)] * num_gates
    elif kind == "orthogonal":
        blocks = [orthogonal(k, (fan_in, hidden_size), dtype) for k in keys]
    elif kind in INPUT_INITS:
        blocks = [_scaled(k, (fan_in, hidden_size), kind, fan_in, hidden_size, dtype) for k in keys]
    else:
        raise ValueError(
            f"initializer: expected one of {INPUT_INITS + RECURRENT_INITS}, got {kind!r}"
        )
    return jnp.concatenate(blocks, axis=1)


def chrono_forget_bias(key: jax.Array, hidden_size: int, max_timescale: float) -> jax.Array:
    """Chrono initialisation of the forget-gate bias (Tallec & Ollivier 2018).

    ``b_f = log(u)``, ``u ~ U(1, max_timescale - 1)``, so the forget gate's
    characteristic memory times spread over ``[1, max_timescale]``. The input
    gate bias is set to ``-b_f`` by the cell.
    """
    if max_timescale <= 2:
        raise ValueError(f"chrono: expected max_timescale > 2, got {max_timescale}")
    u = jax.random.uniform(key, (hidden_size,), jnp.float32, 1.0, max_timescale - 1.0)
    return jnp.log(u)
