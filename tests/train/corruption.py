"""Helpers for the corruption tests: a small saved checkpoint and ways to damage files."""

from __future__ import annotations

import pathlib
import random

import jax
import numpy as np
import optax

from lstmjax import train
from lstmjax.train.checkpoint import _storable

CONFIG = {"task": "corruption"}


def adam_state():
    """A TrainState after one Adam update with random gradients (distinct moment bytes)."""
    k_w, k_g, k_state = jax.random.split(jax.random.key(7), 3)
    params = {"w": jax.random.normal(k_w, (16, 32)), "b": jax.numpy.linspace(-1.0, 1.0, 32)}
    optimizer = optax.adam(1e-3)
    state = train.create_state(params, optimizer, key=k_state)
    grads = jax.tree.map(lambda p: jax.random.normal(k_g, p.shape), params)
    _, opt_state = optimizer.update(grads, state.opt_state, params)
    return state._replace(opt_state=opt_state, step=state.step + 1)


def save(directory, state, step: int = 1) -> None:
    """Saves ``state`` (its params as ``best``) at ``step`` and waits for the write."""
    ckpts = train.Checkpoints(directory, config=CONFIG)
    ckpts.save(step, state, best=state.params, meta={"best_step": step, "best_score": 0.5})
    ckpts.close()


def restore(directory, state):
    """Restores the latest checkpoint of ``directory`` into ``state``'s structure."""
    ckpts = train.Checkpoints(directory, config=CONFIG)
    try:
        return ckpts.restore(state, state.params)
    finally:
        ckpts.close()


def bitwise_equal(a, b) -> bool:
    """Same tree structure and, leaf by leaf, same dtype, shape and bytes."""
    a, b = _storable(a), _storable(b)
    if jax.tree.structure(a) != jax.tree.structure(b):
        return False
    return all(
        x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        for x, y in zip(map(np.asarray, jax.tree.leaves(a)), map(np.asarray, jax.tree.leaves(b)))
    )


def files(directory) -> list[pathlib.Path]:
    """Every regular file under ``directory``, sorted."""
    return sorted(p for p in pathlib.Path(directory).rglob("*") if p.is_file())


def flip_bit(path: pathlib.Path, rng: random.Random) -> None:
    """Flips one random bit of a non-empty file."""
    data = bytearray(path.read_bytes())
    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))


def truncate(path: pathlib.Path, rng: random.Random) -> None:
    """Cuts a file to a random shorter length (possibly empty)."""
    data = path.read_bytes()
    path.write_bytes(data[: rng.randrange(len(data))] if data else b"")
