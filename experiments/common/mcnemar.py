"""McNemar's test: do two classifiers err on the same items at the same rate?

Both classifiers judge the same ``n`` items. Only the items where they
disagree carry information::

    b = #{i : A right, B wrong}        c = #{i : A wrong, B right}

Under the null hypothesis (equal error rates) each disagreement goes either
way with probability 1/2, so ``b ~ Binomial(b + c, 1/2)``.

- exact (used when ``b + c < 25``): the two-sided binomial p-value
  ``p = min(1, 2 * P(X <= min(b, c)))``, ``X ~ Binomial(b + c, 1/2)``, i.e.
  ``2 * sum_(k <= min(b, c)) C(b + c, k) / 2^(b + c)``;
- otherwise the chi-square statistic with continuity correction
  ``chi2 = (|b - c| - 1)^2 / (b + c)`` on 1 degree of freedom, whose upper tail
  is ``p = erfc(sqrt(chi2 / 2))``.

No disagreement at all (``b + c = 0``) gives ``p = 1``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

EXACT_BELOW = 25


class McNemar(NamedTuple):
    """``b``, ``c``: the discordant counts; ``exact``: which p-value; ``pvalue``: two-sided."""

    b: int
    c: int
    exact: bool
    pvalue: float


def mcnemar(a_correct, b_correct, *, exact: bool | None = None) -> McNemar:
    """McNemar's test on paired boolean outcomes ``a_correct [n]``, ``b_correct [n]``.

    Args:
      a_correct, b_correct: whether classifier A (B) got item ``i`` right.
      exact: force the exact binomial (True) or chi-square (False) p-value;
        None picks exact when ``b + c < 25``.
    """
    a = np.asarray(a_correct, dtype=bool)
    b_ok = np.asarray(b_correct, dtype=bool)
    if a.shape != b_ok.shape or a.ndim != 1:
        raise ValueError(
            f"a_correct, b_correct: expected equal 1-d shapes, got {a.shape}, {b_ok.shape}"
        )
    b, c = int(np.sum(a & ~b_ok)), int(np.sum(~a & b_ok))
    n = b + c
    if exact is None:
        exact = n < EXACT_BELOW
    if n == 0:
        return McNemar(b, c, exact, 1.0)
    if exact:
        tail = math.fsum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n
        return McNemar(b, c, True, min(1.0, 2 * tail))
    chi2 = (abs(b - c) - 1) ** 2 / n
    return McNemar(b, c, False, math.erfc(math.sqrt(chi2 / 2)))
