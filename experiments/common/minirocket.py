"""The MiniRocket baseline: aeon's transform and a ridge classifier.

The standard recipe (Dempster et al., KDD 2021; aeon's ``MiniRocketClassifier``)::

    features = MiniRocket(n_kernels).fit(train).transform(x)      # PPV features
    scaled   = StandardScaler(with_mean=False)(features)
    model    = RidgeClassifierCV(alphas=logspace(-3, 3, 10))     # alpha by leave-one-out CV

on the whole training split. aeon's MiniRocket takes equal-length
``[N, D, T]`` arrays with ``T >= 9``; the ``[N, T, D]`` zero-padded inputs are
used as they are (JapaneseVowels: every utterance zero-padded at the end to
29 frames, so the padding is part of the series MiniRocket sees), with
more zeros appended when ``T < 9``.
"""

from __future__ import annotations

import numpy as np

MIN_LENGTH = 9
ALPHAS = np.logspace(-3, 3, 10)


def minirocket_predict(
    train_xs: np.ndarray,
    train_labels: np.ndarray,
    test_xs: np.ndarray,
    *,
    seed: int = 0,
    num_kernels: int = 10_000,
) -> tuple[np.ndarray, float]:
    """Fits on ``train_xs [N, T, D]`` and labels, predicts ``test_xs [M, T, D]``.

    Returns:
      ``(predictions [M], alpha)``: the test labels and the ridge penalty that
      cross-validation chose.
    """
    from aeon.transformations.collection.convolution_based import MiniRocket
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if train_xs.shape[1:] != test_xs.shape[1:]:
        raise ValueError(
            f"train_xs, test_xs: expected equal [T, D], got {train_xs.shape}, {test_xs.shape}"
        )
    model = make_pipeline(
        MiniRocket(n_kernels=num_kernels, random_state=seed),
        StandardScaler(with_mean=False),
        RidgeClassifierCV(alphas=ALPHAS),
    )
    model.fit(channels_first(train_xs), np.asarray(train_labels))
    predictions = model.predict(channels_first(test_xs))
    return predictions, float(model[-1].alpha_)


def channels_first(xs: np.ndarray) -> np.ndarray:
    """``[N, T, D]`` -> aeon's ``[N, D, max(T, 9)]`` float32, zero-padded at the end."""
    xs = np.asarray(xs, dtype=np.float32).transpose(0, 2, 1)
    short = max(0, MIN_LENGTH - xs.shape[2])
    return np.pad(xs, ((0, 0), (0, 0), (0, short)))
