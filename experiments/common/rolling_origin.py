"""Rolling forecast origins: inner validation origins, then test origins.

A series ``y_0 .. y_(N-1)`` is forecast ``h`` steps from origin ``o``: the
forecaster sees ``y_0 .. y_(o-1)`` and is scored on ``y_o .. y_(o+h-1)``.
With ``n_test`` test origins ``s`` steps apart, the last one ending the
series::

    test_k = N - h - (n_test - 1 - k) * s           k = 0 .. n_test - 1
    val_j  = test_0 - h - (n_val - 1 - j) * s        j = 0 .. n_val - 1

so every validation target (``val_j .. val_j + h - 1``) lies before the first
test origin: choices made on the validation origins never see a test value,
and a model fitted for origin ``o`` only ever sees ``y_(< o)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Origins(NamedTuple):
    """Increasing validation and test origins of one series (indices into it)."""

    validation: tuple
    test: tuple


def rolling_origins(length: int, horizon: int, step: int, n_test: int, n_val: int) -> Origins:
    """The origins of the module doc; raises when the first one leaves fewer than
    ``2 * horizon`` values of history."""
    if min(horizon, step, n_test) < 1 or n_val < 0:
        raise ValueError("horizon, step, n_test: expected >= 1; n_val >= 0")
    test = tuple(length - horizon - (n_test - 1 - k) * step for k in range(n_test))
    val = tuple(test[0] - horizon - (n_val - 1 - j) * step for j in range(n_val))
    first = (val or test)[0]
    if first < 2 * horizon:
        raise ValueError(
            f"length: {length} values leave {first} before the first origin; "
            f"expected >= {2 * horizon}"
        )
    return Origins(val, test)


def split_at(values: np.ndarray, origin: int, horizon: int):
    """``(history, target)``: ``values[:origin]`` and ``values[origin : origin + horizon]``."""
    if not 0 < origin <= len(values) - horizon:
        raise ValueError(f"origin: expected 0 < origin <= {len(values) - horizon}, got {origin}")
    return values[:origin], values[origin : origin + horizon]
