"""A metric over seeds (or items): mean, sample standard deviation, t-interval.

For values ``x_1 .. x_n`` (one per seed)::

    mean = sum_i x_i / n
    std  = sqrt(sum_i (x_i - mean)^2 / (n - 1))      (ddof = 1; none when n = 1)

Reported as ``mean ± std (n=n)``, or ``mean (n=1)`` for a single seed, where
no spread can be estimated. The two-sided ``1 - alpha`` confidence interval
of the mean (Student's t, for values drawn independently from a normal)::

    mean ± t_(1 - alpha/2, n - 1) * std / sqrt(n)

where ``t_(q, n - 1)`` is the ``q`` quantile of the t distribution with
``n - 1`` degrees of freedom (12.71 for n = 2, 4.30 for n = 3 at 95%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats


def mean_std(values: Sequence[float]) -> tuple[float, float | None]:
    """``(mean, sample std)`` of ``values``; the std is None for a single value."""
    n = len(values)
    if n == 0:
        raise ValueError("values: expected at least one value, got none")
    mean = math.fsum(values) / n
    if n == 1:
        return mean, None
    return mean, math.sqrt(math.fsum((x - mean) ** 2 for x in values) / (n - 1))


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """``(low, high)``: the t confidence interval of the mean; None for a single value."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: expected 0 < confidence < 1, got {confidence}")
    mean, std = mean_std(values)
    if std is None:
        return None
    half = stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * std / math.sqrt(len(values))
    return mean - half, mean + half


def summarise(
    rows: Sequence[dict], keys: Sequence[str], *, prefix: str = "", ci: bool = False
) -> dict:
    """``{prefix + key + "_mean": .., prefix + key + "_std": ..}`` for each ``key``.

    ``rows`` holds one dict per seed; ``_std`` is None (JSON null) when there is one row.
    With ``ci=True`` each key also gets ``_ci95``: ``[low, high]`` from ``t_interval``
    (None for one row).
    """
    out = {}
    for key in keys:
        values = [float(row[key]) for row in rows]
        mean, std = mean_std(values)
        out[f"{prefix}{key}_mean"], out[f"{prefix}{key}_std"] = mean, std
        if ci:
            interval = t_interval(values)
            out[f"{prefix}{key}_ci95"] = None if interval is None else list(interval)
    return out


def format_mean_std(values: Sequence[float], digits: int = 3) -> str:
    """``"0.977 ± 0.006 (n=3)"``, or ``"0.977 (n=1)"`` for one value."""
    mean, std = mean_std(values)
    spread = "" if std is None else f" \u00b1 {std:.{digits}f}"
    return f"{mean:.{digits}f}{spread} (n={len(values)})"
