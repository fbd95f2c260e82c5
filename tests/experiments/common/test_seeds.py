import pytest

from experiments.common.seeds import run_seeds


def test_one_row_per_seed_in_order_with_seed_first_and_wall_time_last():
    calls = []

    def run_one(seed):
        calls.append(seed)
        return {"score": seed * 10}

    rows = run_seeds((2, 0, 1), run_one)
    assert calls == [2, 0, 1]
    assert [r["seed"] for r in rows] == [2, 0, 1]
    assert [r["score"] for r in rows] == [20, 0, 10]
    for row in rows:
        assert list(row) == ["seed", "score", "wall_s"] and row["wall_s"] >= 0


def test_no_seed_is_an_error():
    with pytest.raises(ValueError, match="seed"):
        run_seeds([], lambda seed: {})


def test_an_error_in_a_seed_propagates():
    def run_one(seed):
        if seed == 1:
            raise RuntimeError("diverged")
        return {}

    with pytest.raises(RuntimeError, match="diverged"):
        run_seeds([0, 1, 2], run_one)
