"""Data-parallel train steps (lstmjax.train.mesh) on 8 simulated CPU devices.

Sharded steps give the single-device params; the compiled step of the
reference and GRU paths communicates by ONE (combined) all-reduce and never
gathers activations. Its volume is not yet that of the gradients alone:
measured 3.6-4.8x the gradient bytes (XLA reduces partial products before
summing them), so the bound here is 6x. The fused LSTM kernel still gathers
its activations (``[T*B]`` reshapes); measured and stated, not hidden.
"""

import json
import pathlib
import subprocess
import sys

import jax
import pytest

from lstmjax import train

JOB = pathlib.Path(__file__).with_name("data_parallel_job.py")


@pytest.fixture(scope="module")
def report():
    out = subprocess.run(
        [sys.executable, str(JOB)], capture_output=True, text=True, timeout=900, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["gru", "lstm_reference", "lstm_fused", "bidirectional_gru"])
def test_sharded_steps_equal_single_device_steps(report, name):
    assert report[name]["diff"] < 1e-5


@pytest.mark.parametrize("name", ["gru", "lstm_reference", "bidirectional_gru"])
def test_weight_gradients_are_all_reduced_not_gathered(report, name):
    found = report[name]["collectives"]
    assert set(found) == {"all-reduce"}, found
    count, size = found["all-reduce"]
    assert count == 1
    assert report[name]["grad_bytes"] <= size <= 6 * report[name]["grad_bytes"]


def test_the_fused_lstm_kernel_still_gathers_activations(report):
    assert "all-gather" in report["lstm_fused"]["collectives"]


def test_mesh_helpers_name_bad_input():
    with pytest.raises(ValueError, match="mesh: expected 'data' or 'data=N'"):
        train.parse_mesh("model=2")
    with pytest.raises(ValueError, match="num_devices: expected an int"):
        train.data_mesh(len(jax.devices()) + 1)
    mesh = train.data_mesh(1)
    assert train.parse_mesh("data=1").shape == mesh.shape
    import jax.numpy as jnp

    with pytest.raises(ValueError, match=r"batch\[0\]: expected a first axis"):
        train.shard_batch((jnp.ones(()),), mesh)
