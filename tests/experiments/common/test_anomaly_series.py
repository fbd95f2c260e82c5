import numpy as np
import pytest

from experiments.common.anomaly_series import (
    BURN_IN,
    load_daphnet_walk,
    load_ecg_diff_count_3,
    load_kdd_tsad_135,
)
from experiments.common.ucr_score import events


def test_kdd_tsad_135_has_a_normal_training_prefix_and_one_anomaly():
    data = load_kdd_tsad_135()
    assert data.values.shape == data.labels.shape == (7501,)
    assert data.train_end == 1200
    assert not data.labels[: data.train_end].any()
    anomalous = np.flatnonzero(data.labels)
    assert len(anomalous) == 12
    np.testing.assert_array_equal(anomalous, np.arange(anomalous[0], anomalous[0] + 12))


def test_ecg_diff_count_3_has_a_normal_recording_then_three_labelled_events():
    data = load_ecg_diff_count_3()
    assert data.values.shape == data.labels.shape == (20000,)
    assert (data.train_end, data.test_start) == (10000, 10000 + BURN_IN)
    assert not data.labels[: data.test_start].any()
    assert events(data.labels) == [(11560, 11659), (16600, 16699), (16940, 17039)]


def test_daphnet_walk_is_an_unlabelled_base_for_injection():
    data = load_daphnet_walk("trunk_vert")
    assert data.values.shape == (4800,) and not data.labels.any()
    assert data.train_end == data.test_start == 2000
    assert data.values.std() > 100  # walking, not standing
    with pytest.raises(ValueError, match="channel"):
        load_daphnet_walk("head")
