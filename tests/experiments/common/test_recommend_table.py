import json
import pathlib

import pytest

from experiments.common.recommend_table import paired_line, readme_lines, table_row, verdicts

ROOT = pathlib.Path(__file__).resolve().parents[3]
RESULTS = ROOT / "experiments" / "results" / "recommend.json"
METRICS = ("recall10", "recall20", "ndcg10", "mrr20")


def fake_results():
    def model(value):
        out = {"hidden_size": 128}
        for m in METRICS:
            out |= {f"test_{m}_mean": value, f"test_{m}_std": 0.01}
        return out

    def baseline(value, valid=0.0):
        return {f"test_{m}": value for m in METRICS} | {"valid_ndcg10": valid}

    test = {"mean_difference": 0.02, "low": 0.01, "high": 0.03, "pvalue": 0.0, "n_resamples": 1000}
    return {
        "config": {"seeds": [0, 1, 2]},
        "data": {"users": 943},
        "models": {"gru": model(0.2), "lstm": model(0.1)},
        "baselines": {
            "most_popular": baseline(0.05),
            "item_knn": baseline(0.2, valid=0.3),
            "markov": baseline(0.15),
        },
        "knn_grid": [{"window": 1, "valid_ndcg10": 0.2}, {"window": 5, "valid_ndcg10": 0.3}],
        "paired_bootstrap": {
            "model": "gru",
            "baseline": "item_knn",
            "ndcg10": test,
            "recall20": test | {"pvalue": 0.25},
        },
        "wall_s": 600.0,
    }


def test_row_names_every_model_and_baseline():
    row = table_row(fake_results())
    assert row.startswith("| next-item recommendation (MovieLens-100k, 943 users")
    assert "GRU (hidden 128): NDCG@10 0.2000 +- 0.0100" in row
    assert "item-kNN (last 5): NDCG@10 0.2000" in row and row.endswith("| 10 min |")


def test_verdicts_say_a_tie_is_not_a_win():
    assert verdicts(fake_results())[0] == (
        "- NDCG@10: the best recurrent model, GRU (0.2000), only ties the best baseline, "
        "item-kNN (0.2000)."
    )


def test_paired_line():
    line = paired_line(fake_results())
    assert "NDCG@10 +0.0200 [+0.0100, +0.0300] (p < 1e-03)" in line
    assert line.endswith("Recall@20 +0.0200 [+0.0100, +0.0300] (p 0.25).")


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed recommend results")
def test_the_experiments_page_holds_the_lines_the_committed_results_give():
    readme = (ROOT / "docs/guides/experiments.md").read_text().splitlines()
    for line in readme_lines(json.loads(RESULTS.read_text())):
        assert not line or line in readme
