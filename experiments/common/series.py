"""Univariate time series that ship in packages, and forecasting windows.

- ``"sunspots"``: yearly mean sunspot numbers 1700-2008 (309 values), from
  statsmodels; seasonal period 11 (the solar cycle).
- ``"airline"``: monthly international airline passengers 1949-1960 (144
  values, Box & Jenkins), from aeon; seasonal period 12.

A forecast is judged on the last ``horizon`` values (the test tail); the model
only ever sees the values before them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from experiments.common.packages import import_data_module


class Series(NamedTuple):
    """A named univariate series ``values [N]`` with its seasonal ``period``."""

    name: str
    values: np.ndarray
    period: int


def _sunspots() -> np.ndarray:
    datasets = import_data_module("statsmodels.datasets", "statsmodels", "sunspots")
    return np.asarray(datasets.sunspots.load_pandas().data["SUNACTIVITY"], dtype=np.float64)


def _airline() -> np.ndarray:
    datasets = import_data_module("aeon.datasets", "aeon", "airline passengers")
    return np.asarray(datasets.load_airline(), dtype=np.float64)


SERIES = {"sunspots": (_sunspots, 11), "airline": (_airline, 12)}


def load_series(name: str) -> Series:
    """Loads one of ``SERIES`` by name."""
    if name not in SERIES:
        raise ValueError(f"name: expected one of {sorted(SERIES)}, got {name!r}")
    load, period = SERIES[name]
    return Series(name, load(), period)


def split_tail(values: np.ndarray, horizon: int):
    """``(history, tail)``: all but the last ``horizon`` values, and those values."""
    if not 0 < horizon < len(values):
        raise ValueError(
            f"horizon: expected 0 < horizon < series length {len(values)}, got {horizon}"
        )
    return values[:-horizon], values[-horizon:]


def windows(values: np.ndarray, context: int, horizon: int):
    """Every (context, next horizon) pair of a series, in time order.

    Args:
      values: ``[N]``.
      context: steps the model reads.
      horizon: steps it forecasts.

    Returns:
      ``(inputs [M, context], targets [M, horizon])`` with
      ``M = N - context - horizon + 1``; ``inputs[i] = values[i : i+context]``.
    """
    if context < 1 or horizon < 1:
        raise ValueError(f"context, horizon: expected >= 1, got {context}, {horizon}")
    count = len(values) - context - horizon + 1
    if count < 1:
        raise ValueError(
            f"values: a series of length {len(values)} has no window of context {context} "
            f"and horizon {horizon}"
        )
    index = np.arange(count)[:, None]
    return values[index + np.arange(context)], values[index + context + np.arange(horizon)]
