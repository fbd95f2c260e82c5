import numpy as np
import pytest

from experiments.common.anomaly_series import LabelledSeries
from tests.experiments.experiment_module import load_experiment

anomaly = load_experiment("anomaly")


def test_quick_run_lowers_the_loss_and_scores_every_group(tmp_path):
    summary = anomaly.run(anomaly.Config(quick=True, run_root=str(tmp_path), progress=False))
    for training in summary["training"].values():
        (seed,) = training["per_seed"]
        assert seed["last_loss"] < seed["first_loss"]
    groups = summary["groups"]
    assert groups["real"]["series"] == ["kdd_tsad_135"]
    assert groups["synthetic"]["series"] == ["ecg_diff_count_3"]
    assert len(groups["injected"]["series"]) == 2 * 4
    for row in summary["series"]:
        assert list(row["detectors"]) == [
            "lstm",
            "rolling_zscore",
            "abs_diff1",
            "abs_diff2",
            "isolation_forest",
        ]
        for name, scores in row["detectors"].items():
            f1 = scores["f1_mean"] if name == "lstm" else scores["f1"]
            assert 0.0 <= f1 <= 1.0
    assert summary["injected_by_kind"]["spike"]["lstm"]["n_series"] == 2
    paired = summary["paired_injected"]["abs_diff2"]
    assert paired["f1"]["low"] <= paired["f1"]["high"]
    assert paired["ucr_mcnemar"][0]["seed"] == 0
    assert (tmp_path / "anomaly" / "kdd_tsad_135.png").exists()
    assert (tmp_path / "anomaly" / "results.json").exists()


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"hidden_size": 0}, "hidden_size"),
        ({"context": 1}, "context"),
        ({"seeds": ()}, "seed"),
        ({"valid_fraction": 1.0}, "valid_fraction"),
    ],
)
def test_malformed_config_is_rejected(changes, match):
    with pytest.raises(ValueError, match=match):
        anomaly.Config(**changes)


def test_stretches_that_leave_the_normal_prefix_fail_before_training(tmp_path):
    cfg = anomaly.Config(valid_fraction=0.01, run_root=str(tmp_path), progress=False)
    with pytest.raises(ValueError, match="valid_fraction"):
        anomaly.run(cfg)
    assert not (tmp_path / "anomaly").exists()


def test_threshold_rule_flags_test_steps_above_the_validation_maximum():
    labels = np.zeros(400, np.int32)
    labels[300:305] = 1
    series = LabelledSeries("toy", np.zeros(400), labels, 200, 220)
    scores = np.zeros(400)
    scores[150] = 2.0  # validation maximum (train_steps = 100)
    scores[300:303] = 3.0
    scores[210] = 5.0  # burn-in: not judged
    out = anomaly.detect(series, scores, 100)
    assert out["threshold"] == 2.0
    assert (out["precision"], out["recall"]) == (1.0, pytest.approx(3 / 5))
    assert out["ucr"] == 1.0
