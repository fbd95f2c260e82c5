"""Series for anomaly detection that ship in aeon: labelled, and anomaly-free.

Each is a ``LabelledSeries``: ``values[:train_end]`` is normal (it trains and
validates a detector), and detectors are judged on ``values[test_start:]``
(``test_start >= train_end``; the steps between are a burn-in, unlabelled
and unjudged, where a new recording starts).

- ``load_kdd_tsad_135()``: KDD-TSAD 135 ("InternalBleeding16", UCR anomaly
  archive), REAL data with a real label: 7501 values, a 12-step anomaly
  (steps 4187-4198); the first 1200 steps are the archive's normal prefix.
- ``load_ecg_diff_count_3()``: "ecg-diff-count-3", a SYNTHETIC ECG made by
  the GutenTAG generator with three labelled 100-step anomalies in 10,000
  test values; its anomaly-free 10,000-value training recording comes first
  (``train_end = 10000``), then a burn-in of ``BURN_IN`` test steps (no
  anomaly lies there) so no detector's window spans the two recordings.
- ``load_daphnet_walk(channel)``: Daphnet S06R02E0, REAL accelerometer data of
  a walking subject (~64 Hz) with NO labelled anomaly (its shipped labels are
  all 0): steps 1600-6399 of one channel, where the subject walks (standing
  before and after); the first 2000 are the normal prefix. A base for
  ``injected_anomalies``.

These are the only labelled anomaly series that ship in the installed
packages (aeon 1.x; statsmodels and scikit-learn ship none).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from experiments.common.packages import import_data_module

BURN_IN = 256
WALK = slice(1600, 6400)
DAPHNET_CHANNELS = tuple(
    f"{place}_{axis}"
    for place in ("ankle", "leg", "trunk")
    for axis in ("horiz_fwd", "vert", "horiz_lateral")
)


class LabelledSeries(NamedTuple):
    """``values [N]``, ``labels [N]`` (1 = anomaly); ``values[:train_end]`` is normal and
    detectors are judged on ``values[test_start:]``."""

    name: str
    values: np.ndarray
    labels: np.ndarray
    train_end: int
    test_start: int


def load_kdd_tsad_135() -> LabelledSeries:
    """The whole series with its labels and the length of its normal training prefix."""
    datasets = import_data_module("aeon.datasets", "aeon", "KDD-TSAD 135")
    train_values, train_labels = datasets.load_kdd_tsad_135(split="train")
    values, labels = datasets.load_kdd_tsad_135(split="test")
    if np.any(train_labels) or not np.array_equal(values[: len(train_values)], train_values):
        raise ValueError("KDD-TSAD 135: expected the train split to be the normal prefix")
    return LabelledSeries(
        "kdd_tsad_135",
        np.asarray(values, dtype=np.float64),
        np.asarray(labels, dtype=np.int32),
        len(train_values),
        len(train_values),
    )


def _deprecated_loader(name: str, dataset: str):
    """An aeon loader that aeon 1.6 deprecates (it still ships the data)."""
    datasets = import_data_module("aeon.datasets", "aeon", dataset)
    return getattr(datasets, name)


def load_ecg_diff_count_3() -> LabelledSeries:
    """The anomaly-free training recording, then the labelled test recording."""
    load = _deprecated_loader("load_ecg_diff_count_3", "ecg-diff-count-3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        test_values, test_labels, train_values, train_labels = load("semi-supervised")
    test_labels = np.asarray(test_labels, dtype=np.int32)
    if np.any(train_labels) or np.any(test_labels[:BURN_IN]):
        raise ValueError("ecg-diff-count-3: expected a normal training series and no early event")
    values = np.concatenate([np.ravel(train_values), np.ravel(test_values)])
    labels = np.concatenate([np.zeros(len(train_values), np.int32), test_labels])
    end = len(train_values)
    return LabelledSeries("ecg_diff_count_3", values, labels, end, end + BURN_IN)


def load_daphnet_walk(channel: str = "trunk_vert") -> LabelledSeries:
    """One channel of Daphnet S06R02E0 while the subject walks; labels all 0."""
    load = _deprecated_loader("load_daphnet_s06r02e0", "Daphnet S06R02E0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        frame, labels = load()
    if np.any(labels):
        raise ValueError("Daphnet S06R02E0: expected the shipped excerpt to be unlabelled")
    if channel not in DAPHNET_CHANNELS:
        raise ValueError(f"channel: expected one of {DAPHNET_CHANNELS}, got {channel!r}")
    values = np.asarray(frame, dtype=np.float64)[WALK, DAPHNET_CHANNELS.index(channel)]
    return LabelledSeries(f"daphnet_{channel}", values, np.zeros(len(values), np.int32), 2000, 2000)
