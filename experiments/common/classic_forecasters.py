"""Statistical baselines of the forecasting benchmark: ETS, Theta, (S)ARIMA.

Each works on ``z = log(y)`` when the whole series is positive (growth and
seasonal swings proportional to the level become additive) and on ``y``
otherwise, and maps forecasts back with ``exp``:

- ETS: Holt-Winters with additive trend (damped or not, whichever has the
  lower AIC) and, when the series is seasonal, additive season on ``z``
  (statsmodels ``ExponentialSmoothing``);
- Theta: statsmodels ``ThetaModel`` (Assimakopoulos & Nikolopoulos 2000; on
  ``y``, classical multiplicative deseasonalising when seasonal and positive);
- (S)ARIMA: ``SARIMAX`` on ``z`` with ``d = 1``, ``D = 1`` when seasonal, and
  ``(p, q, P, Q)`` chosen by AIC from a small grid once per series, on the
  history before its first test origin (``select_sarima``); non-seasonal series
  choose ``(p, q)`` in {0, 1, 2}^2 and a drift term. The selection fits the
  differenced series directly (statsmodels' ``simple_differencing``, faster;
  every candidate shares ``d`` and ``D``, so their AICs compare), the forecasts
  the full state-space model.

Seasonal means Hyndman's seasonal strength of an STL decomposition of ``z``
(trend ``T``, season ``S``, remainder ``R``)::

    F_s = max(0, 1 - var(R) / var(S + R))

above 0.64, the threshold R's ``forecast::nsdiffs`` uses for seasonal differencing.
"""

from __future__ import annotations

import itertools
import warnings
from typing import NamedTuple

import numpy as np

SEASONAL_THRESHOLD = 0.64


def _z(values: np.ndarray, log: bool) -> np.ndarray:
    return np.log(values) if log else np.asarray(values, np.float64)


def _back(z: np.ndarray, log: bool) -> np.ndarray:
    return np.exp(z) if log else np.asarray(z, np.float64)


def seasonal_strength(values: np.ndarray, period: int, log: bool) -> float:
    """``F_s`` of the module doc (robust STL)."""
    from statsmodels.tsa.seasonal import STL

    fit = STL(_z(values, log), period=period, robust=True).fit()
    return float(max(0.0, 1 - np.var(fit.resid) / np.var(fit.seasonal + fit.resid)))


def ets_forecast(history, horizon: int, period: int, seasonal: bool, log: bool) -> np.ndarray:
    """Holt-Winters (additive trend, damped by AIC; additive season) forecast of ``horizon``."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    z = _z(history, log)
    fits = []
    for damped in (False, True):
        model = ExponentialSmoothing(
            z,
            trend="add",
            damped_trend=damped,
            seasonal="add" if seasonal else None,
            seasonal_periods=period if seasonal else None,
            initialization_method="estimated",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.append(model.fit())
    best = min(fits, key=lambda fit: fit.aic)
    return _back(best.forecast(horizon), log)


def theta_forecast(history, horizon: int, period: int, seasonal: bool, log: bool) -> np.ndarray:
    """The Theta method's forecast of ``horizon`` (``log`` only picks the deseasonalising)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    model = ThetaModel(
        np.asarray(history, np.float64),
        period=period,
        deseasonalize=seasonal,
        use_test=False,
        method="multiplicative" if log else "additive",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(model.fit().forecast(horizon))


class SarimaSpec(NamedTuple):
    """A SARIMAX specification: ``order``, ``seasonal_order``, ``trend``."""

    order: tuple
    seasonal_order: tuple
    trend: str


def sarima_grid(period: int, seasonal: bool) -> list[SarimaSpec]:
    """The candidate specifications of the module doc."""
    if seasonal:
        return [
            SarimaSpec((p, 1, q), (sp, 1, sq, period), "n")
            for p, q, sp, sq in itertools.product((0, 1), repeat=4)
        ]
    return [
        SarimaSpec((p, 1, q), (0, 0, 0, 0), trend)
        for p, q, trend in itertools.product((0, 1, 2), (0, 1, 2), ("n", "t"))
    ]


def _fit(z: np.ndarray, spec: SarimaSpec, simple_differencing: bool = False):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(
        z,
        order=spec.order,
        seasonal_order=spec.seasonal_order,
        trend=spec.trend,
        simple_differencing=simple_differencing,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(disp=False, maxiter=100)


def select_sarima(history, period: int, seasonal: bool, log: bool) -> SarimaSpec:
    """The specification of ``sarima_grid`` with the lowest AIC on ``history``."""
    z = _z(history, log)
    aics = {}
    for spec in sarima_grid(period, seasonal):
        try:
            aic = _fit(z, spec, simple_differencing=True).aic
        except (np.linalg.LinAlgError, ValueError):
            continue
        if np.isfinite(aic):
            aics[spec] = aic
    return min(aics, key=aics.get)


def sarima_forecast(history, horizon: int, spec: SarimaSpec, log: bool) -> np.ndarray:
    """``spec`` refitted on ``history``; its forecast of ``horizon``."""
    return _back(_fit(_z(history, log), spec).forecast(horizon), log)
