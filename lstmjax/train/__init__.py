"""Training with Optax and Orbax: state, step, checkpoints, metrics, the loop.

A complete run::

    from lstmjax import train

    def loss_fn(params, batch, key):            # key is None in evaluation
        pred = model(params, batch.inputs)
        return jnp.mean((pred - batch.targets) ** 2), {}

    optimizer = train.with_clipping(optax.adam(1e-3), max_norm=1.0)
    state = train.create_state(params, optimizer, key=jax.random.key(0))
    step = train.make_train_step(loss_fn, optimizer)
    eval_step = train.make_eval_step(loss_fn)
    result = train.fit(
        state, step, batch_fn=lambda s: make_batch(jax.random.fold_in(data_key, s)),
        num_steps=5000, run_dir=train.run_directory("runs", "my_exp", "run1"),
        config=dataclasses.asdict(cfg), resume=cfg.resume,
        eval_fn=lambda p: train.evaluate(eval_step, p, val_batches),
    )

Modules: ``state`` (TrainState), ``step`` (train/eval steps, clipping),
``mesh`` (data parallelism), ``checkpoint`` (Orbax checkpoints), ``metrics``
(JSONL, plots), ``run_lock`` (one writer per run directory), ``run`` (a run
directory, fresh or resumed), ``window`` (averaged train records), ``best``
(validation and the best params), ``loop`` (the step loop, and ``fit`` composing
them all).
"""

from lstmjax.train.best import Best, validate
from lstmjax.train.checkpoint import CheckpointError, Checkpoints, Restored, signature
from lstmjax.train.loop import Cadence, FitResult, fit, run_steps
from lstmjax.train.mesh import (
    collectives,
    data_mesh,
    keep_replicated,
    parse_mesh,
    replicate,
    shard_batch,
    shard_process_batch,
    split_rows,
)
from lstmjax.train.metrics import MetricsWriter, plot_metrics, read_metrics
from lstmjax.train.run import Run, open_run, run_directory
from lstmjax.train.run_lock import RunLock, RunLockedError
from lstmjax.train.state import TrainState, create_state
from lstmjax.train.step import evaluate, make_eval_step, make_train_step, with_clipping

__all__ = [
    "Best",
    "Cadence",
    "CheckpointError",
    "Checkpoints",
    "FitResult",
    "MetricsWriter",
    "Restored",
    "Run",
    "RunLock",
    "RunLockedError",
    "TrainState",
    "collectives",
    "create_state",
    "data_mesh",
    "evaluate",
    "fit",
    "keep_replicated",
    "make_eval_step",
    "make_train_step",
    "open_run",
    "parse_mesh",
    "plot_metrics",
    "read_metrics",
    "replicate",
    "run_directory",
    "run_steps",
    "shard_batch",
    "shard_process_batch",
    "signature",
    "split_rows",
    "validate",
    "with_clipping",
]
