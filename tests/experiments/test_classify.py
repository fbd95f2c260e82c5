import json

import pytest

from tests.experiments.experiment_module import load_experiment

classify = load_experiment("classify")


def test_quick_run_reports_grid_baselines_and_mcnemar(tmp_path):
    cfg = classify.Config(quick=True, run_root=str(tmp_path), progress=False)
    summary = classify.run(cfg)
    (result,) = summary["datasets"].values()
    (seed,) = result["per_seed"]
    assert seed["last_loss"] < seed["first_loss"]
    assert 0.0 <= seed["test_accuracy"] <= 1.0
    assert len(result["grid"]) == 2
    best = max(result["grid"], key=lambda r: r["valid_accuracy"])
    assert result["chosen"]["hidden_size"] in {r["hidden_size"] for r in result["grid"]}
    assert best["valid_accuracy"] >= min(r["valid_accuracy"] for r in result["grid"])
    # McNemar's discordant counts are the paired accuracy difference on the same items
    for baseline in classify.BASELINES:
        assert result[baseline]["test_accuracy"] > 0.7
        (test,) = result["mcnemar"][baseline]
        difference = seed["test_accuracy"] - result[baseline]["test_accuracy"]
        assert (test["b"] - test["c"]) / result["num_test"] == pytest.approx(difference)
        assert 0.0 < test["pvalue"] <= 1.0
    written = json.loads((tmp_path / "classify" / "results.json").read_text())
    assert written["datasets"]["BasicMotions"]["chosen"] == result["chosen"]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--hidden_size", "-4"], "hidden_size"),
        (["--pool", "max"], "pool"),
        (["--valid_fraction", "0"], "valid_fraction"),
        (["--test_limit", "-1"], "test_limit"),
        (["--datasets", "Nope"], "datasets"),
    ],
)
def test_bad_config_fails_before_training(argv, match):
    with pytest.raises(ValueError, match=match):
        classify.parse_config(argv)
