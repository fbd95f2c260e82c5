import json

import numpy as np
import pytest

from tests.experiments.experiment_module import load_experiment

recommend = load_experiment("recommend")


def test_training_windows_predict_the_next_item():
    inputs, targets, lengths = recommend.training_windows([np.array([1, 2, 3, 4, 5, 6])], 2)
    assert inputs.tolist() == [[1, 2], [3, 4], [5, 0]]
    assert targets.tolist() == [[2, 3], [4, 5], [6, 0]]
    assert lengths.tolist() == [2, 2, 1]


def test_quick_run_on_the_real_file(tmp_path):
    cfg = recommend.Config(quick=True, run_root=str(tmp_path), progress=False)
    summary = recommend.run(cfg)
    (seed,) = summary["models"]["gru"]["per_seed"]
    assert seed["last_loss"] < seed["first_loss"]
    assert 0.0 <= seed["test_ndcg10"] <= seed["test_recall10"] <= seed["test_recall20"] <= 1.0
    assert set(summary["baselines"]) == {"most_popular", "item_knn", "markov"}
    assert summary["paired_bootstrap"]["model"] == "gru"
    assert [row["hidden_size"] for row in summary["hidden_grid"]] == [16]
    written = json.loads((tmp_path / "recommend" / "results.json").read_text())
    assert written["data"] == {"users": 943, "items": 1682, "train_interactions": 98_114}


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--cells", "rnn"], "cells"),
        (["--hidden_grid", "0"], "hidden_grid"),
        (["--knn_windows", "0"], "knn_windows"),
        (["--max_len", "0"], "max_len"),
    ],
)
def test_bad_config_fails_before_training(argv, match):
    with pytest.raises(ValueError, match=match):
        recommend.parse_config(argv)
