"""One process of a data-parallel run over 8 CPU devices: 1 process x 8 or 2 x 4.

    python multiprocess_job.py PROCESS_ID NUM_PROCESSES PORT WORKDIR TAG [RESTORE_FROM]

Every process joins ``jax.distributed`` on ``localhost:PORT`` (when
``NUM_PROCESSES > 1``) with ``8 // NUM_PROCESSES`` simulated CPU devices, so the
mesh always spans 8 global devices. It trains an LSTM regressor for 3
data-parallel steps (``make_train_step(mesh=)``), each process feeding only
its own rows of the global batch (``shard_process_batch``), then saves the
state with ``Checkpoints`` into ``WORKDIR/TAG``. With ``RESTORE_FROM`` it also
restores the checkpoint in ``WORKDIR/RESTORE_FROM`` (saved by the other
process count). Then ``train.fit(..., mesh=)`` trains the fresh state 4 steps
in ``WORKDIR/TAG-fit``, stopping after 2 and resuming, from global batches
every process computes whole (``shard_batch`` keeps its rows). Process 0
writes ``WORKDIR/TAG.json``: the leaves of the trained, restored and fitted
params, each flattened to a list, and the fit's metrics records.
"""

import os
import sys

PROCESS_ID, NUM_PROCESSES = int(sys.argv[1]), int(sys.argv[2])
PORT, WORKDIR, TAG = sys.argv[3], sys.argv[4], sys.argv[5]
RESTORE_FROM = sys.argv[6] if len(sys.argv) > 6 else None
os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={8 // NUM_PROCESSES}"

import itertools  # noqa: E402
import json  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import lstmjax as lj  # noqa: E402
from lstmjax import train  # noqa: E402

ROWS, STEPS = 16, 3


def batches():
    """The global batches ``(xs [16, 5, 3], ys [16])``, the same in every process."""
    key = jax.random.key(0)
    for step in range(STEPS):
        kx, ky = jax.random.split(jax.random.fold_in(key, step))
        yield (
            np.asarray(jax.random.normal(kx, (ROWS, 5, 3))),
            np.asarray(jax.random.normal(ky, (ROWS,))),
        )


def leaves(params) -> list:
    """Every leaf as a flat list (replicated arrays read on any process)."""
    return [np.asarray(x).ravel().tolist() for x in jax.tree.leaves(params)]


def main():
    if NUM_PROCESSES > 1:
        jax.distributed.initialize(
            coordinator_address=f"localhost:{PORT}",
            num_processes=NUM_PROCESSES,
            process_id=PROCESS_ID,
            initialization_timeout=60,
        )
    assert len(jax.devices()) == 8 and jax.process_count() == NUM_PROCESSES
    cell = lj.lstm(8)

    def loss_fn(params, batch, key):
        xs, ys = batch
        out, _ = lj.rnn(cell, params, xs)
        return jnp.mean((out[:, -1, 0] - ys) ** 2), {}

    optimizer = optax.adam(0.01)
    mesh = train.data_mesh()
    fresh = train.replicate(
        train.create_state(cell.init(jax.random.key(1), 3), optimizer, key=jax.random.key(2)),
        mesh,
    )
    state = fresh
    step = train.make_train_step(loss_fn, optimizer, mesh=mesh)
    rows = slice(PROCESS_ID * ROWS // NUM_PROCESSES, (PROCESS_ID + 1) * ROWS // NUM_PROCESSES)
    for xs, ys in batches():
        state, _ = step(state, train.shard_process_batch((xs[rows], ys[rows]), mesh))
    config = {"job": "multiprocess"}
    ckpts = train.Checkpoints(os.path.join(WORKDIR, TAG), config=config)
    ckpts.save(STEPS, state, best=state.params, meta={})
    ckpts.close()
    out = {"devices": len(jax.devices()), "trained": leaves(state.params)}
    if RESTORE_FROM:
        ckpts = train.Checkpoints(os.path.join(WORKDIR, RESTORE_FROM), config=config)
        restored = ckpts.restore(state, state.params)
        ckpts.close()
        out["restored"] = leaves(restored.state.params)
        out["restored_step"] = int(restored.state.step)
    fit_dir = os.path.join(WORKDIR, TAG + "-fit")
    for resume, stop_after in ((False, 2), (True, None)):
        result = train.fit(
            fresh,
            step,
            lambda s: next(itertools.islice(batches(), s % STEPS, None)),
            num_steps=4,
            run_dir=fit_dir,
            config=config,
            log_every=1,
            checkpoint_every=2,
            resume=resume,
            stop_after=stop_after,
            progress=False,
            plot_keys=(),
            log=lambda line: None,
            mesh=mesh,
        )
    out["fitted"] = leaves(result.state.params)
    out["fit_records"] = [(r["step"], r["loss"]) for r in result.records]
    if PROCESS_ID == 0:
        with open(os.path.join(WORKDIR, TAG + ".json"), "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
