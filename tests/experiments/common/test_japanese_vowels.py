import numpy as np
import pytest

from experiments.common import packages
from experiments.common.japanese_vowels import (
    MAX_LENGTH,
    NUM_CHANNELS,
    NUM_CLASSES,
    from_channels_first,
    load_japanese_vowels,
)


def test_from_channels_first_transposes_pads_and_shifts_labels():
    seqs = [np.arange(6.0).reshape(2, 3), np.arange(8.0).reshape(2, 4)]
    data = from_channels_first(seqs, np.array(["1", "9"]), num_steps=5)
    assert data.xs.shape == (2, 5, 2)
    np.testing.assert_array_equal(data.xs[0, :3], seqs[0].T)
    np.testing.assert_array_equal(data.lengths, [3, 4])
    np.testing.assert_array_equal(data.labels, [0, 8])


def test_loads_the_bundled_splits():
    train, test = load_japanese_vowels()
    assert train.xs.shape == (270, MAX_LENGTH, NUM_CHANNELS)
    assert test.xs.shape == (370, MAX_LENGTH, NUM_CHANNELS)
    for split in (train, test):
        assert split.lengths.min() >= 7 and split.lengths.max() <= MAX_LENGTH
        assert set(split.labels.tolist()) == set(range(NUM_CLASSES))
        mask = np.arange(MAX_LENGTH)[None, :] < split.lengths[:, None]
        assert not split.xs[~mask].any()
    flat_train = {x.tobytes() for x in train.xs}
    assert not any(x.tobytes() in flat_train for x in test.xs)


def test_missing_package_names_it_and_how_to_install(monkeypatch):
    def fail(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(packages.importlib, "import_module", fail)
    with pytest.raises(packages.MissingDataPackage, match=r"'aeon'.*pip install aeon"):
        load_japanese_vowels()
