"""The config a training run saves and compares on resume (``lstmjax.train.fit``).

It is the config dataclass's fields as JSON values (tuples become lists), plus
per-run extras such as the seed. A field added to the experiments after runs
were checkpointed is left out while it holds its default (``ADDED_DEFAULTS``),
so those runs still resume; set to anything else, it is saved and checked.
"""

from __future__ import annotations

import dataclasses

ADDED_DEFAULTS = {"schedule": "constant", "until_solved": False}


def run_config(cfg, **extra) -> dict:
    """``asdict(cfg) | extra`` as JSON values, without the added fields at their defaults."""
    config = {**dataclasses.asdict(cfg), **extra}
    for name, default in ADDED_DEFAULTS.items():
        if config.get(name) == default:
            del config[name]
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}


def log_every_dividing(eval_every: int) -> int:
    """The train-record interval for ``fit``: 50, 10 or 1, the largest that
    divides ``eval_every`` (``fit`` needs checkpoints on train-record steps)."""
    return next(n for n in (50, 10, 1) if eval_every % n == 0)
