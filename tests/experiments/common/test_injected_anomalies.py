import numpy as np
import pytest

from experiments.common.anomaly_series import LabelledSeries
from experiments.common.injected_anomalies import KINDS, LENGTHS, inject, injected_series, kind_of
from experiments.common.ucr_score import events


def base_series():
    t = np.arange(2000)
    values = np.sin(2 * np.pi * t / 50) + np.random.default_rng(0).normal(0, 0.1, 2000)
    return LabelledSeries("sine", values, np.zeros(2000, np.int32), 600, 700)


def test_each_kind_changes_only_its_labelled_steps_in_the_test_stretch():
    base = base_series()
    for kind in KINDS:
        item = inject(base, kind, 0, seed=0)
        ((begin, end),) = events(item.labels)
        assert end - begin + 1 == LENGTHS[kind]
        assert begin >= base.test_start + 100 and end < len(base.values) - 100
        changed = np.flatnonzero(item.values != base.values)
        assert changed.size and begin <= changed.min() and changed.max() <= end
        assert item.name == f"sine+{kind}0" and item.train_end == base.train_end
        assert kind_of(item.name) == kind
    with pytest.raises(ValueError, match="name"):
        kind_of("sine+drift0")


def test_spike_and_level_shift_have_the_documented_size():
    base = base_series()
    sigma = np.std(base.values[: base.train_end], ddof=0)
    spike = inject(base, "spike", 1, seed=0)
    assert np.max(np.abs(spike.values - base.values)) == pytest.approx(3 * sigma)
    shift = inject(base, "level_shift", 1, seed=0)
    moved = np.abs(shift.values - base.values)[shift.labels == 1]
    np.testing.assert_allclose(moved, sigma)


def test_protocol_is_determined_by_the_seed():
    base = base_series()
    first = injected_series(base, per_kind=2, seed=3)
    again = injected_series(base, per_kind=2, seed=3)
    other = injected_series(base, per_kind=2, seed=4)
    assert len(first) == 2 * len(KINDS)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.labels, b.labels)
    assert any(not np.array_equal(a.labels, b.labels) for a, b in zip(first, other))
    other_base = injected_series(base._replace(name="cosine"), per_kind=2, seed=3)
    assert any(not np.array_equal(a.labels, b.labels) for a, b in zip(first, other_base))
    # an item does not depend on which others are drawn
    alone = inject(base, "noise_burst", 1, seed=3)
    np.testing.assert_array_equal(alone.values, first[KINDS.index("noise_burst") * 2 + 1].values)


def test_injecting_needs_a_clean_base_and_a_known_kind():
    base = base_series()
    with pytest.raises(ValueError, match="kind"):
        inject(base, "drift", 0, seed=0)
    labelled = base._replace(labels=np.ones(2000, np.int32))
    with pytest.raises(ValueError, match="anomaly-free"):
        inject(labelled, "spike", 0, seed=0)
