"""Model selection during training: validate, and keep the params that scored best.

``Best`` holds the params with the lowest validation ``select`` metric seen so
far, the step they come from and that score (``inf`` before any validation).
``validate`` scores the current params, appends the ``val`` record to the
metrics file and returns the updated ``Best`` and the record; a tie keeps the
earlier params.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from lstmjax.train.metrics import MetricsWriter


class Best(NamedTuple):
    """The params with the lowest validation score so far, their step and score."""

    params: Any
    step: int = 0
    score: float = math.inf

    def update(self, params, step: int, score: float) -> Best:
        """``Best(params, step, score)`` if ``score`` is strictly lower, else ``self``."""
        return Best(params, step, score) if score < self.score else self


def validate(
    eval_fn: Callable[[Any], dict],
    params,
    best: Best,
    *,
    step: int,
    wall_time: float,
    writer: MetricsWriter,
    select: str,
) -> tuple[Best, dict]:
    """Scores ``params`` with ``eval_fn``, logs ``{"split": "val", ...}``, updates ``best``.

    Args:
      eval_fn: ``params -> {metric: float}`` on the validation split.
      params: the params to score.
      best: the best so far.
      step: the number of steps done (the record's ``step``).
      wall_time: the run's training seconds so far (the record's ``wall_time``).
      writer: the run's metrics file.
      select: the metric whose minimum is best.

    Returns:
      The updated ``Best`` and the record written,
      ``{"step", "split": "val", "wall_time", **eval_fn(params)}``.
    """
    scores = eval_fn(params)
    record = {"step": step, "split": "val", "wall_time": wall_time, **scores}
    writer.write(record)
    return best.update(params, step, scores[select]), record
