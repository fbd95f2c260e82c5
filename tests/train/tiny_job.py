"""A tiny LSTM regression run, shared by the resume tests and runnable in a fresh process.

``python tests/train/tiny_job.py RUN_DIR NUM_STEPS [--stop-after N] [--resume] [--hidden H]
[--hold-at STEP --until PATH]``: with ``--hold-at``, the run prints ``holding at step STEP``
before that step's batch and waits there until the file PATH exists. A lost run lock or
unusable checkpoint exits with status 3, the error on stderr.
"""

from __future__ import annotations

import argparse
import functools
import pathlib
import sys
import time

import jax
import jax.numpy as jnp
import optax

import lstmjax as lj
from lstmjax import train
from lstmjax.data import synthetic

T, BATCH = 12, 8


@functools.cache
def pieces(hidden: int, lr: float):
    """The model, optimizer and jitted functions, built once per (hidden, lr) in a process."""
    cell = lj.lstm(hidden)
    k_model, k_head, k_data, k_val, k_train = jax.random.split(jax.random.key(0), 5)
    params = {"cell": cell.init(k_model, 2), "w": 0.1 * jax.random.normal(k_head, (hidden, 1))}

    def loss_fn(params, batch, key):
        ys, _ = lj.rnn(cell, params["cell"], batch.inputs)
        err = ys[:, -1] @ params["w"] - batch.targets
        return jnp.mean(err**2), {"mae": jnp.mean(jnp.abs(err))}

    optimizer = train.with_clipping(optax.adam(lr), 1.0)
    state = train.create_state(params, optimizer, key=k_train)
    batch_fn = jax.jit(lambda s: synthetic.batch_at(synthetic.adding, k_data, s, BATCH, T))
    eval_step = train.make_eval_step(loss_fn)
    val = [synthetic.adding(k_val, BATCH, T)]
    return state, train.make_train_step(loss_fn, optimizer), batch_fn, eval_step, val


def holding(batch_fn, hold_at: int, until: pathlib.Path):
    """``batch_fn`` that, at step ``hold_at``, announces itself and waits for ``until``."""

    def batch(step):
        if step == hold_at:
            print(f"holding at step {step}", flush=True)
            while not until.exists():
                time.sleep(0.05)
        return batch_fn(step)

    return batch


def job(
    run_dir,
    num_steps,
    *,
    stop_after=None,
    resume=False,
    hidden=8,
    lr=1e-2,
    log=print,
    hold_at=None,
    until=None,
    stop_when=None,
):
    """Trains (or resumes) the tiny run in ``run_dir``; returns ``train.fit``'s result."""
    state, train_step, batch_fn, eval_step, val = pieces(hidden, lr)
    if hold_at is not None:
        batch_fn = holding(batch_fn, hold_at, pathlib.Path(until))
    config = {"hidden": hidden, "lr": lr, "num_steps": num_steps, "stop_after": stop_after}
    return train.fit(
        state,
        train_step,
        batch_fn,
        num_steps=num_steps,
        run_dir=run_dir,
        config=config,
        log_every=2,
        checkpoint_every=4,
        eval_fn=lambda p: train.evaluate(eval_step, p, val),
        eval_every=2,
        resume=resume,
        stop_after=stop_after,
        progress=False,
        plot_keys=(),
        log=log,
        stop_when=stop_when,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("num_steps", type=int)
    parser.add_argument("--stop-after", type=int)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--hidden", type=int, default=8)
    parser.add_argument("--hold-at", type=int)
    parser.add_argument("--until")
    args = parser.parse_args()
    try:
        job(
            args.run_dir,
            args.num_steps,
            stop_after=args.stop_after,
            resume=args.resume,
            hidden=args.hidden,
            hold_at=args.hold_at,
            until=args.until,
        )
    except (train.CheckpointError, train.RunLockedError) as err:
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(3)
