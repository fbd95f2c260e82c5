"""The training loop: steps, logging, validation, checkpoints, resume, progress bar.

``fit`` drives a jitted ``train_step`` (``make_train_step``) over batches
``batch_fn(step)`` that depend only on the step number, so the data position
is the step and a resumed run sees exactly the batches the uninterrupted run
would have. It composes the pieces, each usable on its own:

- ``run.open_run``: the run directory (see ``lstmjax.train.run``), fresh or
  restored from its latest checkpoint; ``run.save`` writes one;
- ``window.MetricWindow``: train records, averaged over the steps since the
  previous one;
- ``best.validate``: a validation record and the best params so far;
- ``Cadence`` and ``run_steps``: which step logs, validates and checkpoints,
  and the loop over steps that does it; ``stop_when`` ends it early.

With the same config and seed, a run gives the same numbers on CPU, and
resuming from a checkpoint gives bitwise the params, optimizer state and
logged metrics of the run that was never stopped. ``checkpoint_every`` (and
``stop_after``) must be multiples of ``log_every`` so that the train records'
windows do not straddle a resume.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from lstmjax.train import run as runs
from lstmjax.train.best import Best, validate
from lstmjax.train.mesh import replicate, shard_batch
from lstmjax.train.metrics import plot_metrics, read_metrics
from lstmjax.train.run_lock import exclusive_run_dir
from lstmjax.train.state import TrainState
from lstmjax.train.window import MetricWindow


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


class Cadence(NamedTuple):
    """Which steps log, validate and checkpoint; ``done`` counts the steps taken.

    A train record every ``log_every`` steps, a validation every
    ``eval_every`` and a checkpoint every ``checkpoint_every``; the last step
    of this call (``end``) always logs and checkpoints, the run's last step
    (``num_steps``) always validates.
    """

    log_every: int
    eval_every: int
    checkpoint_every: int
    num_steps: int
    end: int

    def logs(self, done: int) -> bool:
        return done % self.log_every == 0 or done == self.end

    def validates(self, done: int) -> bool:
        return done % self.eval_every == 0 or done == self.num_steps

    def checkpoints(self, done: int) -> bool:
        return done % self.checkpoint_every == 0 or done == self.end


def run_steps(
    run: runs.Run,
    train_step: Callable,
    batch_fn: Callable[[int], Any],
    cadence: Cadence,
    *,
    eval_fn: Callable[[Any], dict] | None = None,
    select: str = "loss",
    examples_per_step: int | None = None,
    progress: bool = True,
    stop_when: Callable[[dict], bool] | None = None,
) -> tuple[TrainState, Best]:
    """Steps ``run.state`` up to ``cadence.end``, logging, validating and checkpointing.

    Without ``eval_fn`` the best params are the current ones at each checkpoint.
    With ``stop_when``, the first validation record it accepts ends the loop
    at that step, with a checkpoint.

    Returns:
      The final state and the best params so far.
    """
    state, best = run.state, run.best
    bar = _progress_bar(int(state.step), cadence.num_steps, enabled=progress and runs.is_primary())
    window = MetricWindow(examples_per_step)
    t_start = time.perf_counter()
    try:
        for step in range(int(state.step), cadence.end):
            state, metrics = train_step(state, batch_fn(step))
            window.add(metrics)
            done = step + 1
            bar.update(1)
            wall = run.wall_time + time.perf_counter() - t_start
            if cadence.logs(done):
                record = window.record(done, wall)
                run.writer.write(record)
                bar.set_postfix(loss=f"{record['loss']:.4g}")
            stop = False
            if eval_fn is not None and cadence.validates(done):
                best, record = validate(
                    eval_fn,
                    state.params,
                    best,
                    step=done,
                    wall_time=wall,
                    writer=run.writer,
                    select=select,
                )
                stop = stop_when is not None and bool(stop_when(record))
            if cadence.checkpoints(done) or stop:
                if eval_fn is None:
                    best = Best(state.params, done, best.score)
                runs.save(run, done, state, best, wall)
            if stop:
                break
    finally:
        bar.close()
    return state, best


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
    mesh=None,
    stop_when: Callable[[dict], bool] | None = None,
) -> FitResult:
    """Trains ``state`` for ``num_steps`` steps, or resumes a run and finishes it.

    ``open_run``, then ``run_steps``, then the plot of the curves.

    Args:
      state: the fresh state (``create_state``); also the template a resumed
        checkpoint is restored into.
      train_step: ``(state, batch) -> (state, metrics)``, e.g. ``make_train_step``.
      batch_fn: ``step -> batch``, a pure function of the step (the data position).
      num_steps: total steps of the run.
      run_dir: the run directory (see ``lstmjax.train.run``).
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
      mesh: the mesh ``train_step`` was built with (``make_train_step(...,
        mesh=)``), or None: the state (fresh or restored) is replicated over
        it and every ``batch_fn(step)`` split by rows (``lstmjax.train.mesh``).
        With several processes (``jax.distributed``) each calls ``fit`` alike,
        ``batch_fn`` giving every process the whole batch; process 0 alone
        holds the lock and writes the metrics and plot (``lstmjax.train.run``).
      stop_when: early stopping: ``record -> bool``, called with each
        validation record (``{"step", "split": "val", "wall_time",
        **eval_fn(params)}``); the first that it accepts ends the run at that
        step, with a checkpoint, e.g. a task's "solved" criterion, or a
        patience rule kept by the caller. Needs ``eval_fn``, and
        ``eval_every`` a multiple of ``log_every`` (the train record of the
        stopping step is then written). A resumed run whose last validation
        was accepted does not train further. ``result.state.step <
        num_steps`` tells that the run stopped early.

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
    if stop_when is not None:
        if eval_fn is None:
            raise ValueError("stop_when: needs eval_fn (it reads validation records), got None")
        _check_multiple(eval_every or checkpoint_every, log_every, "eval_every")
    run = runs.open_run(
        run_dir, state, config=config, keep=keep, ignore=ignore, resume=resume, log=log
    )
    if mesh is not None:
        run = run._replace(state=replicate(run.state, mesh))
        batches, batch_fn = batch_fn, lambda step: shard_batch(batches(step), mesh)
    end = num_steps if stop_after is None else min(num_steps, stop_after)
    stopped = stop_when is not None and _accepts_last_validation(run, stop_when)
    if stopped:
        end = int(run.state.step)
    cadence = Cadence(log_every, eval_every or checkpoint_every, checkpoint_every, num_steps, end)
    try:
        state, best = run_steps(
            run,
            train_step,
            batch_fn,
            cadence,
            eval_fn=eval_fn,
            select=select,
            examples_per_step=examples_per_step,
            progress=progress,
            stop_when=stop_when,
        )
    finally:
        run.checkpoints.close()
    runs.barrier("fit: metrics written")
    records = read_metrics(run.metrics_path)
    stopped = stopped or int(state.step) < end
    if (stopped or int(state.step) == num_steps) and plot_keys and runs.is_primary():
        plot_metrics(records, run.dir / "metrics.png", keys=plot_keys, title=str(run.dir))
    return FitResult(state, best.params, best.step, records, run.dir)


def _accepts_last_validation(run: runs.Run, stop_when: Callable[[dict], bool]) -> bool:
    """Whether ``stop_when`` accepts a validation record at the (restored) run's step."""
    step = int(run.state.step)
    if step == 0 or not run.metrics_path.exists():
        return False
    records = [r for r in read_metrics(run.metrics_path) if r["split"] == "val"]
    return bool(records) and records[-1]["step"] == step and bool(stop_when(records[-1]))


def _progress_bar(start: int, total: int, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=start, disable=not enabled, dynamic_ncols=True, leave=False)
