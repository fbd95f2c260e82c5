"""Metrics of a run: one JSON object per line, and a PNG of the curves.

Each record is ``{"step": int, "split": "train" | "val", "wall_time": s,
...metrics}``; train records also carry ``steps_per_sec`` and
``examples_per_sec``. ``truncate(step)`` drops records after a step, so a
resumed run rewrites exactly the lines the interrupted one had not
checkpointed.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import warnings
from collections.abc import Sequence


def read_metrics(path) -> list[dict]:
    """All records of a JSONL metrics file (empty list if the file is missing).

    A last line that is not valid JSON (a write torn by a crash) is dropped
    with a ``UserWarning``; an invalid line before the last raises
    ``ValueError`` naming the file and line number.
    """
    path = pathlib.Path(path)
    if not path.exists():
        return []
    lines = [(i, line) for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
    records = []
    for k, (number, line) in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            if k == len(lines) - 1:
                warnings.warn(
                    f"{path}: dropped a torn last line {number} ({e.msg}): {line[:80]!r}",
                    stacklevel=2,
                )
            else:
                raise ValueError(f"{path}: line {number} is not valid JSON ({e.msg})") from e
    return records


class MetricsWriter:
    """Appends records to ``path`` (flushed per record, so a crash loses nothing written)."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")

    def truncate(self, step: int) -> None:
        """Keeps only the records with ``record["step"] <= step``.

        Atomic: the kept records go to a temporary file in the same directory,
        which is fsynced and renamed over the metrics file, so a crash leaves
        either the old file or the new one, never a partial one.
        """
        kept = [r for r in read_metrics(self.path) if r["step"] <= step]
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w") as f:
            f.write("".join(json.dumps(r, sort_keys=True) + "\n" for r in kept))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def plot_metrics(
    records: Sequence[dict],
    png_path,
    *,
    keys: Sequence[str] = ("loss",),
    title: str = "",
    baselines: dict[str, float] | None = None,
) -> pathlib.Path:
    """Plots ``keys`` against step, one panel per key, one line per split.

    Args:
      records: metrics records (``read_metrics``).
      png_path: where to write the PNG.
      keys: the metrics to plot; losses (keys containing "loss" or "mse") on a log axis.
      title: figure title.
      baselines: ``{key: value}`` drawn as a dashed horizontal line.

    Returns:
      The PNG path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    png_path = pathlib.Path(png_path)
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for split in ("train", "val"):
            points = [
                (r["step"], r[key])
                for r in records
                if r.get("split") == split and key in r and math.isfinite(r[key])
            ]
            if points:
                ax.plot(*zip(*points), label=split)
        if baselines and key in baselines:
            ax.axhline(baselines[key], color="gray", linestyle="--", label="baseline")
        if "loss" in key or "mse" in key:
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(key)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path
