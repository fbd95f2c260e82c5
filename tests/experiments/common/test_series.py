import numpy as np
import pytest

from experiments.common import packages
from experiments.common.series import load_series, split_tail, windows


@pytest.mark.parametrize(
    ("name", "length", "period"), [("sunspots", 309, 11), ("airline", 144, 12)]
)
def test_load_series(name, length, period):
    series = load_series(name)
    assert series.values.shape == (length,)
    assert series.period == period
    assert np.all(np.isfinite(series.values)) and series.values.min() >= 0


def test_unknown_series_is_an_error():
    with pytest.raises(ValueError, match="expected one of"):
        load_series("weather")


def test_missing_statsmodels_names_it(monkeypatch):
    monkeypatch.setattr(
        packages.importlib, "import_module", lambda name: (_ for _ in ()).throw(ImportError(name))
    )
    with pytest.raises(packages.MissingDataPackage, match="pip install statsmodels"):
        load_series("sunspots")


def test_split_tail_holds_out_the_end_without_overlap():
    values = np.arange(20.0)
    history, tail = split_tail(values, 5)
    np.testing.assert_array_equal(np.concatenate([history, tail]), values)
    assert history.max() < tail.min()
    for bad in (0, 20, 25, -1):
        with pytest.raises(ValueError, match="horizon"):
            split_tail(values, bad)


def test_windows_are_consecutive_slices():
    inputs, targets = windows(np.arange(10.0), context=3, horizon=2)
    assert inputs.shape == (6, 3) and targets.shape == (6, 2)
    np.testing.assert_array_equal(inputs[2], [2, 3, 4])
    np.testing.assert_array_equal(targets[2], [5, 6])
    np.testing.assert_array_equal(targets[-1], [8, 9])
    with pytest.raises(ValueError, match="no window"):
        windows(np.arange(4.0), context=3, horizon=2)
