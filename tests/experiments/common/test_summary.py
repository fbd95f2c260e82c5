import math
import statistics

import pytest

from experiments.common.summary import format_mean_std, mean_std, summarise


def test_std_is_the_sample_standard_deviation():
    values = [0.978, 0.970, 0.981]
    mean, std = mean_std(values)
    assert mean == pytest.approx(statistics.fmean(values))
    assert std == pytest.approx(statistics.stdev(values))
    assert std > statistics.pstdev(values)


def test_two_values_divide_by_one():
    assert mean_std([1.0, 3.0]) == (2.0, math.sqrt(2.0))


def test_one_seed_has_no_spread():
    assert mean_std([0.5]) == (0.5, None)
    assert format_mean_std([0.5]) == "0.500 (n=1)"
    with pytest.raises(ValueError, match="at least one"):
        mean_std([])


def test_format_shows_the_sample_spread_and_n():
    assert format_mean_std([1.0, 3.0], digits=2) == "2.00 \u00b1 1.41 (n=2)"


def test_summarise_names_each_key_with_mean_and_std():
    rows = [{"seed": 0, "f1": 0.4, "auc": 1.0}, {"seed": 1, "f1": 0.6, "auc": 1.0}]
    out = summarise(rows, ["f1", "auc"], prefix="lstm_")
    assert list(out) == ["lstm_f1_mean", "lstm_f1_std", "lstm_auc_mean", "lstm_auc_std"]
    assert out["lstm_f1_mean"] == pytest.approx(0.5)
    assert out["lstm_f1_std"] == pytest.approx(statistics.stdev([0.4, 0.6]))
    assert out["lstm_auc_std"] == 0.0
    assert summarise(rows[:1], ["f1"]) == {"f1_mean": 0.4, "f1_std": None}
