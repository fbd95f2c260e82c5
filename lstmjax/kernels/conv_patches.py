r"""A "same"-padded, stride-1 2-D convolution as ONE matrix product over patches.

The convolution of ``x [N, height, width, C]`` with ``w [k1, k2, C, O]``::

    y[n, r, s, :] = sum_{i < k1, j < k2} xp[n, r + i, s + j, :] @ w[i, j]      [N, height, width, O]

where ``xp`` is ``x`` zero-padded as XLA's ``"SAME"`` pads it
(``lax.padtype_to_pads``: ``k - 1`` in all, the smaller half before). Written
as a matrix product, the ``k1 k2`` shifted views of ``xp`` are concatenated
on the channel axis, ``P [N, height, width, k1 k2 C]`` (view ``(i, j)`` at
channels ``(i k2 + j) C ..``), and multiplied by ``w`` reshaped to
``[k1 k2 C, O]``, whose row ``(i k2 + j) C + c`` is ``w[i, j, c]``::

    y = P @ reshape(w, [k1 k2 C, O])

It computes what ``lax.conv_general_dilated`` computes, up to the order of
the float32 sums. Its gradients are a matrix product and shifted adds, which
XLA's CPU backend runs far faster than its convolution gradients inside a
``lax.scan`` (``tuning.CONV_AS_MATMUL``; numbers in ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def conv2d_as_matmul(x: jax.Array, w: jax.Array, out_dtype) -> jax.Array:
    """``x [N, height, width, C]`` convolved with ``w [k1, k2, C, O]``, "same" padding.

    The product accumulates in ``out_dtype``; returns ``[N, height, width, O]``.

    >>> import jax, jax.numpy as jnp
    >>> x = jnp.ones((1, 3, 3, 1)); w = jnp.ones((3, 3, 1, 1))
    >>> conv2d_as_matmul(x, w, jnp.float32)[0, :, :, 0]    # neighbours inside the frame
    Array([[4., 6., 4.],
           [6., 9., 6.],
           [4., 6., 4.]], dtype=float32)
    """
    k1, k2, channels, out = w.shape
    height, width = x.shape[1:3]
    (top, bottom), (left, right) = jax.lax.padtype_to_pads(
        (height, width), (k1, k2), (1, 1), "SAME"
    )
    xp = jnp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    views = [xp[:, i : i + height, j : j + width, :] for i in range(k1) for j in range(k2)]
    patches = jnp.concatenate(views, axis=-1) if len(views) > 1 else views[0]
    return jnp.einsum(
        "nhwk,ko->nhwo",
        patches,
        w.reshape(k1 * k2 * channels, out),
        preferred_element_type=out_dtype,
    )
