"""Recurrent cells as pure functions: LSTM, GRU, the plain tanh RNN, ConvLSTM/ConvGRU, your own."""

from lstmjax.cells.base import Cell, Fused, LayerNormParams, make_cell
from lstmjax.cells.conv import ConvGRUConfig, ConvLSTMConfig, ConvParams, conv_gru, conv_lstm
from lstmjax.cells.gru import GRUConfig, GRUParams, gru
from lstmjax.cells.lstm import LSTMConfig, LSTMLayerNorm, LSTMParams, LSTMState, lstm
from lstmjax.cells.simple_rnn import SimpleRNNConfig, SimpleRNNParams, simple_rnn

__all__ = [
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
    "SimpleRNNConfig",
    "SimpleRNNParams",
    "conv_gru",
    "conv_lstm",
    "gru",
    "lstm",
    "make_cell",
    "simple_rnn",
]
