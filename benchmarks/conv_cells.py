"""ConvLSTM forward+backward: XLA's convolution against the matrix product over patches.

    python benchmarks/conv_cells.py [--configs 8,8 16,16 32,16] [--json out.json]

For each ``filters,size``: the jitted gradient of ``sum(ys**2)``, ``ys`` the
outputs of ``lj.rnn(lj.conv_lstm(filters, spatial_shape=(size, size)), ...)``
on ``xs [B=16, T=10, size, size, C=16]`` (3x3 kernels), with ``conv2d``'s
``as_matmul`` False (``lax.conv_general_dilated``) and True
(``lstmjax.kernels.conv_patches``), in one process; the median wall time of
interleaved calls (``ablations/harness.median_ms``), their ratio, and the
largest gradient difference relative to the gradient's scale. Prints a
Markdown table and, with ``--json``, writes the numbers; the backend's
choice is ``tuning.CONV_AS_MATMUL``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import jax
import jax.numpy as jnp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "ablations"))
sys.path.insert(1, os.path.dirname(HERE))

from harness import median_ms  # noqa: E402

import lstmjax as lj  # noqa: E402
from lstmjax.kernels import tuning  # noqa: E402

BATCH, STEPS, CHANNELS = 16, 10, 16


def gradient(cell, as_matmul: bool):
    """``params, xs -> d sum(ys**2) / d params``, traced with ``tuning.CONV_AS_MATMUL``
    set so that ``conv2d`` takes one path on this backend."""
    backends = frozenset({jax.default_backend()}) if as_matmul else frozenset()

    def loss(params, xs):
        ys, _ = lj.rnn(cell, params, xs)
        return jnp.sum(ys**2)

    def traced(params, xs):
        original, tuning.CONV_AS_MATMUL = tuning.CONV_AS_MATMUL, backends
        try:  # read while tracing, so the compiled program keeps this path
            return jax.grad(loss)(params, xs)
        finally:
            tuning.CONV_AS_MATMUL = original

    return jax.jit(traced)


def measure(filters: int, size: int, rounds: int) -> dict:
    cell = lj.conv_lstm(filters, spatial_shape=(size, size))
    params = cell.init(jax.random.key(0), CHANNELS)
    xs = jax.random.normal(jax.random.key(1), (BATCH, STEPS, size, size, CHANNELS))
    grads, calls = {}, {}
    for name, as_matmul in (("xla_conv", False), ("patches", True)):
        compiled = gradient(cell, as_matmul).lower(params, xs).compile()
        grads[name] = compiled(params, xs)
        calls[name] = lambda c=compiled: jax.block_until_ready(c(params, xs))
    times = median_ms(calls, rounds=rounds, burst=1)
    diff = max(
        float(jnp.max(jnp.abs(a - b)) / jnp.maximum(jnp.max(jnp.abs(a)), 1e-6))
        for a, b in zip(jax.tree.leaves(grads["xla_conv"]), jax.tree.leaves(grads["patches"]))
    )
    return dict(
        filters=filters,
        size=size,
        xla_conv_ms=times["xla_conv"],
        patches_ms=times["patches"],
        speedup=times["xla_conv"] / times["patches"],
        max_relative_grad_difference=diff,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", nargs="+", default=["8,8", "16,16", "32,16"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    rows = [measure(*(int(v) for v in c.split(",")), args.rounds) for c in args.configs]
    print(
        f"| filters | frame | XLA conv ms | patches ms | speed-up | max rel. grad diff |"
        f"  (B={BATCH}, T={STEPS}, C={CHANNELS}, 3x3)"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['filters']} | {r['size']}x{r['size']} | {r['xla_conv_ms']:.0f} "
            f"| {r['patches_ms']:.0f} | {r['speedup']:.1f}x "
            f"| {r['max_relative_grad_difference']:.1e} |"
        )
    if args.json:
        meta = dict(jax=jax.__version__, backend=jax.default_backend(), load=os.getloadavg())
        shape = dict(batch=BATCH, steps=STEPS, channels=CHANNELS, kernel=3)
        with open(args.json, "w") as f:
            json.dump(dict(meta=meta, shape=shape, rows=rows), f, indent=2)


if __name__ == "__main__":
    main()
