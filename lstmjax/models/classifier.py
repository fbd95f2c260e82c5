"""A sequence classifier: a recurrent encoder, a pooled summary, a linear readout.

For ``xs [B, T, D]`` with ``lengths [B]``::

    ys     = encoder(xs, lengths)                      [B, T, H]
    p      = pool(ys, lengths)                         [B, H]     (mean, max or last)
    logits = p W + b                                   [B, C]

The encoder is an ``lstmjax.stack`` (wrap a single layer as ``lj.stack([layer])``),
so dropout between its layers comes for free.

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> from lstmjax.models.classifier import cross_entropy, sequence_classifier
>>> model = sequence_classifier(lj.stack([lj.lstm(8)]), num_classes=3)
>>> params = model.init(jax.random.key(0), input_size=2)
>>> xs, lengths = jnp.ones((4, 6, 2)), jnp.array([6, 5, 2, 1])    # [B, T, D], [B]
>>> logits = model.apply(params, xs, lengths)
>>> logits.shape                                                   # [B, C]
(4, 3)
>>> cross_entropy(logits, jnp.array([0, 1, 2, 0])).shape           # the batch mean
()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import optax

from lstmjax.models.pooling import POOLS, pool
from lstmjax.models.readout import linear_readout
from lstmjax.validation import check_layer


class Classifier(NamedTuple):
    """``init(key, input_size)`` and ``apply(params, xs, lengths, ...) -> logits [B, C]``."""

    encoder: Any
    num_classes: int
    pool: str
    init: Callable
    apply: Callable


def sequence_classifier(encoder: Any, num_classes: int, *, pool_how: str = "mean") -> Classifier:
    """Builds a classifier over ``encoder``'s pooled outputs.

    Args:
      encoder: any layer (a cell, a bidirectional layer, a stack).
      num_classes: ``C``, at least 2.
      pool_how: one of ``lstmjax.models.pooling.POOLS``.
    """
    check_layer(encoder, "encoder")
    if num_classes < 2:
        raise ValueError(f"num_classes: expected >= 2, got {num_classes}")
    if pool_how not in POOLS:
        raise ValueError(f"pool_how: expected one of {POOLS}, got {pool_how!r}")
    readout = linear_readout(num_classes)

    def init(key: jax.Array, input_size: int):
        k_enc, k_out = jax.random.split(key)
        return {
            "encoder": encoder.init(k_enc, input_size),
            "readout": readout.init(k_out, encoder.output_size),
        }

    def apply(params, xs, lengths, *, train: bool = False, dropout_key=None):
        ys, _ = encoder.apply(
            params["encoder"], xs, lengths=lengths, train=train, dropout_key=dropout_key
        )
        return readout.apply(params["readout"], pool(ys, lengths, pool_how))

    return Classifier(encoder, num_classes, pool_how, init, apply)


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy of ``logits [B, C]`` against integer ``labels [B]``."""
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
