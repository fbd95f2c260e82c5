r"""An attentional encoder-decoder over token ids, trained with teacher forcing.

For a source ``x [B, S]`` (lengths ``S_b``) and a target ``y [B, T]`` (lengths ``T_b``)::

    m, _     = encoder.apply(p_enc, E_src[x], lengths=S_b)          # memory [B, S, E]
    carry    = decoder.attention_carry(p_dec, m, S_b)
    y_in     = [bos, y_0, ..., y_{T-2}]                             # teacher forcing
    h, _     = decoder.apply(p_dec, E_tgt[y_in], initial_carry=carry)
    logits   = h W + b                                             # [B, T, V_tgt]
    loss     = -(1 / sum_b T_b) sum_b sum_{t < T_b} log softmax(logits_{b,t})[y_{b,t}]

The encoder is any layer (e.g. ``lj.bidirectional(lj.lstm(H))``); the decoder
is an ``AttentionDecoder`` whose ``memory_size`` is the encoder's output
size. For inference ``encode`` gives the first carry and ``token_step`` the
step the decoding functions drive:

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> encoder = lj.bidirectional(lj.lstm(8))                          # E = 16
>>> decoder = lj.attention_decoder(lj.lstm(8), memory_size=16)
>>> model = lj.encoder_decoder(encoder, decoder, src_vocab=10, tgt_vocab=12,
...                            embed_size=4, bos_id=1)
>>> params = model.init(jax.random.key(0))
>>> src, src_lengths = jnp.array([[3, 4, 5, 0], [6, 7, 0, 0]]), jnp.array([3, 2])
>>> tgt, tgt_lengths = jnp.array([[4, 5, 2], [7, 2, 0]]), jnp.array([3, 2])
>>> loss = jax.jit(model.loss)(params, src, src_lengths, tgt, tgt_lengths)
>>> loss.shape                                                      # the training loss
()
>>> carry = model.encode(params, src, src_lengths)
>>> out = lj.beam_search(model.token_step(params), carry, jnp.full((2,), model.bos_id),
...                      max_len=6, beam_size=3, eos_id=2)
>>> out.sequences.shape                                             # [B, K, max_len]
(2, 3, 6)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lstmjax.cells.base import check_positive_int
from lstmjax.masking import length_mask
from lstmjax.models.readout import linear_readout
from lstmjax.seq2seq.attention import AttentionDecoder
from lstmjax.seq2seq.decoding import token_step
from lstmjax.validation import check_int_array, check_key, check_layer


class EncoderDecoder(NamedTuple):
    """Built by ``encoder_decoder``.

    Params: ``{"src_embed", "tgt_embed", "encoder", "decoder", "out"}``.
    """

    encoder: Any
    decoder: AttentionDecoder
    src_vocab: int
    tgt_vocab: int
    embed_size: int
    bos_id: int

    def init(self, key: jax.Array):
        """Embeddings ``N(0, 1/E)`` ``[V, E]``, the layers' params and the output projection."""
        k1, k2, k3, k4, k5 = jax.random.split(check_key(key), 5)
        scale = self.embed_size**-0.5
        return {
            "src_embed": scale * jax.random.normal(k1, (self.src_vocab, self.embed_size)),
            "tgt_embed": scale * jax.random.normal(k2, (self.tgt_vocab, self.embed_size)),
            "encoder": self.encoder.init(k3, self.embed_size),
            "decoder": self.decoder.init(k4, self.embed_size),
            "out": linear_readout(self.tgt_vocab).init(k5, self.decoder.output_size),
        }

    def encode(self, params, src: jax.Array, src_lengths: jax.Array | None = None):
        """``src [B, S]`` ids -> the decoder's first carry (an ``AttentionCarry``)."""
        check_int_array(src, "src", "[B, S]")
        memory, _ = self.encoder.apply(
            params["encoder"], params["src_embed"][src], lengths=src_lengths
        )
        return self.decoder.attention_carry(params["decoder"], memory, src_lengths)

    def logits(self, params, src, src_lengths, tgt_in: jax.Array, tgt_lengths=None):
        """Teacher forcing: decoder inputs ``tgt_in [B, T]`` -> ``logits [B, T, V]``."""
        check_int_array(tgt_in, "tgt_in", "[B, T]")
        carry = self.encode(params, src, src_lengths)
        hs, _ = self.decoder.apply(
            params["decoder"], params["tgt_embed"][tgt_in], initial_carry=carry, lengths=tgt_lengths
        )
        return hs @ params["out"].w + params["out"].b

    def loss(self, params, src, src_lengths, tgt: jax.Array, tgt_lengths: jax.Array):
        """Mean cross-entropy per valid target token (module docstring); ``tgt [B, T]``."""
        check_int_array(tgt, "tgt", "[B, T]")
        bos = jnp.full(tgt.shape[:1] + (1,), self.bos_id, tgt.dtype)
        tgt_in = jnp.concatenate([bos, tgt[:, :-1]], axis=1)
        logits = self.logits(params, src, src_lengths, tgt_in, tgt_lengths)
        ce = optax.softmax_cross_entropy_with_integer_labels(logits, tgt)
        mask = length_mask(tgt_lengths, tgt.shape[1]).T
        return jnp.sum(jnp.where(mask, ce, 0.0)) / jnp.maximum(jnp.sum(mask), 1)

    def token_step(self, params):
        """``step_fn(carry, tokens [N]) -> (carry, logits [N, V])`` for the decoding functions."""
        return token_step(self.decoder, params["decoder"], params["tgt_embed"], params["out"])


def encoder_decoder(
    encoder,
    decoder: AttentionDecoder,
    *,
    src_vocab: int,
    tgt_vocab: int,
    embed_size: int,
    bos_id: int,
) -> EncoderDecoder:
    """Builds an attentional encoder-decoder (module docstring).

    Args:
      encoder: any layer reading ``[B, S, embed_size]``.
      decoder: an ``AttentionDecoder`` with ``memory_size == encoder.output_size``.
      src_vocab, tgt_vocab: the vocabulary sizes.
      embed_size: the width of both embeddings.
      bos_id: the target token the decoder reads first.
    """
    check_layer(encoder, "encoder")
    if not isinstance(decoder, AttentionDecoder):
        raise TypeError(f"decoder: expected an AttentionDecoder, got {type(decoder).__name__}")
    if decoder.memory_size != encoder.output_size:
        raise ValueError(
            f"decoder: expected memory_size {encoder.output_size} (the encoder's output size), "
            f"got {decoder.memory_size}"
        )
    src_vocab = check_positive_int(src_vocab, "src_vocab")
    tgt_vocab = check_positive_int(tgt_vocab, "tgt_vocab")
    embed_size = check_positive_int(embed_size, "embed_size")
    if isinstance(bos_id, bool) or not isinstance(bos_id, int) or not 0 <= bos_id < tgt_vocab:
        raise ValueError(f"bos_id: expected a token id in [0, {tgt_vocab}), got {bos_id!r}")
    return EncoderDecoder(encoder, decoder, src_vocab, tgt_vocab, embed_size, bos_id)
