"""Multi-step forecasters over a window of ``C`` scaled values ``x [B, C]``.

- direct: all ``horizon`` values at once from the last step, so errors do
  not compound through a recursion::

      ys    = encoder(x)                              [B, C, H]
      y_hat = ys[:, C - 1] W + b                      [B, horizon]

- recursive: trained to predict the next value at every step (teacher
  forcing, ``C`` targets per window instead of ``horizon``), then forecasts
  by feeding each prediction back as the next input, carrying the state::

      ys, carry = encoder(x)                          [B, C, H]
      x_(C+1) = ys[:, C - 1] W + b;   x_(C+k+1) = f(x_(C+k), carry)

Inputs and targets come scaled (the forecasting experiment scales them with
``experiments/common/window_scaling.py``).

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> from lstmjax.models.forecaster import forecaster, recursive_forecaster
>>> x = jnp.linspace(0.0, 1.0, 12).reshape(2, 6)                  # [B, C]
>>> direct = forecaster(lj.stack([lj.lstm(8)]), horizon=3)
>>> params = direct.init(jax.random.key(0))
>>> direct.forecast(params, x).shape                               # [B, horizon]
(2, 3)
>>> recursive = recursive_forecaster(lj.stack([lj.lstm(8)]), horizon=3)
>>> params = recursive.init(jax.random.key(0))
>>> recursive.apply(params, x).shape        # training output: the next value at each step [B, C]
(2, 6)
>>> recursive.forecast(params, x).shape                            # [B, horizon]
(2, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.models.readout import last_step_readout, per_step_readout
from lstmjax.validation import check_layer


class Forecaster(NamedTuple):
    """``init(key)``; ``apply(params, x [B, C], ...)``, the training output (direct:
    ``[B, horizon]``; recursive: ``[B, C]``, the next value at each step);
    ``forecast(params, x [B, C]) -> [B, horizon]``."""

    encoder: Any
    horizon: int
    init: Callable
    apply: Callable
    forecast: Callable


def forecaster(encoder: Any, horizon: int) -> Forecaster:
    """Builds a forecaster of ``horizon`` steps over a univariate ``encoder`` (input size 1)."""
    check_layer(encoder, "encoder")
    if horizon < 1:
        raise ValueError(f"horizon: expected >= 1, got {horizon}")
    readout = last_step_readout(horizon)

    def init(key: jax.Array):
        k_enc, k_out = jax.random.split(key)
        return {
            "encoder": encoder.init(k_enc, 1),
            "readout": readout.init(k_out, encoder.output_size),
        }

    def apply(params, x, *, train: bool = False, dropout_key=None):
        ys, _ = encoder.apply(params["encoder"], x[..., None], train=train, dropout_key=dropout_key)
        return readout.apply(params["readout"], ys)

    return Forecaster(encoder, horizon, init, apply, apply)


def recursive_forecaster(encoder: Any, horizon: int) -> Forecaster:
    """Builds a next-value model over ``encoder`` (input size 1) that forecasts recursively."""
    check_layer(encoder, "encoder")
    if horizon < 1:
        raise ValueError(f"horizon: expected >= 1, got {horizon}")
    readout = per_step_readout(1)

    def init(key: jax.Array):
        k_enc, k_out = jax.random.split(key)
        return {
            "encoder": encoder.init(k_enc, 1),
            "readout": readout.init(k_out, encoder.output_size),
        }

    def run(params, x, carry=None, *, train=False, dropout_key=None):
        ys, carry = encoder.apply(
            params["encoder"],
            x[..., None],
            initial_carry=carry,
            train=train,
            dropout_key=dropout_key,
        )
        return readout.apply(params["readout"], ys)[..., 0], carry

    def apply(params, x, *, train: bool = False, dropout_key=None):
        return run(params, x, train=train, dropout_key=dropout_key)[0]

    def forecast(params, x):
        preds, carry = run(params, x)

        def step(state, _):
            carry, last = state
            pred, carry = run(params, last[:, None], carry)
            return (carry, pred[:, 0]), pred[:, 0]

        first = preds[:, -1]
        _, rest = jax.lax.scan(step, (carry, first), None, length=horizon - 1)
        return jnp.concatenate([first[:, None], rest.T], axis=1)

    return Forecaster(encoder, horizon, init, apply, forecast)
