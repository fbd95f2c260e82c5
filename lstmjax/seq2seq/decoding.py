r"""Decoding token sequences from any decoder with a step: greedy, sampling, beam search.

The decoding functions drive a TOKEN STEP ``step_fn(carry, tokens [N]) ->
(carry, logits [N, V])``, a pure function of int tokens; ``token_step``
builds one from any layer with a ``step`` (a cell, a causal stack, an
``AttentionDecoder``), a token embedding and an output projection. Here an
LSTM over a vocabulary of ``V = 10`` tokens, with start token 1 and EOS 2:

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> from lstmjax.models.readout import linear_readout
>>> decoder = lj.lstm(8)
>>> k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
>>> params = {"decoder": decoder.init(k1, 4),
...           "embed": jax.random.normal(k2, (10, 4)),              # [V, D]
...           "out": linear_readout(10).init(k3, 8)}                # [O, V], [V]
>>> step_fn = lj.token_step(decoder, params["decoder"], params["embed"], params["out"])
>>> carry = decoder.initial_carry((2,))                             # B = 2
>>> start_tokens = jnp.array([1, 1])                                # [B]
>>> out = lj.beam_search(step_fn, carry, start_tokens, max_len=6, beam_size=3, eos_id=2)
>>> out.sequences.shape        # [B, K, max_len], best beam first, pad_id after each EOS
(2, 3, 6)
>>> bool(jnp.all(out.scores[:, :-1] >= out.scores[:, 1:]))
True
>>> greedy = lj.greedy_decode(step_fn, carry, start_tokens, max_len=6, eos_id=2)
>>> greedy.sequences.shape, greedy.lengths.shape                    # [B, max_len], [B]
((2, 6), (2,))

All are pure and jit-able (``max_len``, ``beam_size``, ``top_k`` static):
``jax.jit(lambda p, c, s: beam_search(token_step(dec, p, ...), c, s, ...))``.

Every function stops a sequence at its first ``eos_id``: the EOS token is
part of the sequence and counts in its length, later positions hold
``pad_id``, and its score stops growing. A sequence with no EOS has length
``max_len``. Scores are model log-probabilities ``log p(y) = sum_t log
softmax(logits_t)[y_t]`` over the tokens up to and including the EOS.

**Beam search** keeps the ``K`` best hypotheses per batch element. Each step
extends every live beam by every token; a finished beam has one extension
(itself, score unchanged). Candidates are ranked by the length-normalised
score of Wu et al. 2016 (GNMT, eq. 14, without the coverage penalty)::

    s(Y) = log p(Y) / lp(Y),     lp(Y) = ((5 + |Y|) / 6) ** alpha

``alpha = 0`` ranks by ``log p(Y)``. All live candidates of one step have the
same length, so the penalty only arbitrates between finished hypotheses and
live ones. The loop is a ``lax.while_loop`` that stops after ``max_len`` steps
or once every beam has finished.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.cells.base import check_positive_int, check_real
from lstmjax.validation import check_int_array, check_key


class DecodeResult(NamedTuple):
    """Greedy or sampled sequences.

    Attributes:
      sequences: ``[B, max_len]`` int tokens, ``pad_id`` after each EOS.
      scores: ``[B]`` model log-probabilities of the sequences.
      lengths: ``[B]`` tokens up to and including the EOS (``max_len`` without one).
    """

    sequences: jax.Array
    scores: jax.Array
    lengths: jax.Array


class BeamSearchResult(NamedTuple):
    """The ``K`` beams per batch element, best first.

    Attributes:
      sequences: ``[B, K, max_len]`` int tokens, ``pad_id`` after each EOS.
      scores: ``[B, K]`` length-normalised scores ``log p(Y) / lp(Y)`` (sorted, descending).
      log_probs: ``[B, K]`` model log-probabilities ``log p(Y)``.
      lengths: ``[B, K]`` tokens up to and including the EOS (``max_len`` without one).
    """

    sequences: jax.Array
    scores: jax.Array
    log_probs: jax.Array
    lengths: jax.Array


def token_step(layer, params, embedding: jax.Array, readout) -> Callable:
    """A token step over any layer with a ``step``.

    Args:
      layer: a cell, a causal ``Stack`` or an ``AttentionDecoder``.
      params: the layer's params.
      embedding: ``[V_in, D]``, row ``i`` the input vector of token ``i``.
      readout: ``{"w": [O, V], "b": [V]}`` (or a ``ReadoutParams``), the output projection.

    Returns:
      ``step_fn(carry, tokens [N]) -> (carry, logits [N, V])`` with
      ``logits = layer.step(params, carry, embedding[tokens])[1] @ w + b``.
    """
    if not getattr(layer, "causal", False) or not hasattr(layer, "step"):
        raise TypeError(f"layer: expected a layer with a step, got {type(layer).__name__}")
    if not hasattr(embedding, "ndim") or embedding.ndim != 2:
        raise ValueError(
            f"embedding: expected an array [V, D], got {getattr(embedding, 'shape', embedding)}"
        )
    w, b = (readout["w"], readout["b"]) if isinstance(readout, dict) else (readout.w, readout.b)

    def step_fn(carry, tokens):
        carry, y = layer.step(params, carry, embedding[tokens])
        return carry, y @ w + b

    return step_fn


def _check_ids(eos_id, pad_id) -> tuple[int | None, int]:
    if eos_id is not None:
        if isinstance(eos_id, bool) or not isinstance(eos_id, int) or eos_id < 0:
            raise ValueError(f"eos_id: expected None or a token id >= 0, got {eos_id!r}")
    if isinstance(pad_id, bool) or not isinstance(pad_id, int):
        raise TypeError(f"pad_id: expected an int, got {pad_id!r}")
    return eos_id, pad_id


def _decode(step_fn, carry, start_tokens, max_len, eos_id, pad_id, choose, key):
    """The loop shared by greedy and sampling: ``choose(logits, key) -> tokens``."""
    check_int_array(start_tokens, "start_tokens", "[B]")
    max_len = check_positive_int(max_len, "max_len")
    eos_id, pad_id = _check_ids(eos_id, pad_id)
    B = start_tokens.shape[0]
    keys = jax.random.split(key, max_len) if key is not None else jnp.zeros((max_len,))

    def body(state, k):
        carry, prev, finished, score, length = state
        carry, logits = step_fn(carry, prev)
        logp = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
        tok = choose(logits, k)
        out = jnp.where(finished, pad_id, tok)
        score = score + jnp.where(finished, 0.0, jnp.take_along_axis(logp, tok[:, None], 1)[:, 0])
        length = length + (~finished).astype(length.dtype)
        if eos_id is not None:
            finished = finished | (tok == eos_id)
        return (carry, tok, finished, score, length), out

    init = (carry, start_tokens, jnp.zeros((B,), bool), jnp.zeros((B,)), jnp.zeros((B,), jnp.int32))
    (_, _, _, score, length), seqs = jax.lax.scan(body, init, keys)
    return DecodeResult(jnp.moveaxis(seqs, 0, 1), score, length)


def greedy_decode(
    step_fn: Callable,
    carry,
    start_tokens: jax.Array,
    *,
    max_len: int,
    eos_id: int | None = None,
    pad_id: int = 0,
) -> DecodeResult:
    """The most probable token at every step: ``y_t = argmax_v logits_t[v]``.

    Args:
      step_fn: ``(carry, tokens [B]) -> (carry, logits [B, V])`` (``token_step``).
      carry: the decoder's first carry, leaves ``[B, ...]``.
      start_tokens: ``[B]`` int, the first input (e.g. BOS).
      max_len: the number of steps.
      eos_id: the end-of-sequence token, or None (always ``max_len`` tokens).
      pad_id: written after each EOS.

    Returns:
      A ``DecodeResult``.
    """
    return _decode(
        step_fn,
        carry,
        start_tokens,
        max_len,
        eos_id,
        pad_id,
        lambda logits, _: jnp.argmax(logits, axis=-1).astype(start_tokens.dtype),
        None,
    )


def sample_decode(
    step_fn: Callable,
    carry,
    start_tokens: jax.Array,
    key: jax.Array,
    *,
    max_len: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    eos_id: int | None = None,
    pad_id: int = 0,
) -> DecodeResult:
    """Ancestral sampling: ``y_t ~ softmax(logits_t / temperature)``, optionally top-k.

    With ``top_k = k`` only the ``k`` most probable tokens can be drawn (the
    others' logits set to ``-inf``). Scores are the model's untempered
    log-probabilities. Arguments as ``greedy_decode``, plus:

    Args:
      key: PRNG key, split once per step.
      temperature: ``> 0``; lower is greedier.
      top_k: None or a positive int.

    Returns:
      A ``DecodeResult``: ``sequences [B, max_len]``, ``scores [B]``, ``lengths [B]``.
    """
    check_key(key)
    temperature = check_real(temperature, "temperature")
    if temperature <= 0:
        raise ValueError(f"temperature: expected a positive number, got {temperature}")
    if top_k is not None:
        top_k = check_positive_int(top_k, "top_k")

    def choose(logits, k):
        logits = logits.astype(jnp.float32) / temperature
        if top_k is not None and top_k < logits.shape[-1]:
            kth = jax.lax.top_k(logits, top_k)[0][..., -1:]
            logits = jnp.where(logits >= kth, logits, -jnp.inf)
        return jax.random.categorical(k, logits, axis=-1).astype(start_tokens.dtype)

    return _decode(step_fn, carry, start_tokens, max_len, eos_id, pad_id, choose, key)


def length_penalty(lengths: jax.Array, alpha: float) -> jax.Array:
    """GNMT's ``lp(Y) = ((5 + |Y|) / 6) ** alpha`` (Wu et al. 2016, eq. 14).

    ``lengths`` of any shape (``[B, K]`` in ``beam_search``) -> float32 of that shape.
    """
    return ((5.0 + lengths.astype(jnp.float32)) / 6.0) ** alpha


def beam_search(
    step_fn: Callable,
    carry,
    start_tokens: jax.Array,
    *,
    max_len: int,
    beam_size: int,
    eos_id: int | None = None,
    pad_id: int = 0,
    alpha: float = 0.0,
) -> BeamSearchResult:
    """Batched beam search (module docstring), jit-able.

    Args:
      step_fn: ``(carry, tokens [N]) -> (carry, logits [N, V])`` (``token_step``).
      carry: the decoder's first carry, leaves ``[B, ...]``; tiled to ``[B * K, ...]``.
      start_tokens: ``[B]`` int, the first input (e.g. BOS).
      max_len: the most tokens a hypothesis has.
      beam_size: ``K``.
      eos_id: the end-of-sequence token, or None (every hypothesis has ``max_len`` tokens).
      pad_id: written after each EOS.
      alpha: GNMT's length-normalisation exponent, ``>= 0``.

    Returns:
      A ``BeamSearchResult``, beams sorted by score, best first.
    """
    check_int_array(start_tokens, "start_tokens", "[B]")
    max_len = check_positive_int(max_len, "max_len")
    K = check_positive_int(beam_size, "beam_size")
    eos_id, pad_id = _check_ids(eos_id, pad_id)
    alpha = check_real(alpha, "alpha")
    if alpha < 0:
        raise ValueError(f"alpha: expected a number >= 0, got {alpha}")
    B = start_tokens.shape[0]
    beams = jax.tree.map(lambda x: jnp.repeat(x, K, axis=0), carry)
    neg_inf = jnp.float32(-jnp.inf)

    def cond(state):
        t, finished = state[0], state[4]
        return (t < max_len) & ~jnp.all(finished)

    def body(state):
        t, beams, prev, log_probs, finished, lengths, seqs = state
        beams_new, logits = step_fn(beams, prev.reshape(B * K))
        logp = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
        V = logp.shape[-1]
        logp = logp.reshape(B, K, V)
        # A finished beam extends only by EOS (any fixed token), with log-prob 0.
        keep = jnp.where(jnp.arange(V) == (0 if eos_id is None else eos_id), 0.0, neg_inf)
        logp = jnp.where(finished[..., None], keep, logp)
        cand = log_probs[..., None] + logp  # [B, K, V]
        cand_len = jnp.where(finished, lengths, t + 1)[..., None]
        ranked = cand / length_penalty(cand_len, alpha)
        _, idx = jax.lax.top_k(ranked.reshape(B, K * V), K)  # [B, K]
        src, tok = idx // V, (idx % V).astype(prev.dtype)
        was_finished = jnp.take_along_axis(finished, src, axis=1)
        log_probs = jnp.take_along_axis(cand.reshape(B, K * V), idx, axis=1)
        lengths = jnp.where(was_finished, jnp.take_along_axis(lengths, src, axis=1), t + 1)
        finished = was_finished if eos_id is None else was_finished | (tok == eos_id)
        seqs = jnp.take_along_axis(seqs, src[..., None], axis=1)
        seqs = seqs.at[:, :, t].set(jnp.where(was_finished, pad_id, tok))
        beams_new = jax.tree.map(lambda x: _take_beams(x, src, B, K), beams_new)
        return t + 1, beams_new, tok, log_probs, finished, lengths, seqs

    first = jnp.where(jnp.arange(K) == 0, 0.0, neg_inf)
    state = (
        jnp.int32(0),
        beams,
        jnp.repeat(start_tokens[:, None], K, axis=1),
        jnp.broadcast_to(first, (B, K)),
        jnp.zeros((B, K), bool),
        jnp.zeros((B, K), jnp.int32),
        jnp.full((B, K, max_len), pad_id, start_tokens.dtype),
    )
    _, _, _, log_probs, _, lengths, seqs = jax.lax.while_loop(cond, body, state)
    scores = log_probs / length_penalty(lengths, alpha)
    order = jnp.argsort(-scores, axis=1, stable=True)
    take = lambda x: jnp.take_along_axis(x, order.reshape(order.shape + (1,) * (x.ndim - 2)), 1)
    return BeamSearchResult(take(seqs), take(scores), take(log_probs), take(lengths))


def _take_beams(x: jax.Array, src: jax.Array, B: int, K: int) -> jax.Array:
    """Reorders the beams of a carry leaf ``x [B * K, ...]`` by ``src [B, K]``."""
    y = x.reshape((B, K) + x.shape[1:])
    y = jnp.take_along_axis(y, src.reshape((B, K) + (1,) * (y.ndim - 2)), axis=1)
    return y.reshape(x.shape)
