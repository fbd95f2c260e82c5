"""A non-recurrent frame model: an MLP over a window of neighbouring frames.

Frame ``t``'s output sees the frames ``t - context .. t + context`` (zeros
beyond the sequence's valid frames), flattened, through two ReLU layers::

    c_t = [x_{t-context}; ..; x_{t+context}]          [B, T, (2 context + 1) D]
    h_t = relu(relu(c_t W1 + b1) W2 + b2)              [B, T, hidden]

equivalently a 1-D convolution of width ``2 context + 1`` followed by a
width-1 convolution. It has no state: what it knows about frame ``t`` is
fixed by the window.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.masking import length_mask


def context_windows(xs: jax.Array, lengths: jax.Array, context: int) -> jax.Array:
    """``xs [B, T, D]`` -> ``[B, T, (2 context + 1) D]``, padding frames zeroed first."""
    T = xs.shape[1]
    xs = jnp.where(length_mask(lengths, T).T[..., None], xs, 0.0)
    padded = jnp.pad(xs, ((0, 0), (context, context), (0, 0)))
    return jnp.concatenate([padded[:, k : k + T] for k in range(2 * context + 1)], axis=-1)


class ContextMLP(NamedTuple):
    """The module doc's frame model (``init``, ``apply``, ``output_size``)."""

    context: int
    hidden: int

    @property
    def output_size(self) -> int:
        return self.hidden

    def init(self, key: jax.Array, input_size: int) -> dict:
        """``W1 [(2 context + 1) D, hidden]``, ``W2 [hidden, hidden]`` (Glorot-uniform), zero
        biases."""
        k1, k2 = jax.random.split(key)
        fan_in = (2 * self.context + 1) * input_size
        glorot = jax.nn.initializers.glorot_uniform()
        return {
            "w1": glorot(k1, (fan_in, self.hidden)),
            "b1": jnp.zeros(self.hidden),
            "w2": glorot(k2, (self.hidden, self.hidden)),
            "b2": jnp.zeros(self.hidden),
        }

    def apply(self, params: dict, xs: jax.Array, lengths: jax.Array) -> jax.Array:
        """``xs [B, T, D]``, ``lengths [B]`` -> ``h [B, T, hidden]``."""
        c = context_windows(xs, lengths, self.context)
        h = jax.nn.relu(c @ params["w1"] + params["b1"])
        return jax.nn.relu(h @ params["w2"] + params["b2"])


def context_mlp(context: int, hidden: int) -> ContextMLP:
    """A ``ContextMLP`` seeing ``context`` frames either side, ``hidden`` units per layer."""
    for name, value, low in (("context", context, 0), ("hidden", hidden, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name}: expected an int >= {low}, got {value!r}")
    return ContextMLP(context, hidden)
