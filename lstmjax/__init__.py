"""lstmjax: recurrent networks as pure JAX functions, LSTM first.

The public API, re-exported::

    import jax, lstmjax as lj
    cell = lj.lstm(hidden_size=128)
    params = cell.init(jax.random.key(0), input_size=32)
    ys, final = lj.rnn(cell, params, xs, lengths=lengths)       # xs [B, T, 32]
"""

from lstmjax import init
from lstmjax.bidirectional import Bidirectional, bidirectional
from lstmjax.cells import (
    Cell,
    GRUParams,
    LayerNormParams,
    LSTMLayerNorm,
    LSTMParams,
    LSTMState,
    SimpleRNNParams,
    gru,
    lstm,
    simple_rnn,
)
from lstmjax.kernels.tuning import compiler_options
from lstmjax.masking import last_valid, length_mask, reverse_in_length
from lstmjax.rnn import rnn
from lstmjax.stack import Stack, stack

__version__ = "0.1.0"

__all__ = [
    "Bidirectional",
    "Cell",
    "GRUParams",
    "LSTMLayerNorm",
    "LSTMParams",
    "LSTMState",
    "LayerNormParams",
    "SimpleRNNParams",
    "Stack",
    "bidirectional",
    "compiler_options",
    "gru",
    "init",
    "last_valid",
    "length_mask",
    "lstm",
    "reverse_in_length",
    "rnn",
    "simple_rnn",
    "stack",
]
