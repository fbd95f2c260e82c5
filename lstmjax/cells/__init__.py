"""Recurrent cells as pure functions: LSTM, GRU and the plain tanh RNN."""

from lstmjax.cells.base import Cell, LayerNormParams
from lstmjax.cells.gru import GRUParams, gru
from lstmjax.cells.lstm import LSTMLayerNorm, LSTMParams, LSTMState, lstm
from lstmjax.cells.simple_rnn import SimpleRNNParams, simple_rnn

__all__ = [
    "Cell",
    "GRUParams",
    "LSTMLayerNorm",
    "LSTMParams",
    "LSTMState",
    "LayerNormParams",
    "SimpleRNNParams",
    "gru",
    "lstm",
    "simple_rnn",
]
