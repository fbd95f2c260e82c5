import pytest
from experiment_module import load_experiment

anomaly = load_experiment("anomaly")


def test_quick_run_lowers_the_loss_and_scores_both_detectors(tmp_path):
    summary = anomaly.run(anomaly.Config(quick=True, run_root=str(tmp_path), progress=False))
    (seed,) = summary["per_seed"]
    assert seed["last_loss"] < seed["first_loss"]
    for scores in (seed, summary["rolling_zscore"]):
        assert 0.0 <= scores["f1"] <= 1.0 and 0.0 <= scores["roc_auc"] <= 1.0
    assert (tmp_path / "anomaly" / "detections.png").exists()


@pytest.mark.parametrize(
    ("changes", "match"),
    [({"hidden_size": 0}, "hidden_size"), ({"context": 1}, "context"), ({"seeds": ()}, "seed")],
)
def test_malformed_config_is_rejected(changes, match):
    with pytest.raises(ValueError, match=match):
        anomaly.Config(**changes)


def test_stretches_that_leave_the_normal_prefix_fail_before_training(tmp_path):
    cfg = anomaly.Config(train_steps=1190, run_root=str(tmp_path), progress=False)
    with pytest.raises(ValueError, match="train_steps"):
        anomaly.run(cfg)
    assert not (tmp_path / "anomaly").exists()
