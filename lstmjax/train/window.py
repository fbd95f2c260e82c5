"""Train records: the metrics of the steps since the previous record, averaged.

For the ``n`` steps of a window with per-step metrics ``m_1 .. m_n``, the
record is ``mean_i m_i`` for every metric, with the throughput over the
window's wall time ``dt``: ``steps_per_sec = n / dt`` and, when the examples
per step ``b`` are known, ``examples_per_sec = n * b / dt``. The sums stay on
device until the record is taken (one transfer per record, not per step).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp


class MetricWindow:
    """Accumulates per-step metrics; ``record`` averages them and starts the next window."""

    def __init__(self, examples_per_step: int | None = None):
        self.examples_per_step = examples_per_step
        self._reset()

    def _reset(self) -> None:
        self.sums, self.steps, self.started = None, 0, time.perf_counter()

    def add(self, metrics: dict) -> None:
        """Adds one step's metrics (dict of scalars, e.g. on device)."""
        self.sums = metrics if self.sums is None else jax.tree.map(jnp.add, self.sums, metrics)
        self.steps += 1

    def record(self, step: int, wall_time: float) -> dict:
        """``{"step", "split": "train", "wall_time", **means, "steps_per_sec", ...}``; resets."""
        means = {k: float(v) / self.steps for k, v in self.sums.items()}
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        record = {"step": step, "split": "train", "wall_time": wall_time, **means}
        record["steps_per_sec"] = self.steps / elapsed
        if self.examples_per_step:
            record["examples_per_sec"] = self.steps * self.examples_per_step / elapsed
        self._reset()
        return record
