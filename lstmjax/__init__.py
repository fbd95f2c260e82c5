"""lstmjax: recurrent networks as pure JAX functions, LSTM first.

The public API, re-exported:

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> cell = lj.lstm(hidden_size=8)
>>> params = cell.init(jax.random.key(0), input_size=3)
>>> xs = jnp.ones((2, 5, 3))                     # [B, T, D]
>>> lengths = jnp.array([5, 2])                  # [B]
>>> ys, final = lj.rnn(cell, params, xs, lengths=lengths)
>>> ys.shape                                     # [B, T, H]
(2, 5, 8)
>>> final.h.shape, final.c.shape                 # each [B, H]
((2, 8), (2, 8))
>>> bool(jnp.all(ys[1, 2:] == 0))                # zeros past a sequence's length
True

Every layer (a cell, ``lj.bidirectional(cell)``, ``lj.stack([...])``) follows
one protocol: ``init(key, input_size)``, ``apply(params, xs, *, lengths,
initial_carry, ...) -> (ys, final)``, ``initial_carry(batch_shape)`` and, for
cells and unidirectional stacks, ``step(params, carry, x_t)``. New cells are
built with ``lj.make_cell`` (``lstmjax.cells.base`` documents the protocol).

Sequence to sequence (``lstmjax.seq2seq``): ``lj.attention_decoder`` wraps a
causal layer into a Bahdanau/Luong attention decoder, ``lj.encoder_decoder``
trains one with teacher forcing, and ``lj.greedy_decode``,
``lj.sample_decode`` and ``lj.beam_search`` decode from any token step
(``lj.token_step``). CTC loss, decoding and error rates: ``lstmjax.ctc``.
"""

from lstmjax import ctc, init, seq2seq
from lstmjax._bidirectional import Bidirectional, bidirectional
from lstmjax._rnn import rnn
from lstmjax._stack import Stack, stack
from lstmjax.carries import broadcast_carry, learned_initial_carry, reset_carry
from lstmjax.cells import (
    Cell,
    ConvGRUConfig,
    ConvLSTMConfig,
    ConvParams,
    Fused,
    GRUConfig,
    GRUParams,
    LayerNormParams,
    LSTMConfig,
    LSTMLayerNorm,
    LSTMParams,
    LSTMState,
    SimpleRNNConfig,
    SimpleRNNParams,
    conv_gru,
    conv_lstm,
    gru,
    lstm,
    make_cell,
    simple_rnn,
)
from lstmjax.checked_mode import checked
from lstmjax.kernels.tuning import compiler_options
from lstmjax.masking import last_valid, length_mask, reverse_in_length
from lstmjax.regularizers import Regularized, regularize
from lstmjax.seq2seq import (
    attention_decoder,
    beam_search,
    encoder_decoder,
    greedy_decode,
    sample_decode,
    token_step,
)
from lstmjax.tbptt import truncated_bptt

__version__ = "0.1.0"

__all__ = [
    "Bidirectional",
    "Cell",
    "ConvGRUConfig",
    "ConvLSTMConfig",
    "ConvParams",
    "Fused",
    "GRUConfig",
    "GRUParams",
    "LSTMConfig",
    "LSTMLayerNorm",
    "LSTMParams",
    "LSTMState",
    "LayerNormParams",
    "Regularized",
    "SimpleRNNConfig",
    "SimpleRNNParams",
    "Stack",
    "attention_decoder",
    "beam_search",
    "bidirectional",
    "broadcast_carry",
    "checked",
    "compiler_options",
    "conv_gru",
    "conv_lstm",
    "ctc",
    "encoder_decoder",
    "greedy_decode",
    "gru",
    "init",
    "last_valid",
    "learned_initial_carry",
    "length_mask",
    "lstm",
    "make_cell",
    "regularize",
    "reset_carry",
    "reverse_in_length",
    "rnn",
    "sample_decode",
    "seq2seq",
    "simple_rnn",
    "stack",
    "truncated_bptt",
    "token_step",
]
