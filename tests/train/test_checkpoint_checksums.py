"""Checkpoint checksums: flipped array bytes raise CheckpointError naming the leaf."""

from __future__ import annotations

import gc
import json
import random
import shutil
import warnings

import numpy as np
import orbax.checkpoint as ocp
import pytest

from lstmjax.train.checkpoint import CheckpointError
from tests.train.corruption import adam_state, bitwise_equal, files, flip_bit, restore, save

# When one array read fails, Orbax leaves its other pending reads un-awaited;
# they are collected (and ignored) here rather than in whichever test runs next.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def collect_orbax_leftovers():
    yield
    gc.collect()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A checkpoint at step 1 of ``adam_state()``, and that state."""
    directory = tmp_path_factory.mktemp("saved") / "ckpt"
    state = adam_state()
    save(directory, state)
    return directory, state


def test_restore_is_bitwise_and_silent(saved):
    directory, state = saved
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = restore(directory, state)
    assert bitwise_equal(restored.state, state)
    assert bitwise_equal(restored.best, state.params)


def _changed_leaves(raw, state) -> list[str]:
    """The ``w`` leaves (params, Adam moments) that Orbax's own restore changed."""
    leaves = {
        "state.params['w']": (raw["params"]["w"], state.params["w"]),
        "state.opt_state[0].mu['w']": (raw["opt_state"][0]["mu"]["w"], state.opt_state[0].mu["w"]),
        "state.opt_state[0].nu['w']": (raw["opt_state"][0]["nu"]["w"], state.opt_state[0].nu["w"]),
    }
    return [name for name, (a, b) in leaves.items() if not np.array_equal(a, b)]


def test_flips_orbax_restores_silently_are_caught_naming_the_leaf(saved, tmp_path):
    directory, state = saved
    rng = random.Random(1)
    silent = []
    # Flip until a moment changed silently: where the chunks of each leaf sit in
    # the data file varies between installs, so a fixed count may miss them.
    for i in range(60):
        if any("opt_state" in name for c in silent for name in c):
            break
        damaged = shutil.copytree(directory, tmp_path / str(i))
        # The largest data file holds the (compressed) chunks of the 16x32 arrays.
        flip_bit(max(files(damaged / "1" / "state"), key=lambda f: f.stat().st_size), rng)
        try:
            changed = _changed_leaves(
                ocp.StandardCheckpointer().restore(damaged / "1" / "state"), state
            )
        except Exception:  # Orbax noticed this one itself
            changed = []
        if changed:
            silent.append(changed)
            with pytest.raises(CheckpointError, match="checksum mismatch") as err:
                restore(damaged, state)
            assert all(name in str(err.value) for name in changed), (changed, str(err.value))
    assert any(
        "state.opt_state[0].mu['w']" in c or "state.opt_state[0].nu['w']" in c for c in silent
    )


def test_seeded_flips_in_array_files_are_caught_or_harmless(saved, tmp_path):
    directory, state = saved
    rng = random.Random(0)
    outcomes = {"caught": 0, "harmless": 0}
    for i in range(30):
        damaged = shutil.copytree(directory, tmp_path / str(i))
        data_files = [f for f in files(damaged / "1") if f.parent.name == "d"]
        flip_bit(rng.choice(data_files), rng)
        try:
            restored = restore(damaged, state)
        except CheckpointError:
            outcomes["caught"] += 1
            continue
        assert bitwise_equal(restored.state, state) and bitwise_equal(restored.best, state.params)
        outcomes["harmless"] += 1
    assert outcomes["caught"] > 0, outcomes


def test_checkpoint_without_checksums_restores_with_a_warning(saved, tmp_path):
    directory, state = saved
    old = shutil.copytree(directory, tmp_path / "ckpt")
    meta_file = old / "1" / "meta" / "metadata"
    meta = json.loads(meta_file.read_text())
    del meta["checksums"], meta["meta_checksum"]
    meta_file.write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="without checksums"):
        restored = restore(old, state)
    assert bitwise_equal(restored.state, state)


def test_edited_meta_is_caught(saved, tmp_path):
    directory, state = saved
    edited = shutil.copytree(directory, tmp_path / "ckpt")
    meta_file = edited / "1" / "meta" / "metadata"
    meta_file.write_text(meta_file.read_text().replace('"best_score": 0.5', '"best_score": 0.25'))
    with pytest.raises(CheckpointError, match="meta is corrupt"):
        restore(edited, state)
