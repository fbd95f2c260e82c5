"""A character-level language model: embedding, stacked LSTM, per-step readout.

For ids ``x [B, T]`` and the carry left by the previous window::

    e          = E[x]                                            # [B, T, E]
    ys, carry' = encoder.apply(params["encoder"], e, initial_carry=carry)
    logits     = ys @ W + b                                      # [B, T, V]

``p(x_(t+1) | x_(<=t)) = softmax(logits_t)``. The carry in and out is what
makes stateful (truncated-BPTT) training and generation possible: the next
window starts where this one stopped. ``sample`` continues a prompt one
character at a time at a softmax temperature.

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> from lstmjax.models.language_model import language_model, next_token_loss, sample
>>> model = language_model(12, lj.stack([lj.lstm(8)]), embed_size=4)   # V = 12
>>> params = model.init(jax.random.key(0))
>>> ids = jnp.array([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])              # x [B, T]
>>> logits, carry = model.apply(params, ids[:, :-1], model.initial_carry(2))
>>> logits.shape                                                      # [B, T - 1, V]
(2, 4, 12)
>>> next_token_loss(logits, ids[:, 1:]).shape
()
>>> logits, carry = model.apply(params, ids[:, 1:], carry)           # the next window
>>> sample(model, params, jnp.array([1, 2]), 6, temperature=1.0, key=jax.random.key(1)).shape
(6,)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lstmjax.models.readout import per_step_readout
from lstmjax.validation import check_layer


class LanguageModel(NamedTuple):
    """``init(key)``, ``apply(params, ids [B, T], carry, ...) -> (logits [B, T, V], carry)``,
    ``initial_carry(batch_size)`` (the encoder's zeros, leaves ``[B, F]``)."""

    vocab_size: int
    encoder: Any
    init: Callable
    apply: Callable
    initial_carry: Callable


def language_model(vocab_size: int, encoder: Any, *, embed_size: int) -> LanguageModel:
    """Builds a language model over ``vocab_size`` tokens.

    Args:
      vocab_size: ``V``.
      encoder: a causal layer (a cell or a stack of unidirectional layers; a
        bidirectional layer would read the tokens it must predict); its input
        size is ``embed_size``.
      embed_size: ``E``, the width of the token embedding.
    """
    if not check_layer(encoder, "encoder").causal:
        raise ValueError(
            "encoder: expected a causal layer (a cell or a stack of unidirectional layers); "
            "a bidirectional layer sees the next tokens it is trained to predict"
        )
    if vocab_size < 2 or embed_size < 1:
        raise ValueError(
            f"vocab_size >= 2 and embed_size >= 1 expected, got {vocab_size}, {embed_size}"
        )
    readout = per_step_readout(vocab_size)

    def init(key: jax.Array):
        k_embed, k_enc, k_out = jax.random.split(key, 3)
        return {
            "embed": jax.random.normal(k_embed, (vocab_size, embed_size)) * 0.1,
            "encoder": encoder.init(k_enc, embed_size),
            "readout": readout.init(k_out, encoder.output_size),
        }

    def initial_carry(batch_size: int):
        return encoder.initial_carry((batch_size,))

    def apply(params, ids, carry, *, train: bool = False, dropout_key=None):
        xs = jnp.take(params["embed"], ids, axis=0)
        ys, carry = encoder.apply(
            params["encoder"], xs, initial_carry=carry, train=train, dropout_key=dropout_key
        )
        return readout.apply(params["readout"], ys), carry

    return LanguageModel(vocab_size, encoder, init, apply, initial_carry)


def next_token_loss(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """Mean cross-entropy in nats of ``logits [B, T, V]`` against ``targets [B, T]``."""
    return optax.softmax_cross_entropy_with_integer_labels(logits, targets).mean()


def sample(
    model: LanguageModel,
    params,
    prompt: jax.Array,
    num_tokens: int,
    *,
    temperature: float,
    key: jax.Array,
) -> jax.Array:
    """Continues ``prompt [P]`` (P >= 1) by ``num_tokens`` ids, ``[num_tokens]``.

    Each next id is drawn from ``softmax(logits / temperature)``; a temperature
    near 0 approaches greedy decoding, 1 samples the model's distribution.
    """
    if temperature <= 0:
        raise ValueError(f"temperature: expected > 0, got {temperature}")
    if prompt.ndim != 1 or prompt.shape[0] < 1:
        raise ValueError(f"prompt: expected a non-empty [P] array of ids, got {prompt.shape}")
    logits, carry = model.apply(params, prompt[None, :], model.initial_carry(1))

    def step(state, k):
        carry, last = state
        token = jax.random.categorical(k, last / temperature)
        logits, carry = model.apply(params, token[None, None], carry)
        return (carry, logits[0, -1]), token

    _, tokens = jax.lax.scan(step, (carry, logits[0, -1]), jax.random.split(key, num_tokens))
    return tokens
