"""Errors over many series, relative to a reference forecaster (M4's OWA style).

Method ``A`` and the reference ``R`` (here seasonal naive) are scored on the
same items ``i = 1 .. n`` (series x origins) with MASE ``a_i``, ``r_i`` and
sMAPE ``a'_i``, ``r'_i``. As in the M4 competition (with seasonal naive in
place of Naive2), the relative errors are ratios of arithmetic means::

    rel_MASE  = mean_i a_i  / mean_i r_i
    rel_sMAPE = mean_i a'_i / mean_i r'_i
    OWA       = (rel_MASE + rel_sMAPE) / 2

below 1 beats the reference. Because a few series with large errors can
dominate a ratio of means, the geometric mean of per-series ratios is given
too, with ``A_s``, ``R_s`` series ``s``'s mean MASE over its ``S`` origins::

    geo_rel_MASE = exp( (1 / n_series) sum_s log(A_s / R_s) )
"""

from __future__ import annotations

import numpy as np


def owa(mase, smape, ref_mase, ref_smape) -> dict:
    """``{"rel_mase", "rel_smape", "owa"}`` from arrays of item errors ``[n]``."""
    rel_mase = float(np.mean(mase) / np.mean(ref_mase))
    rel_smape = float(np.mean(smape) / np.mean(ref_smape))
    return {"rel_mase": rel_mase, "rel_smape": rel_smape, "owa": (rel_mase + rel_smape) / 2}


def geometric_relative(errors, ref_errors) -> float:
    """``geo_rel`` of the module doc for ``[n_series, n_origins]`` errors."""
    errors, ref_errors = np.asarray(errors, np.float64), np.asarray(ref_errors, np.float64)
    if errors.shape != ref_errors.shape or errors.ndim != 2:
        raise ValueError(f"errors: expected equal [series, origins] shapes, got {errors.shape}")
    return float(np.exp(np.mean(np.log(errors.mean(axis=1) / ref_errors.mean(axis=1)))))
