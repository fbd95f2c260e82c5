"""The loop over seeds: one row of results per seed, timed.

``run_seeds(seeds, run_one)`` calls ``run_one(seed)`` for each seed in order
and returns the rows ``{"seed": seed, **run_one(seed), "wall_s": seconds}``;
a seed is a whole training run (its own init, data order and run directory),
so the spread over the rows is what ``summary`` reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable


def run_seeds(seeds: Iterable[int], run_one: Callable[[int], dict]) -> list[dict]:
    """Rows ``{"seed", **run_one(seed), "wall_s"}``, one per seed, in order.

    ``wall_s`` is the wall time of ``run_one(seed)`` in this process (a resumed
    run counts only the part done now).
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds: expected at least one seed, got none")
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        row = run_one(seed)
        rows.append({"seed": seed, **row, "wall_s": time.perf_counter() - start})
    return rows
