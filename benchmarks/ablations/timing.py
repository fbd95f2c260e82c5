"""Medians of interleaved calls, shared by the ablation scripts."""

from __future__ import annotations

import statistics
import time


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
