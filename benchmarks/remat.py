"""Long sequences: memory and time of the gradient with and without ``remat``.

    python benchmarks/remat.py [--lengths 1000 10000 100000] [--json out.json]

For each ``T``, the gradient of ``sum(lj.rnn(lstm, params, xs, remat=r)[0])``
at ``B, D, H`` (default 8, 32, 32), ``r`` in None, ``"sqrt"``: XLA's compiled
scratch memory (``memory_analysis().temp_size_in_bytes``, the buffers the
program allocates beyond its arguments and outputs) and the median wall time
of interleaved calls (``ablations/harness.median_ms``). Prints a Markdown
table and, with ``--json``, writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import jax

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "ablations"))
sys.path.insert(1, os.path.dirname(HERE))

from harness import median_ms  # noqa: E402

import lstmjax as lj  # noqa: E402

REMATS = (None, "sqrt")


def measure(num_steps: int, batch: int, features: int, hidden: int, rounds: int) -> list[dict]:
    cell = lj.lstm(hidden)
    params = cell.init(jax.random.key(0), features)
    xs = jax.random.normal(jax.random.key(1), (batch, num_steps, features))
    rows, calls = [], {}
    for remat in REMATS:
        grad = jax.jit(jax.grad(lambda p, x, r=remat: lj.rnn(cell, p, x, remat=r)[0].sum()))
        compiled = grad.lower(params, xs).compile()
        scratch = compiled.memory_analysis().temp_size_in_bytes
        calls[str(remat)] = lambda c=compiled: jax.block_until_ready(c(params, xs))
        rows.append(dict(T=num_steps, remat=str(remat), scratch_bytes=int(scratch)))
    times = median_ms(calls, rounds=rounds, burst=1)
    for row in rows:
        row["fwd_bwd_ms"] = times[row["remat"]]
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--config", default="8,32,32", help="B,D,H")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    batch, features, hidden = (int(v) for v in args.config.split(","))
    rows = [r for t in args.lengths for r in measure(t, batch, features, hidden, args.rounds)]
    print(f"| T | remat | scratch MiB | fwd+bwd ms |  (B={batch}, D={features}, H={hidden})")
    print("|---|---|---|---|")
    for r in rows:
        mib = r["scratch_bytes"] / 2**20
        print(f"| {r['T']} | {r['remat']} | {mib:.2f} | {r['fwd_bwd_ms']:.1f} |")
    if args.json:
        meta = dict(jax=jax.__version__, backend=jax.default_backend(), load=os.getloadavg())
        with open(args.json, "w") as f:
            json.dump(dict(meta=meta, config=[batch, features, hidden], rows=rows), f, indent=2)


if __name__ == "__main__":
    main()
