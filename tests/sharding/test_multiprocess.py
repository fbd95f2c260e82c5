"""Two processes x 4 CPU devices (``jax.distributed`` on localhost) train like one x 8.

The job (multiprocess_job.py) trains an LSTM for 3 data-parallel steps over 8
global devices and checkpoints it with ``train.Checkpoints`` (Orbax). Three
launches, one after the other:

1. one process with 8 simulated devices: trains, saves;
2. two processes with 4 each: train (each feeding only its own rows), save,
   restore the checkpoint of launch 1;
3. one process: trains, saves, restores the checkpoint of launch 2.

The 2-process params equal the 1-process ones (1e-5), and each checkpoint
restores bitwise under the other process count. ``train.fit`` with the mesh,
stopped and resumed, gives the same params and losses under both process
counts, with process 0 alone writing the metrics.
"""

import contextlib
import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

JOB = pathlib.Path(__file__).with_name("multiprocess_job.py")
ROOT = pathlib.Path(__file__).resolve().parents[2]
TIMEOUT_S = 240


def free_port() -> int:
    """A TCP port nothing listens on now (the OS picks it), for the coordinator."""
    with contextlib.closing(socket.socket()) as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def launch(workdir: pathlib.Path, num_processes: int, tag: str, restore_from: str = "") -> dict:
    """Runs the job's processes to completion (killing all on any failure); process 0's JSON."""
    port = str(free_port())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("XLA_FLAGS", None)
    children = []
    try:
        for i in range(num_processes):
            log = open(workdir / f"{tag}-{i}.log", "w")  # noqa: SIM115 closed below
            args = [str(i), str(num_processes), port, str(workdir), tag]
            children.append(
                (
                    subprocess.Popen(
                        [sys.executable, str(JOB), *args, *[restore_from] * bool(restore_from)],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                        cwd=ROOT,
                    ),
                    log,
                )
            )
        codes = [child.wait(timeout=TIMEOUT_S) for child, _ in children]
    finally:
        for child, log in children:
            if child.poll() is None:
                child.kill()
                child.wait()
            log.close()
    logs = [(workdir / f"{tag}-{i}.log").read_text()[-3000:] for i in range(num_processes)]
    assert codes == [0] * num_processes, logs
    return json.loads((workdir / f"{tag}.json").read_text())


def largest_difference(a: list, b: list) -> float:
    assert len(a) == len(b) > 0
    return max(float(np.max(np.abs(np.asarray(u) - np.asarray(v)))) for u, v in zip(a, b))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("multiprocess")
    one = launch(workdir, 1, "one")
    two = launch(workdir, 2, "two", restore_from="one")
    again = launch(workdir, 1, "again", restore_from="two")
    return one, two, again


def test_two_processes_train_like_one(runs):
    one, two, again = runs
    assert one["devices"] == two["devices"] == 8
    assert largest_difference(one["trained"], two["trained"]) < 1e-5
    assert largest_difference(one["trained"], again["trained"]) == 0


def test_a_checkpoint_saved_by_one_process_restores_in_two(runs):
    one, two, _ = runs
    assert two["restored_step"] == 3
    assert largest_difference(two["restored"], one["trained"]) == 0


def test_a_checkpoint_saved_by_two_processes_restores_in_one(runs):
    _, two, again = runs
    assert again["restored_step"] == 3
    assert largest_difference(again["restored"], two["trained"]) == 0


def test_fit_stopped_and_resumed_in_two_processes_equals_one(runs):
    one, two, again = runs
    assert largest_difference(one["fitted"], two["fitted"]) < 1e-5
    assert [s for s, _ in two["fit_records"]] == [1, 2, 3, 4]  # each record once
    assert (
        largest_difference(
            [[x for _, x in one["fit_records"]]], [[x for _, x in two["fit_records"]]]
        )
        < 1e-5
    )
