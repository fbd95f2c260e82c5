import numpy as np

from experiments.common.anomaly_series import load_kdd_tsad_135


def test_kdd_tsad_135_has_a_normal_training_prefix_and_one_anomaly():
    data = load_kdd_tsad_135()
    assert data.values.shape == data.labels.shape == (7501,)
    assert data.train_end == 1200
    assert not data.labels[: data.train_end].any()
    anomalous = np.flatnonzero(data.labels)
    assert len(anomalous) == 12
    np.testing.assert_array_equal(anomalous, np.arange(anomalous[0], anomalous[0] + 12))
