"""Communication per data-parallel step, read from the compiled HLO, and scaling on paper.

    python benchmarks/communication.py [--hidden 256 1024 4096] [--json out.json]

Runs on 8 simulated CPU devices (it sets
``XLA_FLAGS=--xla_force_host_platform_device_count=8`` unless ``XLA_FLAGS`` is
set). For each hidden size ``H`` it compiles ``make_train_step(..., mesh=)``
(Adam, MSE at the last step) of a 2-layer stacked LSTM (``D`` inputs, default
64) plus a linear readout, batch ``B x T`` (default 64 x 100, split over the 8
devices), from abstract shapes only (nothing is allocated), and reports:

- ``param_bytes``: the float32 parameters (= the gradient bytes);
- ``collectives``: ``train.collectives`` of the compiled step, ``{op: [count, bytes]}``;
- ``flops``: the step's GEMM FLOPs, ``6 B T sum_l 4H (D_l + H)`` (forward
  ``2 B T`` per weight, backward twice that);
- on paper, for each assumed link bandwidth ``bw`` and sustained device rate
  ``F``: ``t_comm = 2 (N-1)/N * all-reduce bytes / bw`` (a ring all-reduce),
  ``t_comp = flops / (N F)``, and the efficiency ``t_comp / (t_comp + t_comm)``
  with no overlap of the two (a lower bound); ``on_paper_x16_tokens`` for a
  step of 16 times the tokens (e.g. ``T = 1600``), same parameters.

Since both the all-reduce bytes (``4 P``) and the FLOPs (``6 B T P``) grow
with the parameter count ``P``, ``t_comm / t_comp = 4 (N-1) F / (3 B T bw)``
hardly depends on ``H``: what scales is the number of tokens ``B T`` per step.
The bandwidths and ``F`` are assumptions (arguments), not measurements.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import lstmjax as lj  # noqa: E402
from lstmjax import train  # noqa: E402
from lstmjax.models.readout import linear_readout  # noqa: E402
from lstmjax.train.atomic import write_json  # noqa: E402

DEVICES = 8
LINKS_GB_S = {"PCIe 4.0 x16": 25.0, "NVLink-class": 300.0}
ASSUMED_TFLOPS = 50.0


def measure(hidden: int, *, inputs: int, batch: int, steps: int) -> dict:
    """The row of one hidden size (see module doc), on a ``data=8`` mesh."""
    encoder = lj.stack([lj.lstm(hidden), lj.lstm(hidden)])
    head = linear_readout(1)

    def init(key):
        k1, k2 = jax.random.split(key)
        return {"encoder": encoder.init(k1, inputs), "head": head.init(k2, hidden)}

    def loss_fn(params, batch, key):
        xs, ys = batch
        out, _ = encoder.apply(params["encoder"], xs)
        return jnp.mean((head.apply(params["head"], out[:, -1])[:, 0] - ys) ** 2), {}

    optimizer = optax.adam(1e-3)
    state = jax.eval_shape(
        lambda: train.create_state(init(jax.random.key(0)), optimizer, key=jax.random.key(1))
    )
    data = (
        jax.ShapeDtypeStruct((batch, steps, inputs), jnp.float32),
        jax.ShapeDtypeStruct((batch,), jnp.float32),
    )
    mesh = train.data_mesh(DEVICES)
    step = train.make_train_step(loss_fn, optimizer, mesh=mesh)
    found = train.collectives(step.lower(state, data).compile().as_text())
    param_bytes = sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state.params))
    flops = 6 * batch * steps * sum(4 * hidden * (d + hidden) for d in (inputs, hidden))
    reduce_bytes = found.get("all-reduce", [0, 0])[1]
    return {
        "hidden": hidden,
        "param_bytes": param_bytes,
        "collectives": found,
        "flops": flops,
        "on_paper": on_paper(reduce_bytes, flops),
        "on_paper_x16_tokens": on_paper(reduce_bytes, 16 * flops),
    }


def on_paper(reduce_bytes: int, flops: float) -> dict:
    """``{link: {t_comm_ms, t_comp_ms, efficiency}}`` for a step (see module doc)."""
    paper = {}
    for link, gb_s in LINKS_GB_S.items():
        t_comm = 2 * (DEVICES - 1) / DEVICES * reduce_bytes / (gb_s * 1e9)
        t_comp = flops / (DEVICES * ASSUMED_TFLOPS * 1e12)
        paper[link] = {
            "t_comm_ms": 1e3 * t_comm,
            "t_comp_ms": 1e3 * t_comp,
            "efficiency": t_comp / (t_comp + t_comm),
        }
    return paper


def efficiency(row: dict, key: str, link: str) -> str:
    return f"{row[key][link]['efficiency']:.0%}"


def table(rows: list[dict]) -> str:
    """The Markdown table docs/guides/scaling.md quotes."""
    links = list(LINKS_GB_S)
    lines = [
        "| H | parameter bytes | all-reduces / step | all-reduce bytes | other collectives | "
        + " | ".join(f"{link}, {LINKS_GB_S[link]:g} GB/s (x16 tokens)" for link in links)
        + " |",
        "|---" * (5 + len(links)) + "|",
    ]
    for r in rows:
        count, size = r["collectives"].get("all-reduce", [0, 0])
        other = {k: v for k, v in r["collectives"].items() if k != "all-reduce"} or "none"
        effs = " | ".join(
            f"{efficiency(r, 'on_paper', link)} ({efficiency(r, 'on_paper_x16_tokens', link)})"
            for link in links
        )
        lines.append(
            f"| {r['hidden']} | {r['param_bytes']:,} | {count} | {size:,} | {other} | {effs} |"
        )
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--config", default="64,100,64", help="B,T,D")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if len(jax.devices()) < DEVICES:
        raise SystemExit(f"needs {DEVICES} devices, got {len(jax.devices())} (XLA_FLAGS is set)")
    batch, steps, inputs = (int(v) for v in args.config.split(","))
    rows = [measure(h, inputs=inputs, batch=batch, steps=steps) for h in args.hidden]
    result = {
        "devices": DEVICES,
        "batch": batch,
        "steps": steps,
        "inputs": inputs,
        "links_gb_s": LINKS_GB_S,
        "assumed_tflops": ASSUMED_TFLOPS,
        "rows": rows,
    }
    print(f"B={batch}, T={steps}, D={inputs}, {DEVICES} devices, F={ASSUMED_TFLOPS} TFLOP/s")
    print(table(rows))
    if args.json:
        write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
