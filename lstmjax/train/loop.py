"""The training loop: steps, logging, validation, checkpoints, resume, progress bar.

``fit`` drives a jitted ``train_step`` (``make_train_step``) over batches
``batch_fn(step)`` that depend only on the step number, so the data position
is the step and a resumed run sees exactly the batches the uninterrupted run
would have. A run lives in one directory::

    runs/<experiment>/<run-name>/
      config.json     the config the run was started with
      metrics.jsonl   train records every log_every steps, val records every eval_every
      metrics.png     the curves, drawn at the end
      checkpoints/    Orbax step directories (see lstmjax.train.checkpoint)
      run.lock        held by the one live writer (see lstmjax.train.run_lock)

With the same config and seed, a run gives the same numbers on CPU, and
resuming from a checkpoint gives bitwise the params, optimizer state and
logged metrics of the run that was never stopped. Train records average the
metrics over the steps since the previous record; ``checkpoint_every`` (and
``stop_after``) must be multiples of ``log_every`` so that those windows do not
straddle a resume.
"""

from __future__ import annotations

import json
import math
import pathlib
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from lstmjax.train.checkpoint import Checkpoints
from lstmjax.train.metrics import MetricsWriter, plot_metrics, read_metrics
from lstmjax.train.run_lock import exclusive_run_dir
from lstmjax.train.state import TrainState


class FitResult(NamedTuple):
    """What ``fit`` returns.

    Attributes:
      state: the final ``TrainState``.
      best_params: params with the lowest validation ``select`` metric (the
        final params if there was no validation).
      best_step: the step of ``best_params``.
      records: every metrics record of the run (the JSONL file's content).
      run_dir: the run directory.
    """

    state: TrainState
    best_params: Any
    best_step: int
    records: list
    run_dir: pathlib.Path


def run_directory(root, experiment: str, run_name: str) -> pathlib.Path:
    """``<root>/<experiment>/<run_name>``."""
    return pathlib.Path(root) / experiment / run_name


def _check_multiple(value, of: int, name: str) -> None:
    if value is not None and value % of != 0:
        raise ValueError(f"{name}: expected a multiple of log_every={of}, got {value}")


@exclusive_run_dir
def fit(
    state: TrainState,
    train_step: Callable,
    batch_fn: Callable[[int], Any],
    *,
    num_steps: int,
    run_dir,
    config: dict,
    log_every: int = 100,
    checkpoint_every: int = 1000,
    keep: int = 3,
    eval_fn: Callable[[Any], dict] | None = None,
    eval_every: int | None = None,
    select: str = "loss",
    resume: bool = False,
    stop_after: int | None = None,
    ignore: Sequence[str] = ("resume", "stop_after"),
    examples_per_step: int | None = None,
    progress: bool = True,
    plot_keys: Sequence[str] = ("loss",),
    log: Callable[[str], None] = print,
) -> FitResult:
    """Trains ``state`` for ``num_steps`` steps, or resumes a run and finishes it.

    Args:
      state: the fresh state (``create_state``); also the template a resumed
        checkpoint is restored into.
      train_step: ``(state, batch) -> (state, metrics)``, e.g. ``make_train_step``.
      batch_fn: ``step -> batch``, a pure function of the step (the data position).
      num_steps: total steps of the run.
      run_dir: the run directory (see module doc).
      config: the run's JSON-able config; saved, and compared on resume.
      log_every: steps per train record (and progress-bar loss update).
      checkpoint_every: steps between checkpoints (one is also saved at the end).
      keep: checkpoints kept.
      eval_fn: ``params -> {metric: float}`` on the validation split, or None.
      eval_every: steps between validations (default ``checkpoint_every``).
      select: the validation metric whose minimum picks ``best_params``.
      resume: continue from the run directory's latest complete checkpoint.
        Without it, a run directory that already holds a run is an error.
      stop_after: stop (with a checkpoint) after this step, as an interrupted
        run would; the run is then finished with ``resume=True``.
      ignore: config keys allowed to differ on resume.
      examples_per_step: for the ``examples_per_sec`` throughput field.
      progress: show a tqdm bar with the live loss.
      plot_keys: metrics drawn to ``metrics.png`` at the end.
      log: where status lines (resume messages) go.

    Returns:
      A ``FitResult``.

    Raises:
      RunLockedError: another live process writes ``run_dir`` (see ``run_lock``).
      FileExistsError: the run directory holds a run and ``resume`` is False.
      CheckpointError: the checkpoint to resume from is unusable (see
        ``Checkpoints.restore``); the run directory is left untouched.
    """
    _check_multiple(checkpoint_every, log_every, "checkpoint_every")
    _check_multiple(stop_after, log_every, "stop_after")
    eval_every = eval_every or checkpoint_every
    run_dir = pathlib.Path(run_dir)
    metrics_path = run_dir / "metrics.jsonl"
    ckpt_dir = run_dir / "checkpoints"
    if not resume and (metrics_path.exists() or ckpt_dir.exists()):
        raise FileExistsError(
            f"{run_dir} already holds a run; resume it (--resume) or choose another run name"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpts = Checkpoints(ckpt_dir, config=config, keep=keep, ignore=ignore)
    writer = MetricsWriter(metrics_path)
    best_params, best_step, best_score, wall_offset = state.params, 0, math.inf, 0.0
    if resume:
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
            state, best_params = restored.state, restored.best
            best_step, best_score = restored.meta["best_step"], restored.meta["best_score"]
            wall_offset = restored.meta["wall_time"]
            log(f"resuming from step {restored.step}: checkpoint {ckpt_dir / str(restored.step)}")
        writer.truncate(int(state.step))
    else:
        (run_dir / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))

    start = int(state.step)
    end = num_steps if stop_after is None else min(num_steps, stop_after)
    bar = _progress_bar(start, num_steps, enabled=progress)
    window_sums, window_steps = None, 0
    t_start, t_window = time.perf_counter(), time.perf_counter()
    try:
        for step in range(start, end):
            state, metrics = train_step(state, batch_fn(step))
            window_sums = (
                metrics if window_sums is None else jax.tree.map(jnp.add, window_sums, metrics)
            )
            window_steps += 1
            done = step + 1
            bar.update(1)
            wall = wall_offset + time.perf_counter() - t_start
            if done % log_every == 0 or done == end:
                means = {k: float(v) / window_steps for k, v in window_sums.items()}
                elapsed = max(time.perf_counter() - t_window, 1e-9)
                record = {"step": done, "split": "train", "wall_time": wall, **means}
                record["steps_per_sec"] = window_steps / elapsed
                if examples_per_step:
                    record["examples_per_sec"] = window_steps * examples_per_step / elapsed
                writer.write(record)
                bar.set_postfix(loss=f"{means['loss']:.4g}")
                window_sums, window_steps, t_window = None, 0, time.perf_counter()
            if eval_fn is not None and (done % eval_every == 0 or done == num_steps):
                scores = eval_fn(state.params)
                writer.write({"step": done, "split": "val", "wall_time": wall, **scores})
                if scores[select] < best_score:
                    best_params, best_step, best_score = state.params, done, scores[select]
            if done % checkpoint_every == 0 or done == end:
                if eval_fn is None:
                    best_params, best_step = state.params, done
                meta = {
                    "data_position": done,
                    "wall_time": wall,
                    "best_step": best_step,
                    "best_score": best_score,
                }
                ckpts.save(done, state, best=best_params, meta=meta)
    finally:
        bar.close()
        ckpts.close()
    records = read_metrics(metrics_path)
    if int(state.step) == num_steps and plot_keys:
        plot_metrics(records, run_dir / "metrics.png", keys=plot_keys, title=str(run_dir))
    return FitResult(state, best_params, best_step, records, run_dir)


def _progress_bar(start: int, total: int, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=start, disable=not enabled, dynamic_ncols=True, leave=False)
