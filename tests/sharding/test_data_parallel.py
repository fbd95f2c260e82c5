"""Data-parallel train steps (lstmjax.train.mesh) on 8 simulated CPU devices.

Sharded steps give the single-device params. The fused kernels (LSTM, GRU,
both directions) contract time and batch without a ``[T*B]`` reshape, so
each device computes its rows' weight-gradient GEMMs and the step compiles
to ONE all-reduce carrying the gradients and the loss: the gradient bytes
plus 4. The reference scan's step is also one all-reduce and no gather, but
XLA sends more than the gradients there (measured 4.8x for the LSTM), so
its bound is 6x.
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


@pytest.mark.parametrize("name", ["gru", "lstm_fused", "bidirectional_gru"])
def test_fused_kernels_all_reduce_exactly_the_gradients(report, name):
    assert report[name]["collectives"] == {"all-reduce": [1, report[name]["grad_bytes"] + 4]}


def test_the_reference_scan_all_reduces_without_gathering(report):
    found = report["lstm_reference"]["collectives"]
    assert set(found) == {"all-reduce"} and found["all-reduce"][0] == 1, found
    assert found["all-reduce"][1] <= 6 * report["lstm_reference"]["grad_bytes"]


def test_mesh_helpers_name_bad_input():
    with pytest.raises(ValueError, match="mesh: expected"):
        train.parse_mesh("model=2")
    with pytest.raises(ValueError, match="num_devices: expected an int"):
        train.data_mesh(len(jax.devices()) + 1)
    mesh = train.data_mesh(1)
    assert train.parse_mesh("data=1").shape == mesh.shape
