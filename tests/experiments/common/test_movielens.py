import numpy as np
import pytest

from experiments.common import movielens
from experiments.common.packages import MissingDataPackage


def test_sequences_order_by_time_then_item_and_renumber_items():
    users = np.array([2, 1, 1, 1, 2, 2])
    items = np.array([30, 50, 10, 30, 10, 50])
    times = np.array([5, 9, 7, 7, 1, 5])
    sequences, num_items = movielens.user_sequences(users, items, times)
    # raw ids 10, 30, 50 -> 1, 2, 3; user 1: t=7 {10, 30} then 50; user 2: 10, then t=5 {30, 50}
    assert num_items == 3
    assert [s.tolist() for s in sequences] == [[1, 2, 3], [1, 2, 3]]
    sequences, _ = movielens.user_sequences(users, items, np.array([5, 9, 7, 8, 1, 5]))
    assert sequences[0].tolist() == [1, 2, 3]


def test_leave_last_out_holds_targets_out_of_the_inputs():
    split = movielens.leave_last_out([np.array([4, 2, 7, 1]), np.array([3, 5, 6])], 7)
    assert [s.tolist() for s in split.train] == [[4, 2], [3]]
    assert split.valid_target.tolist() == [7, 5]
    assert split.test_target.tolist() == [1, 6]
    assert [h.tolist() for h in split.test_history] == [[4, 2, 7], [3, 5]]
    with pytest.raises(ValueError, match="users \\[0\\]"):
        movielens.leave_last_out([np.array([1, 2])], 2)


def test_real_split_has_no_leakage():
    split = movielens.load_ml100k()
    assert (len(split.train), split.num_items) == (943, 1682)
    assert sum(len(s) for s in split.train) + 2 * 943 == 100_000
    for u, train in enumerate(split.train):
        # a MovieLens user rates a movie once: the targets occur nowhere in the inputs
        assert split.test_target[u] not in train and split.valid_target[u] not in train
        assert split.test_target[u] not in split.valid_history[u]
        assert split.test_target[u] != split.valid_target[u]
        assert np.array_equal(split.valid_history[u], train)
        assert np.array_equal(split.test_history[u], np.r_[train, split.valid_target[u]])


def test_padding_and_history_mask():
    items, lengths = movielens.pad_last([np.array([1, 2, 3]), np.array([4])], 2)
    assert items.tolist() == [[2, 3], [4, 0]] and lengths.tolist() == [2, 1]
    mask = movielens.history_mask([np.array([1, 3])], 4)
    assert mask.tolist() == [[True, True, False, True, False]]


def test_missing_package_names_recbole(monkeypatch):
    monkeypatch.setattr(movielens.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingDataPackage, match="recbole.*--no-deps"):
        movielens.inter_path()


def test_makefile_installs_the_version_the_loader_names():
    makefile = (movielens.pathlib.Path(__file__).resolve().parents[3] / "Makefile").read_text()
    assert f"RECBOLE := {movielens.RECBOLE_VERSION}\n" in makefile
    assert "pip install --quiet --no-deps recbole==$(RECBOLE)" in makefile
