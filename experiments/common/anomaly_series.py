"""KDD-TSAD 135 ("InternalBleeding16", UCR anomaly archive), bundled in aeon.

One series of 7501 values with a 12-step labelled anomaly (steps 4187-4198);
its first 1200 steps are anomaly-free and meant for training, as the archive
prescribes::

    data = load_kdd_tsad_135()
    data.values [7501], data.labels [7501] in {0, 1}, data.train_end == 1200
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from experiments.common.packages import import_data_module


class LabelledSeries(NamedTuple):
    """``values [N]``, ``labels [N]`` (1 = anomaly); ``values[:train_end]`` is normal."""

    name: str
    values: np.ndarray
    labels: np.ndarray
    train_end: int


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
    )
