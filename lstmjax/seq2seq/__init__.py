"""Sequence to sequence: attention decoders, an encoder-decoder, greedy/sampled/beam decoding.

- ``attention``: ``attention_decoder`` wraps any causal layer into a decoder
  attending over an encoder's memory (Bahdanau additive; Luong general/dot
  with input feeding); the memory lives in the carry (``attention_carry``).
- ``model``: ``encoder_decoder``, teacher-forced training and a token step.
- ``decoding``: ``greedy_decode``, ``sample_decode`` (temperature, top-k) and
  batched ``beam_search`` (GNMT length normalisation) for any token step.
"""

from lstmjax.seq2seq.attention import (
    AttentionCarry,
    AttentionDecoder,
    attention_decoder,
    masked_softmax,
)
from lstmjax.seq2seq.decoding import (
    BeamSearchResult,
    DecodeResult,
    beam_search,
    greedy_decode,
    length_penalty,
    sample_decode,
    token_step,
)
from lstmjax.seq2seq.model import EncoderDecoder, encoder_decoder

__all__ = [
    "AttentionCarry",
    "AttentionDecoder",
    "BeamSearchResult",
    "DecodeResult",
    "EncoderDecoder",
    "attention_decoder",
    "beam_search",
    "encoder_decoder",
    "greedy_decode",
    "length_penalty",
    "masked_softmax",
    "sample_decode",
    "token_step",
]
