r"""Attention decoders: any causal layer (a cell, a stack of unidirectional layers) that
attends over an encoder's memory ``m [B, S, E]`` at every step.

The memory reaches the decoder through its CARRY. ``attention_carry(params,
memory, lengths)`` builds the first carry, an ``AttentionCarry`` holding the
inner layer's carry, the memory, its projection (computed once, not per step)
and the source mask ``mask[b, s] = s < lengths[b]``; ``step`` and ``apply``
then need nothing else, so every decoding function that drives a
``step(params, carry, x_t)`` (greedy, sampling, beam search in
``lstmjax.seq2seq.decoding``) runs an attention decoder unchanged, and beam
search reorders the memory along with the rest of the carry.

Scores at masked source positions are dropped before the softmax, so padding
gets exactly zero weight (a source of length 0 gets all-zero weights and a
zero context)::

    alpha_s = mask_s exp(e_s - max_{s' valid} e_s') / sum_{s' valid} exp(e_s' - max e)

**Additive attention** (Bahdanau, Cho and Bengio 2015, eq. 5-6), queried with
the inner layer's previous output ``h_{t-1}`` (zeros at ``t = 0``)::

    e_{t,s} = v^T tanh(W_q h_{t-1} + W_m m_s)          keys  W_m m_s precomputed [B, S, A]
    c_t     = sum_s alpha_{t,s} m_s                     [B, E]
    (carry_t, h_t) = inner.step(carry_{t-1}, [x_t; c_t])
    y_t     = [h_t; c_t]                                 [B, O + E]

**Multiplicative attention** (Luong, Pham and Manning 2015, eq. 5, 8), queried
with the current output ``h_t``, with input feeding (sec. 3.3)::

    (carry_t, h_t) = inner.step(carry_{t-1}, [x_t; h~_{t-1}])     (h~_{-1} = 0)
    e_{t,s} = h_t^T W_a m_s    ("general";  keys W_a^T m_s precomputed [B, S, O])
    e_{t,s} = h_t^T m_s        ("dot"; needs E == O)
    c_t     = sum_s alpha_{t,s} m_s
    h~_t    = tanh(W_c [c_t; h_t])                       y_t = h~_t  [B, A]

Without input feeding the inner layer reads ``x_t`` alone.

Usage, with an encoder's outputs ``memory [B, S, E]`` (``E = 6``) and an
LSTM of ``O = 8`` inside:

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> memory, src_lengths = jnp.ones((2, 7, 6)), jnp.array([7, 4])   # [B, S, E], [B]
>>> dec = lj.attention_decoder(lj.lstm(8), memory_size=6, attention="bahdanau")
>>> params = dec.init(jax.random.key(0), input_size=3)
>>> carry = dec.attention_carry(params, memory, lengths=src_lengths)
>>> xs = jnp.ones((2, 5, 3))                                        # [B, T, D]
>>> ys, final = dec.apply(params, xs, initial_carry=carry)
>>> ys.shape                                                        # [B, T, O + E]
(2, 5, 14)
>>> carry, y_t = dec.step(params, carry, xs[:, 0])                 # one step, x_t [B, D]
>>> y_t.shape
(2, 14)
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.cells.base import as_batch_shape, check_positive_int
from lstmjax.masking import length_mask
from lstmjax.validation import (
    check_flag,
    check_implementation,
    check_inputs,
    check_key,
    check_layer,
    check_lengths,
    check_unroll,
)

ATTENTIONS = ("bahdanau", "luong_general", "luong_dot")


class AttentionCarry(NamedTuple):
    """The carry of an attention decoder (leaves ``[B, ...]``; any batch shape ``[...]``).

    Attributes:
      inner: the inner layer's carry.
      feed: what the next step reads besides ``x_t``: Bahdanau's query
        ``h_{t-1} [B, O]``; Luong's ``h~_{t-1} [B, A]`` (``[B, 0]`` without
        input feeding).
      weights: the last step's attention weights ``alpha [B, S]``.
      memory: the encoder outputs ``m [B, S, E]``.
      keys: the memory's projection for the scores, ``[B, S, A]`` (additive),
        ``[B, S, O]`` (general) or ``m`` itself (dot).
      mask: ``[B, S]`` booleans, False on source padding.
    """

    inner: Any
    feed: jax.Array
    weights: jax.Array
    memory: jax.Array
    keys: jax.Array
    mask: jax.Array


def masked_softmax(scores: jax.Array, mask: jax.Array) -> jax.Array:
    """Softmax over the last axis of ``scores [..., S]`` restricted to ``mask [..., S]``.

    Masked positions get exactly 0; a row with no valid position is all zeros.
    """
    neg = jnp.asarray(jnp.finfo(scores.dtype).min, scores.dtype)
    top = jax.lax.stop_gradient(jnp.max(jnp.where(mask, scores, neg), axis=-1, keepdims=True))
    e = jnp.where(mask, jnp.exp(jnp.where(mask, scores - top, 0.0)), 0.0)
    total = jnp.sum(e, axis=-1, keepdims=True)
    return e / jnp.where(total > 0, total, 1.0)


def _dense(key, fan_in: int, fan_out: int) -> jax.Array:
    """``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, PyTorch's ``nn.Linear`` scale."""
    limit = 1.0 / math.sqrt(fan_in)
    return jax.random.uniform(key, (fan_in, fan_out), jnp.float32, -limit, limit)


class AttentionDecoder(NamedTuple):
    """A causal layer attending over a memory (module docstring); built by ``attention_decoder``.

    Params: ``{"inner": the inner layer's params, "attention": {...}}`` with
    ``w_q [O, A]``, ``w_m [E, A]``, ``v [A]`` (additive), ``w_a [O, E]``
    (general) and ``w_c [E + O, A]`` (Luong).
    """

    inner: Any
    attention: str
    memory_size: int
    attention_size: int
    input_feeding: bool

    @property
    def causal(self) -> bool:
        return True

    @property
    def output_size(self) -> int:
        if self.attention == "bahdanau":
            return self.inner.output_size + self.memory_size
        return self.attention_size

    @property
    def feed_size(self) -> int:
        """The features fed back besides ``x_t``, ``E`` (Bahdanau's context), ``A`` or 0 (Luong)."""
        if self.attention == "bahdanau":
            return self.memory_size
        return self.attention_size if self.input_feeding else 0

    def init(self, key: jax.Array, input_size: int):
        """Params for inputs ``x_t [..., input_size]``; the inner layer reads ``D + feed_size``."""
        input_size = check_positive_int(input_size, "input_size")
        k_inner, k1, k2, k3 = jax.random.split(check_key(key), 4)
        inner = self.inner.init(k_inner, input_size + self.feed_size)
        out, E, A = self.inner.output_size, self.memory_size, self.attention_size
        if self.attention == "bahdanau":
            limit = 1.0 / math.sqrt(A)
            att = {
                "w_q": _dense(k1, out, A),
                "w_m": _dense(k2, E, A),
                "v": jax.random.uniform(k3, (A,), jnp.float32, -limit, limit),
            }
        else:
            att = {"w_c": _dense(k3, E + out, A)}
            if self.attention == "luong_general":
                att["w_a"] = _dense(k1, out, E)
        return {"inner": inner, "attention": att}

    def initial_carry(self, batch_shape=(), dtype=jnp.float32, source_length: int = 1):
        """A carry over an EMPTY memory of ``source_length`` masked positions (zero context).

        The layer protocol's zero carry; to attend to an encoder's outputs use
        ``attention_carry``.
        """
        batch_shape = as_batch_shape(batch_shape)
        S = check_positive_int(source_length, "source_length")
        key_size = {"bahdanau": self.attention_size, "luong_general": self.inner.output_size}
        key_size = key_size.get(self.attention, self.memory_size)
        return AttentionCarry(
            inner=self.inner.initial_carry(batch_shape, dtype),
            feed=jnp.zeros(batch_shape + (self._feed_carry_size(),), dtype),
            weights=jnp.zeros(batch_shape + (S,), dtype),
            memory=jnp.zeros(batch_shape + (S, self.memory_size), dtype),
            keys=jnp.zeros(batch_shape + (S, key_size), dtype),
            mask=jnp.zeros(batch_shape + (S,), bool),
        )

    def _feed_carry_size(self) -> int:
        return self.inner.output_size if self.attention == "bahdanau" else self.feed_size

    def attention_carry(
        self, params, memory: jax.Array, lengths: jax.Array | None = None, inner_carry=None
    ) -> AttentionCarry:
        """The first carry of a decoder attending over ``memory [B, S, E]``.

        Args:
          params: this decoder's params.
          memory: the encoder's outputs, batch-major ``[..., S, E]``.
          lengths: ``[...]`` source lengths (positions ``s >= lengths`` get zero
            weight), or None for full sources. Values outside ``[0, S]`` act
            clipped.
          inner_carry: the inner layer's first carry (e.g. from the encoder's
            final state), or None for zeros.

        Returns:
          An ``AttentionCarry``; the keys ``W_m m`` / ``W_a^T m`` are computed here, once.
        """
        if not hasattr(memory, "shape") or not hasattr(memory, "dtype"):
            raise TypeError(f"memory: expected an array [B, S, E], got {type(memory).__name__}")
        if not jnp.issubdtype(memory.dtype, jnp.floating):
            raise TypeError(f"memory: expected a floating dtype, got {memory.dtype}")
        if memory.ndim < 2 or memory.shape[-1] != self.memory_size:
            raise ValueError(
                f"memory: expected shape [..., S, {self.memory_size}] (memory_size), "
                f"got {memory.shape}"
            )
        batch_shape, S = tuple(memory.shape[:-2]), memory.shape[-2]
        if S < 1:
            raise ValueError(f"memory: expected at least one source position, got {memory.shape}")
        if lengths is None:
            mask = jnp.ones(batch_shape + (S,), bool)
        else:
            if not hasattr(lengths, "dtype") or not jnp.issubdtype(lengths.dtype, jnp.integer):
                got = getattr(lengths, "dtype", type(lengths).__name__)
                raise TypeError(f"lengths: expected an integer array, got {got}")
            if tuple(lengths.shape) != batch_shape:
                raise ValueError(
                    f"lengths: expected shape {batch_shape} (the batch shape of memory), "
                    f"got {lengths.shape}"
                )
            mask = jnp.moveaxis(length_mask(lengths.reshape(-1), S), 0, -1).reshape(
                batch_shape + (S,)
            )
        att = params["attention"]
        if self.attention == "bahdanau":
            keys = memory @ att["w_m"]
        elif self.attention == "luong_general":
            keys = memory @ att["w_a"].T
        else:
            keys = memory
        carry = self.initial_carry(batch_shape, memory.dtype, S)
        if inner_carry is not None:
            carry = carry._replace(inner=inner_carry)
        return carry._replace(memory=memory, keys=keys, mask=mask)

    def scores(self, params, carry: AttentionCarry, query: jax.Array) -> jax.Array:
        """The unnormalised scores ``e [..., S]`` of ``query [..., O]`` against the memory."""
        if self.attention == "bahdanau":
            att = params["attention"]
            hidden = jnp.tanh(carry.keys + (query @ att["w_q"])[..., None, :])
            return hidden @ att["v"]
        return jnp.einsum("...so,...o->...s", carry.keys, query)

    def attend(self, params, carry: AttentionCarry, query: jax.Array):
        """``(alpha [..., S], context [..., E])`` for ``query [..., O]``."""
        alpha = masked_softmax(self.scores(params, carry, query), carry.mask)
        return alpha, jnp.einsum("...s,...se->...e", alpha, carry.memory)

    def step(self, params, carry: AttentionCarry, x_t: jax.Array, **step_inputs):
        """One step: ``x_t [..., D]`` -> ``(carry, y_t [..., output_size])`` (module equations).

        ``step_inputs`` go to the inner layer's ``step``.
        """
        if not isinstance(carry, AttentionCarry):
            raise TypeError(
                "carry: expected an AttentionCarry (from attention_carry), "
                f"got {type(carry).__name__}"
            )
        inner_params = params["inner"]
        if self.attention == "bahdanau":
            alpha, context = self.attend(params, carry, carry.feed)
            inputs = jnp.concatenate([x_t, context.astype(x_t.dtype)], axis=-1)
            inner, h = self.inner.step(inner_params, carry.inner, inputs, **step_inputs)
            y = jnp.concatenate([h, context.astype(h.dtype)], axis=-1)
            return carry._replace(inner=inner, feed=h, weights=alpha), y
        inputs = jnp.concatenate([x_t, carry.feed.astype(x_t.dtype)], axis=-1)
        inner, h = self.inner.step(inner_params, carry.inner, inputs, **step_inputs)
        alpha, context = self.attend(params, carry, h)
        y = jnp.tanh(jnp.concatenate([context, h], axis=-1) @ params["attention"]["w_c"])
        feed = y if self.input_feeding else carry.feed
        return carry._replace(inner=inner, feed=feed, weights=alpha), y

    def apply(
        self,
        params,
        xs: jax.Array,
        *,
        initial_carry: AttentionCarry | None = None,
        lengths: jax.Array | None = None,
        time_major: bool = False,
        unroll: int | None = None,
        implementation: str = "auto",
        train: bool = False,
        dropout_key=None,
    ):
        """Teacher forcing: ``step`` over ``xs [B, T, D]`` -> ``(ys [B, T, output_size], final)``.

        Args:
          params: this decoder's params.
          xs: decoder inputs ``[B, T, D]`` (``[T, B, D]`` with ``time_major``).
          initial_carry: from ``attention_carry`` (required: it holds the memory).
          lengths: ``[B]`` target lengths, or None: past ``lengths[b]`` the
            carry is held and the output is zero (as ``lstmjax.rnn``).
          time_major: the layout of ``xs`` and ``ys``.
          unroll: steps per ``lax.scan`` iteration (None: 1).
          implementation: ``"auto"`` or ``"reference"`` (the same here: the
            loop is the scan of ``step``); ``"fused"`` raises, there is no kernel.
          train, dropout_key: accepted for the layer protocol; no dropout here.
        """
        check_flag(time_major, "time_major")
        unroll = check_unroll(unroll)
        if check_implementation(implementation) == "fused":
            raise ValueError(
                'implementation: "fused" needs a fused kernel; an attention decoder has none, '
                'use "auto" or "reference"'
            )
        if initial_carry is None:
            raise ValueError(
                "initial_carry: an attention decoder needs the carry from "
                "attention_carry(params, memory, lengths), got None"
            )
        num_steps, batch_shape = check_inputs(xs, time_major=time_major)
        check_lengths(lengths, batch_shape, num_steps)
        xs_tm = xs if time_major else jnp.moveaxis(xs, -2, 0)
        mask = None if lengths is None else length_mask(lengths.reshape(-1), num_steps)

        def body(carry, inputs):
            x_t, valid = inputs
            new, y = self.step(params, carry, x_t)
            if valid is None:
                return new, y
            v = valid.reshape(x_t.shape[:-1])
            new = jax.tree.map(
                lambda n, o: jnp.where(v.reshape(v.shape + (1,) * (n.ndim - v.ndim)), n, o),
                new,
                carry,
            )
            return new, jnp.where(v[..., None], y, jnp.zeros_like(y))

        final, ys = jax.lax.scan(body, initial_carry, (xs_tm, mask), unroll=unroll or 1)
        return (ys if time_major else jnp.moveaxis(ys, 0, -2)), final


def attention_decoder(
    inner,
    *,
    memory_size: int,
    attention: str = "bahdanau",
    attention_size: int | None = None,
    input_feeding: bool = True,
) -> AttentionDecoder:
    """Wraps a causal layer into an attention decoder (module docstring).

    Args:
      inner: a cell or a stack of unidirectional layers (needs a ``step``).
      memory_size: ``E``, the features of the encoder's outputs.
      attention: ``"bahdanau"`` (additive), ``"luong_general"`` or ``"luong_dot"``
        (multiplicative).
      attention_size: ``A``: the additive score's hidden size, or Luong's
        attentional vector size; default the inner layer's output size.
      input_feeding: Luong's input feeding (``h~_{t-1}`` joins ``x_t``);
        ignored by Bahdanau, whose context always joins ``x_t``.

    Returns:
      An ``AttentionDecoder``.
    """
    check_layer(inner, "inner")
    if not inner.causal:
        raise ValueError(
            f"inner: expected a causal layer with a step (a cell or a stack of unidirectional "
            f"layers), got a non-causal {type(inner).__name__}"
        )
    memory_size = check_positive_int(memory_size, "memory_size")
    if attention not in ATTENTIONS:
        raise ValueError(f"attention: expected one of {ATTENTIONS}, got {attention!r}")
    attention_size = (
        inner.output_size
        if attention_size is None
        else check_positive_int(attention_size, "attention_size")
    )
    if attention == "luong_dot" and memory_size != inner.output_size:
        raise ValueError(
            f'memory_size: attention="luong_dot" scores h_t . m_s, so it must equal the inner '
            f"layer's output size {inner.output_size}, got {memory_size}"
        )
    return AttentionDecoder(
        inner=inner,
        attention=attention,
        memory_size=memory_size,
        attention_size=attention_size,
        input_feeding=check_flag(input_feeding, "input_feeding"),
    )
