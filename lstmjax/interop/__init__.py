"""Interop: Flax modules and weight converters for PyTorch, Keras and Flax.

- ``lstmjax.interop.torch``: ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` state_dicts
  to lstmjax params and back (NumPy only; PyTorch is not imported).
"""

from lstmjax.interop import torch

__all__ = ["torch"]
