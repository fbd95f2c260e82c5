"""Interop: Flax modules and weight converters for PyTorch, Keras and Flax.

- ``lstmjax.interop.flax_modules``: ``LinenRNN`` and ``NNXRNN``, Flax modules
  that own an lstmjax layer's params and call its pure function.
- ``lstmjax.interop.flax_params``: Flax's ``LSTMCell`` / ``OptimizedLSTMCell``
  / ``GRUCell`` parameter layouts (linen and nnx) to lstmjax params and back.
- ``lstmjax.interop.keras``: Keras 3 ``LSTM`` / ``GRU`` / ``SimpleRNN`` /
  ``Bidirectional`` weights to lstmjax and back (Keras is not imported).
- ``lstmjax.interop.torch``: ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` state_dicts
  to lstmjax params and back (NumPy only; PyTorch is not imported).
"""

from lstmjax.interop import flax_modules, flax_params, keras, torch

__all__ = ["flax_modules", "flax_params", "keras", "torch"]
