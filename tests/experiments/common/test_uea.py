import numpy as np
import pytest

from experiments.common import packages
from experiments.common.uea import JAPANESE_VOWELS_LENGTH, load_dataset


def test_japanese_vowels_keeps_true_lengths_and_zero_padding():
    train, test, classes = load_dataset("JapaneseVowels")
    assert train.xs.shape == (270, JAPANESE_VOWELS_LENGTH, 12)
    assert test.xs.shape == (370, JAPANESE_VOWELS_LENGTH, 12)
    assert classes == [str(k) for k in range(1, 10)]
    for split in (train, test):
        assert split.lengths.min() >= 7 and split.lengths.max() <= JAPANESE_VOWELS_LENGTH
        assert set(split.labels.tolist()) == set(range(9))
        mask = np.arange(JAPANESE_VOWELS_LENGTH)[None, :] < split.lengths[:, None]
        assert not split.xs[~mask].any()
    flat_train = {x.tobytes() for x in train.xs}
    assert not any(x.tobytes() in flat_train for x in test.xs)


def test_equal_length_sets_map_names_to_sorted_indices():
    train, test, classes = load_dataset("BasicMotions")
    assert train.xs.shape == (40, 100, 6) and test.xs.shape == (40, 100, 6)
    assert classes == ["badminton", "running", "standing", "walking"]
    assert np.all(train.lengths == 100)
    assert np.bincount(train.labels).tolist() == [10, 10, 10, 10]


def test_unknown_name_and_missing_package(monkeypatch):
    with pytest.raises(ValueError, match="dataset"):
        load_dataset("Nope")

    def fail(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(packages.importlib, "import_module", fail)
    with pytest.raises(packages.MissingDataPackage, match=r"'aeon'.*pip install aeon"):
        load_dataset("GunPoint")
