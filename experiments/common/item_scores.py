"""Per-item scores in a results file: one line of text instead of a list.

A paired test between two systems needs each one's score on every test item
(a sequence, an utterance), in the same order. A results file keeps them as
one string of numbers separated by spaces, each to ``digits`` significant
digits, so that thousands of items take one line of the indented JSON::

    pack([0.00123456, 1.0, 0.0]) == "0.001235 1 0"
    unpack("0.001235 1 0")        -> array([0.001235, 1., 0.])
"""

from __future__ import annotations

import numpy as np


def pack(values, digits: int = 4) -> str:
    """``values [n]`` as ``n`` numbers of ``digits`` significant digits, space-separated."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"values: expected a 1-d sequence, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("values: expected finite numbers, got NaN or infinity")
    return " ".join(f"{x:.{digits}g}" for x in array.tolist())


def unpack(text: str) -> np.ndarray:
    """The ``[n]`` float64 array that ``pack`` wrote as ``text``."""
    if not isinstance(text, str):
        raise TypeError(f"text: expected the str that pack wrote, got {type(text).__name__}")
    return np.asarray(text.split(), dtype=np.float64)
