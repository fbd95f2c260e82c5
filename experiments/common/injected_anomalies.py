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
kind ``k`` (index into ``KINDS``) comes from
``numpy.random.default_rng([seed, crc32(base name), k, r])``, so an item does
not change when other kinds, replicates or bases are added, and two bases
(e.g. two channels of one recording) get events at different places. The
labels mark exactly the ``L`` modified steps; an item is named
``"<base name>+<kind><r>"``.

The base's own oddities (a turn in a walk) stay unlabelled: a detector that
ranks one above the injected event is charged a false positive, as it would
be on any real series whose labels are incomplete.
"""

from __future__ import annotations

import zlib

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
    rng = np.random.default_rng(
        [seed, zlib.crc32(base.name.encode()), KINDS.index(kind), replicate]
    )
    length = LENGTHS[kind]
    reach = int(np.ceil(SPEED_UP * length)) if kind == "frequency_change" else length
    low, high = base.test_start + MARGIN, len(base.values) - reach - MARGIN
    if high <= low:
        raise ValueError(f"{base.name}: the test stretch is too short for a {kind}")
    start = int(rng.integers(low, high))
    sign = rng.choice([-1.0, 1.0])
    # the scale of the training stretch (population std: a normaliser, not a spread over seeds)
    sigma = float(np.std(base.values[: base.train_end], ddof=0))
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


def kind_of(name: str) -> str:
    """The kind of event in an item named ``"<base name>+<kind><r>"``."""
    suffix = name.rpartition("+")[2]
    for kind in KINDS:
        if suffix.rstrip("0123456789") == kind:
            return kind
    raise ValueError(f"name: expected '<base>+<kind><replicate>', got {name!r}")


def injected_series(
    base: LabelledSeries, *, per_kind: int = 3, seed: int = 0, kinds=KINDS
) -> list[LabelledSeries]:
    """``per_kind`` copies of ``base`` for each kind, in the order kind-major."""
    if per_kind < 1:
        raise ValueError(f"per_kind: expected >= 1, got {per_kind}")
    return [inject(base, kind, r, seed) for kind in kinds for r in range(per_kind)]
