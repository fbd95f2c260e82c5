"""A run directory: started fresh, or reopened where its last checkpoint left off.

A run lives in one directory::

    runs/<experiment>/<run-name>/
      config.json     the config the run was started with
      metrics.jsonl   train records every log_every steps, val records every eval_every
      metrics.png     the curves, drawn at the end
      checkpoints/    Orbax step directories (see lstmjax.train.checkpoint)
      run.lock        held by the one live writer (see lstmjax.train.run_lock)

``open_run`` starts a run there (writing ``config.json``) or, with ``resume``,
restores the latest complete checkpoint: the state, the ``Best`` params with
their step and score, and the wall time used so far; the metrics file is cut
back to the restored step, so the lines written after that checkpoint are
written again, identically. ``save`` is its mirror: one checkpoint holding all
that is restored.

With several processes (``jax.distributed``) every process opens the run and
restores the checkpoint; process 0 alone writes ``config.json`` and the
metrics (the others get a ``MetricsWriter`` that discards), and the processes
wait for each other (``barrier``) after looking at the directory and before
anyone writes to it.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
from jax.experimental import multihost_utils

from lstmjax.train.atomic import write_json
from lstmjax.train.best import Best
from lstmjax.train.checkpoint import Checkpoints
from lstmjax.train.metrics import MetricsWriter
from lstmjax.train.state import TrainState


class Run(NamedTuple):
    """An open run: where it lives, its checkpoints and metrics, where it starts from.

    Attributes:
      dir: the run directory.
      checkpoints: its ``Checkpoints`` (close them when done).
      writer: its metrics file.
      state: the state to continue from (the fresh one, or the restored one).
      best: the best params so far (``Best(state.params)`` for a fresh run).
      wall_time: training seconds already spent (0 for a fresh run).
    """

    dir: pathlib.Path
    checkpoints: Checkpoints
    writer: MetricsWriter | DiscardedMetrics
    state: TrainState
    best: Best
    wall_time: float

    @property
    def metrics_path(self) -> pathlib.Path:
        return self.dir / "metrics.jsonl"


class DiscardedMetrics:
    """The metrics writer of processes other than 0: writes nothing."""

    def write(self, record: dict) -> None:
        del record

    def truncate(self, step: int) -> None:
        del step


def is_primary() -> bool:
    """Whether this process writes the run's files: process 0 (the only one, usually)."""
    return jax.process_index() == 0


def barrier(name: str) -> None:
    """Waits for every process to get here (nothing to wait for with one process)."""
    if jax.process_count() > 1:
        multihost_utils.sync_global_devices(name)


def run_directory(root, experiment: str, run_name: str) -> pathlib.Path:
    """``<root>/<experiment>/<run_name>``."""
    return pathlib.Path(root) / experiment / run_name


def open_run(
    run_dir,
    state: TrainState,
    *,
    config: dict,
    keep: int = 3,
    ignore: Sequence[str] = ("resume", "stop_after"),
    resume: bool = False,
    log: Callable[[str], None] = print,
) -> Run:
    """Starts a run in ``run_dir``, or reopens it from its latest complete checkpoint.

    Args:
      run_dir: the run directory (see module doc).
      state: the fresh state; also the template a checkpoint is restored into.
      config: the run's JSON-able config; saved, and compared on resume.
      keep: checkpoints kept.
      ignore: config keys allowed to differ on resume.
      resume: reopen the run (from step 0 when it has no complete checkpoint).
        Without it, a run directory that already holds a run is an error.
      log: where status lines (resume messages) go.

    Raises:
      FileExistsError: the run directory holds a run and ``resume`` is False.
      CheckpointError: the checkpoint to resume from is unusable (see
        ``Checkpoints.restore``); the run directory is left untouched.
    """
    run_dir = pathlib.Path(run_dir)
    metrics_path, ckpt_dir = run_dir / "metrics.jsonl", run_dir / "checkpoints"
    holds_a_run = metrics_path.exists() or ckpt_dir.exists()
    barrier("open_run: every process looked")
    if not resume and holds_a_run:
        raise FileExistsError(
            f"{run_dir} already holds a run; resume it (--resume) or choose another run name"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpts = Checkpoints(ckpt_dir, config=config, keep=keep, ignore=ignore)
    writer = MetricsWriter(metrics_path) if is_primary() else DiscardedMetrics()
    best, wall_time = Best(state.params), 0.0
    if not resume:
        if is_primary():
            write_json(run_dir / "config.json", config, sort_keys=True)
        return Run(run_dir, ckpts, writer, state, best, wall_time)
    for name in ckpts.incomplete():
        log(f"ignoring incomplete checkpoint save {ckpt_dir / name}")
    if ckpts.latest() is None:
        log(f"no complete checkpoint in {ckpt_dir}; starting from step 0")
    else:
        try:
            restored = ckpts.restore(
                state,
                state.params,
                required_meta={
                    "best_step": int,
                    "best_score": (int, float),
                    "wall_time": (int, float),
                },
            )
        except Exception:
            ckpts.close()
            raise
        state, meta = restored.state, restored.meta
        best = Best(restored.best, meta["best_step"], meta["best_score"])
        wall_time = meta["wall_time"]
        log(f"resuming from step {restored.step}: checkpoint {ckpt_dir / str(restored.step)}")
    writer.truncate(int(state.step))
    return Run(run_dir, ckpts, writer, state, best, wall_time)


def save(run: Run, step: int, state: TrainState, best: Best, wall_time: float) -> None:
    """Checkpoints ``state`` and ``best`` at ``step`` (``step`` is also the data position)."""
    meta = {
        "data_position": step,
        "wall_time": wall_time,
        "best_step": best.step,
        "best_score": best.score,
    }
    run.checkpoints.save(step, state, best=best.params, meta=meta)
