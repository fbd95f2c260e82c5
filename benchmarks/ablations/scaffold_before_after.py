"""The fused LSTM and GRU kernels before and after the scaffold, in ONE process.

    taskset -c 1 python benchmarks/ablations/scaffold_before_after.py [--rev b2429dd]

The kernels as they were at ``--rev`` (``lstm_scan.py``, ``gru_scan.py``, read
with ``git show`` into a temporary directory) against the working tree's
(``lstmjax.kernels.scaffold`` with the cells' steps), called directly on one
direction without a mask: ``B16 T128 D=H256`` float32 (``--config``), forward
and forward+backward (the gradient of ``mean(ys ** 2)`` w.r.t. the weights,
biases and ``xs``). Calls interleaved; medians of this process's CPU time.
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import jax
import jax.numpy as jnp

sys.path.insert(0, str(pathlib.Path(__file__).parents[2]))

from lstmjax.kernels import gru_scan, lstm_scan  # noqa: E402

ROOT = pathlib.Path(__file__).parents[2]


def old_module(rev: str, name: str, directory: str):
    """``lstmjax/kernels/<name>.py`` as it was at ``rev``, imported under another name."""
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:lstmjax/kernels/{name}.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = pathlib.Path(directory) / f"old_{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(f"old_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compiled(apply, weights, xs):
    """Zero-argument forward and forward+backward calls of ``apply(weights, xs) -> ys``."""
    fwd = jax.jit(apply).lower(weights, xs).compile()
    loss = lambda w, x: jnp.mean(apply(w, x) ** 2)
    bwd = jax.jit(jax.grad(loss, argnums=(0, 1))).lower(weights, xs).compile()
    return (lambda: fwd(weights, xs)), (lambda: bwd(weights, xs))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default="b2429dd", help="the commit of the old kernels")
    parser.add_argument("--config", default="16,128,256,256", help="B,T,D,H")
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args(argv)
    B, T, D, H = (int(v) for v in args.config.split(","))
    keys = jax.random.split(jax.random.key(0), 3)
    xs = jax.random.normal(keys[0], (T, B, D))
    h0 = jnp.zeros((B, H))

    def weights(gates):
        w_ih = 0.05 * jax.random.normal(keys[1], (D, gates * H))
        w_hh = 0.05 * jax.random.normal(keys[2], (H, gates * H))
        return (w_ih, jnp.zeros(gates * H), w_hh) + ((jnp.zeros(H),) if gates == 3 else ())

    with tempfile.TemporaryDirectory() as directory:
        old = {name: old_module(args.rev, name, directory) for name in ("lstm_scan", "gru_scan")}
    kernels = {
        "lstm before": (old["lstm_scan"], 4),
        "lstm scaffold": (lstm_scan, 4),
        "gru before": (old["gru_scan"], 3),
        "gru scaffold": (gru_scan, 3),
    }
    calls = {}
    for name, (module, gates) in kernels.items():
        if gates == 4:
            apply = lambda w, x, m=module: m.lstm_sequence(*w, x, h0, h0, None)[0]
        else:
            apply = lambda w, x, m=module: m.gru_sequence(*w, x, h0, None)[0]
        calls[name] = compiled(apply, weights(gates), xs)
    for mode, label in ((0, "fwd"), (1, "fwd+bwd")):
        samples = {name: [] for name in calls}
        for r in range(args.rounds):
            names = list(calls)[r % len(calls) :] + list(calls)[: r % len(calls)]
            for name in names:
                jax.block_until_ready(calls[name][mode]())
                start = time.process_time()
                jax.block_until_ready(calls[name][mode]())
                samples[name].append(1e3 * (time.process_time() - start))
        for name, ms in samples.items():
            print(f"{name} {label} {statistics.median(ms):.1f} ms")


if __name__ == "__main__":
    main()
