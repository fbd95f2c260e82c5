"""Ablation: forward+backward with and without ``lj.compiler_options()``, per cell.

    python benchmarks/ablations/compiler_options.py

The options go to one ``jax.jit`` at a time, so both versions of each system
are compiled and timed in ONE process: lstmjax's plain LSTM (its custom-VJP
fast path), its GRU and tanh RNN (the reference scan, autodiff backward), and
Flax's ``nn.RNN(OptimizedLSTMCell)``. Prints medians of interleaved calls of
the gradients of a mean-square loss w.r.t. params and inputs.
"""

from __future__ import annotations

import os
import sys

import jax
import jax.numpy as jnp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))
sys.path.insert(2, os.path.dirname(os.path.dirname(HERE)))

from harness import median_ms, parse_args  # noqa: E402
from systems import Config, build_flax, inputs  # noqa: E402

import lstmjax as lj  # noqa: E402


def main(argv=None):
    args = parse_args(__doc__, argv)
    B, T, D, H = args.sizes
    xs = jnp.asarray(inputs(Config(B, T, D, H, 1, False)))
    options = {"default": {}, "options": lj.compiler_options()}
    calls = {}
    for name, cell in (("lstm", lj.lstm(H)), ("gru", lj.gru(H)), ("tanh rnn", lj.simple_rnn(H))):
        params = cell.init(jax.random.key(0), D)
        loss = lambda p, x, cell=cell: jnp.mean(lj.rnn(cell, p, x)[0] ** 2)
        for label, opts in options.items():
            grad = jax.jit(jax.grad(loss, argnums=(0, 1)), compiler_options=opts)
            grad = grad.lower(params, xs).compile()
            calls[f"lstmjax {name} {label}"] = lambda g=grad, p=params: jax.block_until_ready(
                g(p, xs)
            )
    for label, opts in options.items():
        config = Config(B, T, D, H, 1, False)
        flax = build_flax(config, jnp.float32, inputs(config), compiler_options=opts)
        calls[f"flax lstm {label}"] = flax.forward_backward
    for name, ms in median_ms(calls).items():
        print(f"{name:36s} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
