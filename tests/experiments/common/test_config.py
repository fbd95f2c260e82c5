import dataclasses

from experiments.common.config import run_config


@dataclasses.dataclass(frozen=True)
class Config:
    lr: float = 1e-3
    seeds: tuple = (0, 1)
    schedule: str = "constant"


def test_fields_and_extras_as_json_values():
    assert run_config(Config(), seed=1) == {"lr": 1e-3, "seeds": [0, 1], "seed": 1}


def test_an_added_field_is_saved_only_when_it_leaves_its_default():
    assert "schedule" not in run_config(Config())
    assert run_config(Config(schedule="cosine"))["schedule"] == "cosine"


def test_the_log_interval_is_the_largest_of_50_10_1_dividing_the_eval_interval():
    from experiments.common.config import log_every_dividing

    assert [log_every_dividing(n) for n in (500, 125, 30, 7)] == [50, 1, 10, 1]
