"""The Diebold-Mariano test with the Harvey-Leybourne-Newbold small-sample correction.

Two forecasters make ``h``-step forecasts of the same ``n`` targets, with
losses ``L_A,t`` and ``L_B,t`` (e.g. squared or absolute errors). With the
loss differential ``d_t = L_A,t - L_B,t`` and its mean ``d_bar``::

    gamma_k = (1/n) sum_(t = k+1 .. n) (d_t - d_bar)(d_(t-k) - d_bar)
    V       = (gamma_0 + 2 sum_(k = 1 .. h-1) gamma_k) / n      (h-step forecasts
                                                                are (h-1)-dependent)
    DM      = d_bar / sqrt(V)
    DM*     = DM * sqrt((n + 1 - 2h + h(h - 1)/n) / n)           (Harvey et al., 1997)

and the two-sided p-value compares ``DM*`` with Student's t on ``n - 1``
degrees of freedom. Negative ``DM*`` means A's loss is lower. For ``h = 1``,
``DM*`` is exactly the one-sample t statistic of ``d``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats


class DieboldMariano(NamedTuple):
    """``mean_difference`` (d_bar), ``statistic`` (DM*), two-sided ``pvalue``."""

    mean_difference: float
    statistic: float
    pvalue: float


def diebold_mariano(loss_a, loss_b, horizon: int = 1) -> DieboldMariano:
    """The corrected DM test of equal expected loss, ``loss_a [n]`` vs ``loss_b [n]``."""
    d = np.asarray(loss_a, dtype=np.float64) - np.asarray(loss_b, dtype=np.float64)
    n = d.size
    if d.ndim != 1 or n < 2:
        raise ValueError(f"loss_a, loss_b: expected equal 1-d shapes of >= 2 losses, got {n}")
    if not 1 <= horizon < n:
        raise ValueError(f"horizon: expected 1 <= horizon < {n}, got {horizon}")
    centred = d - d.mean()
    gammas = [np.dot(centred[k:], centred[: n - k]) / n for k in range(horizon)]
    variance = (gammas[0] + 2 * math.fsum(gammas[1:])) / n
    if variance <= 0:
        raise ValueError(
            "loss differential: its long-run variance estimate is not positive "
            f"({variance:.3g}); the test is undefined"
        )
    dm = d.mean() / math.sqrt(variance)
    corrected = dm * math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    return DieboldMariano(float(d.mean()), corrected, float(2 * stats.t.sf(abs(corrected), n - 1)))
