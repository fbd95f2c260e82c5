"""Recurrent cells as pure functions: LSTM, GRU, the plain tanh RNN, and your own."""

from lstmjax.cells.base import Cell, Fused, LayerNormParams, make_cell
from lstmjax.cells.gru import GRUConfig, GRUParams, gru
from lstmjax.cells.lstm import LSTMConfig, LSTMLayerNorm, LSTMParams, LSTMState, lstm
from lstmjax.cells.simple_rnn import SimpleRNNConfig, SimpleRNNParams, simple_rnn

__all__ = [
    "Cell",
    "Fused",
    "GRUConfig",
    "GRUParams",
    "LSTMConfig",
    "LSTMLayerNorm",
    "LSTMParams",
    "LSTMState",
    "LayerNormParams",
    "SimpleRNNConfig",
    "SimpleRNNParams",
    "gru",
    "lstm",
    "make_cell",
    "simple_rnn",
]
