"""Training with Optax and Orbax: state, step, checkpoints, metrics, the loop.

A complete run, here an LSTM learning to sum five numbers (the directory
``runs/sum/run1`` is created in the working directory):

>>> from typing import NamedTuple
>>> import jax, jax.numpy as jnp, optax, lstmjax as lj
>>> from lstmjax import train
>>> from lstmjax.models.readout import last_step_readout
>>> cell, head = lj.lstm(4), last_step_readout(1)
>>> k1, k2 = jax.random.split(jax.random.key(0))
>>> params = {"rnn": cell.init(k1, 1), "out": head.init(k2, 4)}
>>> class Batch(NamedTuple):
...     inputs: jax.Array                                 # [B, T, 1]
...     targets: jax.Array                                # [B, 1]
>>> def make_batch(key):
...     xs = jax.random.uniform(key, (16, 5, 1))
...     return Batch(xs, xs.sum(axis=1))
>>> def loss_fn(params, batch, key):                      # key is None in evaluation
...     ys, _ = lj.rnn(cell, params["rnn"], batch.inputs)
...     pred = head.apply(params["out"], ys)
...     return jnp.mean((pred - batch.targets) ** 2), {}
>>> optimizer = train.with_clipping(optax.adam(1e-2), max_norm=1.0)
>>> state = train.create_state(params, optimizer, key=jax.random.key(0))
>>> step = train.make_train_step(loss_fn, optimizer)
>>> eval_step = train.make_eval_step(loss_fn)
>>> data_key = jax.random.key(1)
>>> val_batches = [make_batch(jax.random.key(100 + i)) for i in range(2)]
>>> result = train.fit(
...     state, step, batch_fn=lambda s: make_batch(jax.random.fold_in(data_key, s)),
...     num_steps=40, run_dir=train.run_directory("runs", "sum", "run1"),
...     config={"lr": 1e-2}, log_every=10, checkpoint_every=20, progress=False,
...     eval_fn=lambda p: train.evaluate(eval_step, p, val_batches),
... )
>>> int(result.state.step)
40
>>> val = [r["loss"] for r in result.records if r["split"] == "val"]
>>> len(val), bool(val[-1] < val[0])                       # validated every 20 steps
(2, True)

Rerunning with ``resume=True`` continues from the run directory's latest
checkpoint.

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
