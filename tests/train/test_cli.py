"""The config command line shared by the experiments."""

from __future__ import annotations

import dataclasses

import pytest

from lstmjax.train.cli import parse_config


@dataclasses.dataclass(frozen=True)
class Config:
    num_steps: int = 10
    lr: float = 1e-3
    task: str = "adding"
    seeds: tuple = (0,)
    cells: tuple = ("lstm", "rnn")
    quick: bool = False
    progress: bool = True

    def __post_init__(self):
        if self.num_steps < 1:
            raise ValueError(f"num_steps: expected >= 1, got {self.num_steps}")


def test_defaults_when_no_flags():
    assert parse_config(Config, []) == Config()


def test_every_kind_of_field_and_both_spellings():
    cfg = parse_config(
        Config,
        ["--num-steps", "5", "--lr", "0.5", "--task", "copy", "--seeds", "1", "2,3"]
        + ["--cells", "gru", "--quick", "--no-progress"],
    )
    assert cfg == Config(5, 0.5, "copy", (1, 2, 3), ("gru",), True, False)
    assert parse_config(Config, ["--num_steps", "7"]).num_steps == 7


def test_presets_apply_under_their_flag_and_explicit_flags_win():
    presets = {"quick": {"num_steps": 2, "lr": 0.1}}
    assert parse_config(Config, ["--quick"], presets=presets).num_steps == 2
    cfg = parse_config(Config, ["--quick", "--num-steps", "3"], presets=presets)
    assert (cfg.num_steps, cfg.lr) == (3, 0.1)
    assert parse_config(Config, [], presets=presets).num_steps == 10


def test_bad_values_fail_before_anything_runs():
    with pytest.raises(ValueError, match="num_steps: expected >= 1"):
        parse_config(Config, ["--num-steps", "0"])
    with pytest.raises(SystemExit):
        parse_config(Config, ["--seeds", "one"])
