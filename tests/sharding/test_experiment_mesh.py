"""``--mesh`` in every experiment, and the training loop on a mesh of 8 simulated devices.

Each experiment's flag parses, is validated, and reaches the step it builds
(checked cheaply on one device with ``data=1``); one real quick run
(long_memory, the demo) and stateful truncated-BPTT steps (char_lm's kind)
run on ``data=4`` in a subprocess with 8 simulated devices and equal the
single-device run.
"""

import json
import os
import pathlib
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstmjax import train
from tests.experiments.experiment_module import load_experiment

JOB = pathlib.Path(__file__).with_name("experiment_mesh_job.py")
ROOT = pathlib.Path(__file__).resolve().parents[2]
NAMES = ["long_memory", "classify", "forecast", "anomaly", "char_lm", "recommend", "g2p"]


@pytest.mark.parametrize("name", NAMES + ["forecast_benchmark"])
def test_the_mesh_flag_parses_and_is_checked(name):
    module = load_experiment(name)
    assert module.parse_config([]).mesh == ""
    assert module.parse_config(["--mesh", "data=1"]).mesh == "data=1"
    with pytest.raises(ValueError, match="mesh: expected"):
        module.parse_config(["--mesh", "model=2"])
    with pytest.raises(ValueError, match="mesh: 'data=9999' asks for 9999 devices"):
        module.parse_config(["--mesh", "data=9999"])


class Reached(Exception):
    """Raised by the spy on ``train.fit``: the experiment got as far as training."""


@pytest.mark.parametrize("name", NAMES)
def test_the_mesh_reaches_the_train_step_and_the_loop(name, monkeypatch, tmp_path):
    module = load_experiment(name)
    seen = {}
    make_step = train.make_train_step

    def spy_step(*args, mesh=None, **kwargs):
        seen["step"] = mesh
        return make_step(*args, mesh=mesh, **kwargs)

    def spy_fit(*args, mesh=None, **kwargs):
        seen["fit"] = mesh
        raise Reached

    monkeypatch.setattr(train, "make_train_step", spy_step)
    monkeypatch.setattr(train, "fit", spy_fit)
    if name == "char_lm":
        stateful = module.make_stateful_train_step

        def spy_stateful(*args, mesh=None, **kwargs):
            seen["step"] = mesh
            return stateful(*args, mesh=mesh, **kwargs)

        monkeypatch.setattr(module, "make_stateful_train_step", spy_stateful)
    argv = ["--quick", "--no-progress", "--run-root", str(tmp_path), "--mesh", "data=1"]
    with pytest.raises(Reached):
        module.run(module.parse_config(argv))
    assert seen["step"].shape == {"data": 1} and seen["fit"] is seen["step"], seen


def test_forecast_benchmark_steps_on_a_mesh_equal_those_without():
    module = load_experiment("forecast_benchmark")
    xs = np.random.default_rng(0).normal(size=(3, 4, 4)).astype(np.float32)
    ys = xs[..., -2:]
    out = []
    for mesh in ("", "data=1"):
        cfg = module.parse_config(["--quick", "--mesh", mesh])
        model, optimizer, train_chunk, _ = module._compiled(cfg, "direct", 4, 2)
        params = model.init(jax.random.key(0))
        out.append(train_chunk(params, optimizer.init(params), xs, ys)[2])
    assert jnp.allclose(out[0], out[1], atol=1e-6, rtol=0)


@pytest.fixture(scope="module")
def report():
    done = subprocess.run(
        [sys.executable, str(JOB)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_long_memory_on_four_devices_equals_one_device(report):
    assert report["devices"] == 8
    found = report["long_memory"]
    assert found["records"] == [2, 2] and found["same_best_step"]
    assert found["test_mse"] < 1e-5 and found["train_loss"] < 1e-5


def test_stateful_steps_split_the_carry_and_equal_one_device(report):
    assert report["stateful"] < 1e-5


def test_process_batches_in_one_process_are_shard_batch(report):
    assert report["process_batch"] == {"diff": 0.0, "same_layout": True}


def test_rows_that_do_not_divide_are_placed_whole_and_train_alike(report):
    assert report["uneven"]["placed_whole"] and report["uneven"]["diff"] < 1e-5


def test_parse_mesh_none_is_one_device():
    assert train.parse_mesh("") is None and train.parse_mesh("none") is None
