"""Precision policy: the dtype of matmul operands, with float32 state.

A recurrent net's state is accumulated over hundreds of steps, so lstmjax keeps
the cell state, the hidden state and all gate arithmetic in float32 (or wider)
whatever the policy. Only the *operands* of the matrix products change: with
``compute_dtype=jnp.bfloat16`` both ``x`` and ``W`` are cast to bfloat16 and
the product is accumulated in float32 (``preferred_element_type``), which is
what tensor cores and AVX-512 BF16 units do natively.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def canonical_compute_dtype(compute_dtype):
    """Returns ``compute_dtype`` as a ``jnp.dtype`` (or None), or raises.

    Raises:
      TypeError: ``compute_dtype`` is not None or a floating dtype.
    """
    if compute_dtype is None:
        return None
    try:
        dtype = jnp.dtype(compute_dtype)
    except TypeError as err:
        raise TypeError(
            f"compute_dtype: expected None or a floating dtype such as "
            f"jnp.bfloat16, got {compute_dtype!r}"
        ) from err
    if not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(
            f"compute_dtype: expected None or a floating dtype such as jnp.bfloat16, got {dtype}"
        )
    return dtype


def state_dtype(*dtypes) -> jnp.dtype:
    """The dtype of carries and gate math: float32, or wider if inputs are."""
    return jnp.result_type(jnp.float32, *dtypes)


def matmul(x: jax.Array, w: jax.Array, compute_dtype) -> jax.Array:
    """``x @ w`` with operands in ``compute_dtype`` and a float32+ result.

    Args:
      x: ``[..., K]``.
      w: ``[K, N]``.
      compute_dtype: operand dtype, or None to use the operands as they are.

    Returns:
      ``[..., N]`` in ``state_dtype(x.dtype, w.dtype)``.
    """
    out_dtype = state_dtype(x.dtype, w.dtype)
    if compute_dtype is not None:
        x = x.astype(compute_dtype)
        w = w.astype(compute_dtype)
    return jnp.matmul(x, w, preferred_element_type=out_dtype)
