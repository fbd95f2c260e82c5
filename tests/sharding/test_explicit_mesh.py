"""Sequence layers under an explicit-axis mesh (8 simulated CPU devices, batch sharded).

The zero initial carry takes the batch's sharding, stack dropout draws its
mask with the inputs' sharding, and the fused kernels contract the sharded
batch into replicated weight gradients; gradients equal the unsharded ones.
"""

import pathlib
import subprocess
import sys

JOB = pathlib.Path(__file__).with_name("explicit_mesh_job.py")


def test_gradients_under_an_explicit_mesh_equal_the_unsharded_ones():
    out = subprocess.run(
        [sys.executable, str(JOB)], capture_output=True, text=True, timeout=600, check=True
    ).stdout.splitlines()
    results = {line.split()[0]: line.split()[1:] for line in out}
    assert set(results) == {
        "gru",
        "lstm",
        "bidirectional_lstm",
        "lstm_reference",
        "bidirectional_gru",
        "stack_dropout",
    }
    for name, words in results.items():
        assert words[0] == "ok", f"{name}: {' '.join(words)}"
        assert float(words[1]) < 1e-5, f"{name}: gradients differ by {words[1]}"
