"""Run as a script with 8 simulated CPU devices: ``--mesh`` through the training loop.

Prints JSON with, for each check, the largest difference from one device:

- ``long_memory``: experiments/long_memory.py's quick adding run (LSTM, 20
  steps) with ``--mesh data=4`` against the same run without a mesh: test MSE,
  best step and every logged train loss;
- ``stateful``: 3 stateful truncated-BPTT steps (``make_stateful_train_step``,
  the carry's rows split like the batch's) with ``mesh=data_mesh(4)``: params
  and carry;
- ``process_batch``: ``shard_process_batch`` in one process against
  ``shard_batch`` (same global array and layout);
- ``uneven``: 2 train steps on batches of 6 rows over 4 devices (placed whole,
  split inside the step) against one device: params, and whether the rows
  were placed whole.
"""

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import lstmjax as lj  # noqa: E402
from lstmjax import train  # noqa: E402
from lstmjax.models.stateful_step import (  # noqa: E402
    StreamBatch,
    create_stateful_state,
    make_stateful_train_step,
)
from tests.experiments.experiment_module import load_experiment  # noqa: E402


def long_memory_difference(root: str) -> dict:
    long_memory = load_experiment("long_memory")
    rows = {}
    for mesh in ("", "data=4"):
        argv = ["--quick", "--no-progress", "--cells", "lstm", "--steps", "20"]
        argv += ["--run-root", os.path.join(root, mesh or "one"), "--mesh", mesh]
        cfg = long_memory.parse_config(argv)
        rows[mesh] = train_row(long_memory, cfg)
    a, b = rows[""], rows["data=4"]
    losses = [abs(x - y) for x, y in zip(a["losses"], b["losses"])]
    return {
        "test_mse": abs(a["test_mse"] - b["test_mse"]),
        "train_loss": max(losses),
        "records": [len(a["losses"]), len(b["losses"])],
        "same_best_step": a["best_step"] == b["best_step"],
    }


def train_row(long_memory, cfg) -> dict:
    row = long_memory.train_cell(cfg, cfg.seed, "lstm", long_memory.CELLS["lstm"](cfg))
    losses = [r["loss"] for r in row["records"] if r["split"] == "train"]
    return {"test_mse": row["test_mse"], "best_step": row["best_step"], "losses": losses}


def stateful_difference() -> float:
    cell = lj.lstm(8)
    xs = jax.random.normal(jax.random.key(0), (3, 8, 5, 3))
    ys = jax.random.normal(jax.random.key(1), (3, 8, 5, 8))

    def loss_fn(params, batch, carry, key):
        out, carry = lj.rnn(cell, params, batch.inputs, initial_carry=carry)
        return jnp.mean((out - batch.targets) ** 2), ({}, carry)

    optimizer = optax.adam(0.01)
    zero = cell.initial_carry((8,))
    results = []
    for mesh in (None, train.data_mesh(4)):
        state = create_stateful_state(
            cell.init(jax.random.key(2), 3), optimizer, key=jax.random.key(3), carry=zero
        )
        step = make_stateful_train_step(loss_fn, optimizer, zero, mesh=mesh)
        if mesh is not None:
            state = train.replicate(state, mesh)
        for i in range(3):
            batch = StreamBatch(xs[i], ys[i], jnp.bool_(i == 0))
            state, _ = step(state, batch if mesh is None else train.shard_batch(batch, mesh))
        results.append(state)
    one, sharded = results
    leaves = [jax.tree.leaves((state.params, state.carry)) for state in (one, sharded)]
    pairs = zip(*leaves)
    return max(float(jnp.max(jnp.abs(u - v))) for u, v in pairs)


def process_batch_difference() -> dict:
    mesh = train.data_mesh(4)
    batch = (jnp.arange(24.0).reshape(8, 3), jnp.float32(2))
    a, b = train.shard_batch(batch, mesh), train.shard_process_batch(batch, mesh)
    return {
        "diff": max(float(jnp.max(jnp.abs(u - v))) for u, v in zip(a, b)),
        "same_layout": all(u.sharding == v.sharding for u, v in zip(a, b)),
    }


def uneven_difference() -> dict:
    cell = lj.lstm(4)

    def loss_fn(params, batch, key):
        out, _ = lj.rnn(cell, params, batch["x"])
        return jnp.mean(out**2), {}

    optimizer = optax.sgd(0.1)
    state = train.create_state(cell.init(jax.random.key(0), 2), optimizer, key=jax.random.key(1))
    batch = {"x": jax.random.normal(jax.random.key(2), (6, 5, 2))}
    mesh = train.data_mesh(4)
    placed = train.shard_batch(batch, mesh)
    one, sharded = state, train.replicate(state, mesh)
    single, on_mesh = (train.make_train_step(loss_fn, optimizer, mesh=m) for m in (None, mesh))
    for _ in range(2):
        one, _ = single(one, batch)
        sharded, _ = on_mesh(sharded, placed)
    pairs = zip(jax.tree.leaves(one.params), jax.tree.leaves(sharded.params))
    return {
        "diff": max(float(jnp.max(jnp.abs(u - v))) for u, v in pairs),
        "placed_whole": placed["x"].sharding.is_fully_replicated,
    }


def main():
    with tempfile.TemporaryDirectory() as root:
        report = {
            "devices": len(jax.devices()),
            "long_memory": long_memory_difference(root),
            "stateful": stateful_difference(),
            "process_batch": process_batch_difference(),
            "uneven": uneven_difference(),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
