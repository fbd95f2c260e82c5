import json

import pytest

from tests.experiments.experiment_module import load_experiment

classify = load_experiment("classify")


def test_quick_run_lowers_the_loss_and_reports_both_models(tmp_path):
    cfg = classify.Config(quick=True, run_root=str(tmp_path), progress=False)
    summary = classify.run(cfg)
    (seed,) = summary["per_seed"]
    assert seed["last_loss"] < seed["first_loss"]
    assert 0.0 <= seed["test_accuracy"] <= 1.0
    assert summary["dtw_1nn_test_accuracy"] > 0.8
    run_dir = tmp_path / "classify" / "seed0"
    assert (run_dir / "metrics.png").exists()
    assert json.loads((tmp_path / "classify" / "results.json").read_text())["per_seed"]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--hidden_size", "-4"], "hidden_size"),
        (["--pool", "max"], "pool"),
        (["--valid_fraction", "0"], "valid_fraction"),
        (["--dtw_test_limit", "-1"], "dtw_test_limit"),
    ],
)
def test_bad_config_fails_before_training(argv, match):
    with pytest.raises(ValueError, match=match):
        classify.parse_config(argv)
