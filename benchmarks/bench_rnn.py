"""Times lstmjax against Flax ``nn.RNN`` and PyTorch ``nn.LSTM`` / ``nn.GRU`` in ONE process.

    python benchmarks/bench_rnn.py                    # CPU configs, float32
    python benchmarks/bench_rnn.py --cells lstm gru --systems lstmjax lstmjax_reference flax torch
    python benchmarks/bench_rnn.py --dtype float32 bfloat16 --json bench.json
    python benchmarks/bench_rnn.py --gpu-configs --dtype float32 bfloat16 float16
    python benchmarks/bench_rnn.py --quick            # a small size, well under a minute
    python benchmarks/bench_rnn.py --compiler-options # jit lstmjax with lj.compiler_options()
    taskset -c 1 python benchmarks/bench_rnn.py --clock process   # 1 core, CPU time

For each configuration ``B,T,D,H,layers,bidirectional`` (the lists
``CPU_CONFIGS`` / ``GPU_CONFIGS`` below) and dtype, every system is compiled
(compile time reported apart), warmed up, then timed ``--repeats`` times, forward and
forward+backward (gradients of a mean-square loss w.r.t. params and inputs).
The systems' calls, of every cell of ``--cells`` (``lstm``, ``gru``), are
interleaved (one call of each per round, in rotating order) so that a busy
machine slows all of them alike; the table reports medians and the ratio
lstmjax / peer for the same cell (below 1 means lstmjax is faster).

Runs with the project on ``PYTHONPATH`` and nothing else installed but JAX:
Flax and PyTorch are optional, skipped with a note when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone

import jax
import jax.numpy as jnp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from systems import BUILDERS, CELLS, Config, inputs  # noqa: E402

import lstmjax as lj  # noqa: E402

CPU_CONFIGS = (
    Config(16, 128, 256, 256, 1, False),
    Config(16, 128, 256, 256, 2, True),
    Config(1, 512, 128, 128, 1, False),
)
GPU_CONFIGS = (
    Config(16, 1024, 768, 768, 1, False),
    Config(64, 512, 512, 512, 1, False),
    Config(64, 512, 512, 512, 2, True),
    Config(256, 256, 1024, 1024, 1, False),
    Config(1, 1000, 256, 256, 1, False),
)
QUICK_CONFIGS = (Config(8, 32, 64, 64, 1, False), Config(8, 32, 64, 64, 2, True))
MODES = ("forward", "forward_backward")


def parse_config(text: str) -> Config:
    """``"16,128,256,256,1,uni"`` -> ``Config``."""
    parts = text.split(",")
    if len(parts) != 6 or parts[5] not in ("uni", "bi"):
        raise argparse.ArgumentTypeError(f"expected B,T,D,H,layers,uni|bi, got {text!r}")
    B, T, D, H, layers = (int(p) for p in parts[:5])
    return Config(B, T, D, H, layers, parts[5] == "bi")


CLOCKS = {"wall": time.perf_counter, "process": time.process_time}


def time_interleaved(
    systems, mode: str, warmup: int, repeats: int, clock=time.perf_counter, burst: int = 1
):
    """Median milliseconds of ``repeats`` calls per system, calls interleaved.

    ``systems`` maps a key to a ``System``; the result maps the same keys.

    ``clock`` is wall time (``time.perf_counter``) or this process's CPU time
    (``time.process_time``, all threads): on a machine shared with other jobs
    the CPU time counts the work done rather than the waiting. With ``burst``
    > 1 each turn of a system is one untimed call and ``burst - 1`` timed
    ones, so that threads left spinning by the previous system's call
    (PyTorch's OpenMP pool, XLA's) do not take the cores of a timed call.
    """
    calls = {key: getattr(s, mode) for key, s in systems.items()}
    for _ in range(warmup):
        for call in calls.values():
            call()
    samples = {name: [] for name in calls}
    names = list(calls)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            if burst > 1:
                calls[name]()
            for _ in range(max(1, burst - 1)):
                start = clock()
                calls[name]()
                samples[name].append(1e3 * (clock() - start))
    return {name: statistics.median(ms) for name, ms in samples.items()}


def run_config(config, dtype_name, system_names, args, cells=("lstm",)) -> list[dict]:
    """Builds, compiles and times every system of every cell on one config; one record each."""
    dtype = jnp.dtype(dtype_name)
    xs = inputs(config)
    systems = {}
    options = lj.compiler_options() if args.compiler_options else None
    for cell in cells:
        for name in system_names:
            kwargs = {}
            if name.startswith("lstmjax"):
                kwargs = {"unroll": args.unroll, "compiler_options": options}
            try:
                systems[cell, name] = BUILDERS[name](config, dtype, xs, cell, **kwargs)
            except ImportError as err:
                print(f"  {name}: not installed ({err}); skipped", file=sys.stderr)
            except Exception as err:  # a peer without this dtype on this backend
                print(
                    f"  {name} {cell} {config.label()} {dtype_name}: {err!r}; skipped",
                    file=sys.stderr,
                )
    clock = CLOCKS[args.clock]
    medians = {
        m: time_interleaved(systems, m, args.warmup, args.repeats, clock, args.burst) for m in MODES
    }
    records = []
    for (cell, name), s in systems.items():
        base = {m: medians[m].get((cell, "lstmjax")) for m in MODES}
        ms = {m: medians[m][cell, name] for m in MODES}
        records.append(
            {
                "config": config._asdict(),
                "label": config.label(),
                "dtype": dtype_name,
                "cell": cell,
                "system": s.name,
                "forward_ms": ms["forward"],
                "forward_backward_ms": ms["forward_backward"],
                "compile_s": s.compile_s,
                "memory_bytes": s.temp_bytes,
                "ratio": {m: None if base[m] is None else base[m] / ms[m] for m in MODES},
            }
        )
    return records


def format_table(records) -> str:
    """A Markdown table; ratios are lstmjax time / this system's time, same cell."""
    lines = [
        "| config B,T,D,H,L,dir | dtype | system | cell | fwd ms | fwd+bwd ms | "
        "lstmjax/sys fwd | lstmjax/sys fwd+bwd | compile s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        ratio = r["ratio"]
        fmt = lambda v: "-" if v is None else f"{v:.2f}"
        compile_s = "/".join(f"{v:.1f}" for v in r["compile_s"].values())
        lines.append(
            f"| {r['label']} | {r['dtype']} | {r['system']} | {r['cell']} | "
            f"{r['forward_ms']:.2f} | "
            f"{r['forward_backward_ms']:.2f} | {fmt(ratio['forward'])} | "
            f"{fmt(ratio['forward_backward'])} | {compile_s} |"
        )
    return "\n".join(lines)


def environment(args) -> dict:
    device = jax.devices()[0]
    env = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "device": getattr(device, "device_kind", str(device)),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "compiler_options": lj.compiler_options() if args.compiler_options else {},
    }
    try:
        import torch

        env["torch"] = torch.__version__
        env["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return env


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gpu-configs", action="store_true", help="the GPU list of configs")
    parser.add_argument("--quick", action="store_true", help="a small size, few repeats")
    parser.add_argument(
        "--config", type=parse_config, action="append", help="B,T,D,H,layers,uni|bi (repeatable)"
    )
    parser.add_argument("--dtype", nargs="+", default=["float32"])
    parser.add_argument(
        "--cells", nargs="+", default=["lstm"], choices=list(CELLS), help="cells, timed together"
    )
    parser.add_argument("--systems", nargs="+", default=list(BUILDERS), choices=list(BUILDERS))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--unroll", type=int, default=None, help="lstmjax unroll (else default)")
    parser.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="wall",
        help="wall time, or the process's CPU time (steadier on a shared machine)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=1,
        help="calls per turn of a system, the first untimed (1: every call timed)",
    )
    parser.add_argument(
        "--compiler-options",
        action="store_true",
        help="jit lstmjax with lj.compiler_options() (per-program XLA options; peers keep "
        "their defaults, as these options slow Flax's autodiff backward)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = min(args.repeats, 5)
        args.warmup = min(args.warmup, 1)
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.config:
        configs = args.config
    elif args.quick:
        configs = QUICK_CONFIGS
    else:
        configs = GPU_CONFIGS if args.gpu_configs else CPU_CONFIGS
    env = environment(args)
    env["clock"] = args.clock
    print(
        f"# {env['backend']} ({env['device']}), jax {env['jax']}, torch {env.get('torch')}, "
        f"{args.clock} clock"
    )
    records = []
    for config in configs:
        for dtype_name in args.dtype:
            print(f"# {config.label()} {dtype_name}", file=sys.stderr, flush=True)
            records.extend(run_config(config, dtype_name, args.systems, args, args.cells))
    print(format_table(records))
    result = {"environment": env, "repeats": args.repeats, "results": records}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
