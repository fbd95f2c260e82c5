"""A metric over seeds: mean and sample standard deviation.

For values ``x_1 .. x_n`` (one per seed)::

    mean = sum_i x_i / n
    std  = sqrt(sum_i (x_i - mean)^2 / (n - 1))      (ddof = 1; none when n = 1)

Reported as ``mean ± std (n=n)``, or ``mean (n=1)`` for a single seed, where
no spread can be estimated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean_std(values: Sequence[float]) -> tuple[float, float | None]:
    """``(mean, sample std)`` of ``values``; the std is None for a single value."""
    n = len(values)
    if n == 0:
        raise ValueError("values: expected at least one value, got none")
    mean = math.fsum(values) / n
    if n == 1:
        return mean, None
    return mean, math.sqrt(math.fsum((x - mean) ** 2 for x in values) / (n - 1))


def summarise(rows: Sequence[dict], keys: Sequence[str], *, prefix: str = "") -> dict:
    """``{prefix + key + "_mean": .., prefix + key + "_std": ..}`` for each ``key``.

    ``rows`` holds one dict per seed; ``_std`` is None (JSON null) when there is one row.
    """
    out = {}
    for key in keys:
        mean, std = mean_std([float(row[key]) for row in rows])
        out[f"{prefix}{key}_mean"], out[f"{prefix}{key}_std"] = mean, std
    return out


def format_mean_std(values: Sequence[float], digits: int = 3) -> str:
    """``"0.977 ± 0.006 (n=3)"``, or ``"0.977 (n=1)"`` for one value."""
    mean, std = mean_std(values)
    spread = "" if std is None else f" \u00b1 {std:.{digits}f}"
    return f"{mean:.{digits}f}{spread} (n={len(values)})"
