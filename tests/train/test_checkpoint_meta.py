"""restore(required_meta=...): a missing or mistyped meta key gives CheckpointError."""

import jax.numpy as jnp
import numpy as np
import pytest

from lstmjax.train.checkpoint import CheckpointError, Checkpoints

REQUIRED = {"best_step": int, "best_score": (int, float)}


def _save(directory, meta):
    ckpts = Checkpoints(directory, config={})
    state = {"w": jnp.arange(3.0)}
    ckpts.save(1, state, best=state, meta=meta)
    return ckpts, state


@pytest.mark.parametrize(
    "meta",
    [
        {"best_score": 1.0},
        {"best_step": "3", "best_score": 1.0},
        {"best_step": True, "best_score": 1.0},
    ],
)
def test_bad_meta_gives_checkpoint_error_naming_key(tmp_path, meta):
    ckpts, state = _save(tmp_path, meta)
    try:
        with pytest.raises(CheckpointError, match="best_step"):
            ckpts.restore(state, state, required_meta=REQUIRED)
    finally:
        ckpts.close()


def test_good_meta_restores(tmp_path):
    ckpts, state = _save(tmp_path, {"best_step": 1, "best_score": float("inf")})
    try:
        restored = ckpts.restore(state, state, required_meta=REQUIRED)
    finally:
        ckpts.close()
    np.testing.assert_array_equal(restored.state["w"], state["w"])
