"""What the ablation scripts share: their arguments and medians of interleaved calls."""

from __future__ import annotations

import argparse
import statistics
import time

import lstmjax as lj


def parse_args(description: str, argv=None, *, torch: bool = False):
    """``--config B,T,D,H`` (as ``args.sizes``) and ``--compiler-options`` (as ``args.options``)."""
    parser = argparse.ArgumentParser(description=description.split("\n")[0])
    parser.add_argument("--config", default="16,128,256,256", help="B,T,D,H")
    parser.add_argument("--compiler-options", action="store_true")
    if torch:
        parser.add_argument("--torch", action="store_true", help="also time PyTorch nn.LSTM")
    args = parser.parse_args(argv)
    args.sizes = tuple(int(v) for v in args.config.split(","))
    args.options = lj.compiler_options() if args.compiler_options else {}
    return args


def median_ms(calls: dict, rounds: int = 8, burst: int = 3) -> dict:
    """Median ms per call of each zero-argument callable, interleaved.

    Each turn of a callable is one untimed call, then ``burst`` timed ones.
    """
    samples = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            call()
            for _ in range(burst):
                start = time.perf_counter()
                call()
                samples[name].append(1e3 * (time.perf_counter() - start))
    return {name: statistics.median(s) for name, s in samples.items()}
