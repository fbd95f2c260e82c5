"""Scaling forecasting windows, relative to their last value or to the series.

A window's values ``v [C]`` and its future ``f [h]`` become, with
``z = log(v)`` when ``log`` (series with multiplicative growth) else ``v``:

- anchored (series with a trend)::

      x = (z - z[-1]) / s          y = (z_f - z[-1]) / s

  with ``s`` the standard deviation of the one-step changes of ``z`` over the
  training history, so the network sees shapes, not levels, and a level far
  above anything in training is still in range;
- not anchored (stationary series whose level matters, e.g. a cycle's peak)::

      x = (z - m) / s              y = (z_f - m) / s

  with ``m``, ``s`` the mean and standard deviation of ``z`` over the history.

``decode`` inverts either.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class WindowScaler(NamedTuple):
    """``log``: model log-values; ``anchored``: relative to each window's last value."""

    log: bool
    anchored: bool
    center: float
    scale: float


def fit_scaler(history: np.ndarray, *, log: bool, anchored: bool) -> WindowScaler:
    """The scaler for a training ``history [N]`` (positive when ``log``)."""
    history = np.asarray(history, dtype=np.float64)
    if log and np.any(history <= 0):
        raise ValueError("history: log scaling needs positive values")
    z = np.log(history) if log else history
    if anchored:
        return WindowScaler(log, True, 0.0, float(np.std(np.diff(z), ddof=0) + 1e-12))
    return WindowScaler(log, False, float(np.mean(z)), float(np.std(z, ddof=0) + 1e-12))


def _z(scaler: WindowScaler, values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.log(values) if scaler.log else values


def _anchor(scaler: WindowScaler, inputs) -> np.ndarray:
    return _z(scaler, inputs)[:, -1:] if scaler.anchored else np.full((1, 1), scaler.center)


def encode(scaler: WindowScaler, inputs: np.ndarray, targets: np.ndarray | None = None):
    """``inputs [B, C]`` (and ``targets [B, h]``) -> scaled float32 arrays."""
    anchor = _anchor(scaler, inputs)
    x = ((_z(scaler, inputs) - anchor) / scaler.scale).astype(np.float32)
    if targets is None:
        return x
    return x, ((_z(scaler, targets) - anchor) / scaler.scale).astype(np.float32)


def decode(scaler: WindowScaler, inputs: np.ndarray, scaled: np.ndarray) -> np.ndarray:
    """Scaled forecasts ``[B, h]`` for windows ``inputs [B, C]`` -> the series' units."""
    z = np.asarray(scaled, dtype=np.float64) * scaler.scale + _anchor(scaler, inputs)
    return np.exp(z) if scaler.log else z
