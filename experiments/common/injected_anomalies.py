"""A seeded protocol of anomalies injected into real, anomaly-free series.

Only one real labelled series ships (KDD-TSAD 135), and one event cannot
rank detectors; so each base series (real data whose normal prefix trains and
validates, see ``anomaly_series``) gets copies with ONE injected event each,
placed in its test stretch, of four kinds. With ``sigma`` the standard
deviation of the base's normal prefix, an event starting at ``s`` of length
``L``::

    spike             L = 1:    y_s += sign * 3 sigma
    level_shift       L = 100:  y_(s..s+L-1) += sign * sigma
    noise_burst       L = 50:   y_(s..s+L-1) += eps_t,  eps_t ~ N(0, (0.5 sigma)^2)
    frequency_change  L = 150:  y_(s+k) = y(s + 1.5 k), k < L  (the stretch played
                                1.5 times faster, linearly interpolated; the series
                                resumes at s + L, so the phase jumps there)

``sign`` is +-1 with equal probability. The start ``s`` is uniform over the
test stretch, at least ``MARGIN`` steps from its ends (and from where a
frequency change would read past the end). Every draw for replicate ``r`` of
kind ``k`` comes from ``numpy.random.default_rng([seed, k, r])``, so an item
does not change when other kinds or replicates are added. The labels mark
exactly the ``L`` modified steps.
"""

from __future__ import annotations

import numpy as np

from experiments.common.anomaly_series import LabelledSeries

KINDS = ("spike", "level_shift", "noise_burst", "frequency_change")
LENGTHS = {"spike": 1, "level_shift": 100, "noise_burst": 50, "frequency_change": 150}
SPEED_UP = 1.5
MARGIN = 100


def inject(base: LabelledSeries, kind: str, replicate: int, seed: int) -> LabelledSeries:
    """One copy of ``base`` with one event of ``kind`` (replicate ``replicate`` of ``seed``)."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    if np.any(base.labels):
        raise ValueError(f"{base.name}: injecting needs an anomaly-free base series")
    rng = np.random.default_rng([seed, KINDS.index(kind), replicate])
    length = LENGTHS[kind]
    reach = int(np.ceil(SPEED_UP * length)) if kind == "frequency_change" else length
    low, high = base.test_start + MARGIN, len(base.values) - reach - MARGIN
    if high <= low:
        raise ValueError(f"{base.name}: the test stretch is too short for a {kind}")
    start = int(rng.integers(low, high))
    sign = rng.choice([-1.0, 1.0])
    sigma = float(np.std(base.values[: base.train_end]))
    values = base.values.copy()
    span = slice(start, start + length)
    if kind == "spike":
        values[span] += sign * 3 * sigma
    elif kind == "level_shift":
        values[span] += sign * sigma
    elif kind == "noise_burst":
        values[span] += rng.normal(0.0, 0.5 * sigma, length)
    else:
        steps = np.arange(len(base.values))
        values[span] = np.interp(start + SPEED_UP * np.arange(length), steps, base.values)
    labels = np.zeros_like(base.labels)
    labels[span] = 1
    name = f"{base.name}+{kind}{replicate}"
    return LabelledSeries(name, values, labels, base.train_end, base.test_start)


def injected_series(
    base: LabelledSeries, *, per_kind: int = 3, seed: int = 0, kinds=KINDS
) -> list[LabelledSeries]:
    """``per_kind`` copies of ``base`` for each kind, in the order kind-major."""
    if per_kind < 1:
        raise ValueError(f"per_kind: expected >= 1, got {per_kind}")
    return [inject(base, kind, r, seed) for kind in kinds for r in range(per_kind)]
