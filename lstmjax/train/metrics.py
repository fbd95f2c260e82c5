"""Metrics of a run: one JSON object per line, and a PNG of the curves.

Each record is ``{"step": int, "split": "train" | "val", "wall_time": s,
...metrics}``; train records also carry ``steps_per_sec`` and
``examples_per_sec``. ``truncate(step)`` drops records after a step, so a
resumed run rewrites exactly the lines the interrupted one had not
checkpointed.

Each line also carries ``"_crc32"``, the CRC-32 of the record's canonical
JSON (sorted keys, no ``_crc32``), so a flipped byte that still parses as
JSON is caught on reading instead of returning a changed value. Files written
before checksums existed (no line has one) are read with a ``UserWarning``.
"""

from __future__ import annotations

import json
import math
import pathlib
import warnings
import zlib
from collections.abc import Sequence

from lstmjax.train.atomic import write_text

CHECKSUM_KEY = "_crc32"


def _crc(record: dict) -> str:
    return f"{zlib.crc32(json.dumps(record, sort_keys=True).encode()):08x}"


def _line(record: dict) -> str:
    """One metrics line: ``record`` plus its checksum, as JSON with sorted keys."""
    return json.dumps({**record, CHECKSUM_KEY: _crc(record)}, sort_keys=True) + "\n"


def _parse(raw: bytes):
    """A line's JSON object, or the reason it is not one (a str)."""
    try:
        obj = json.loads(raw.decode())
    except UnicodeDecodeError as e:
        return f"not UTF-8: {e.reason}"
    except json.JSONDecodeError as e:
        return f"not valid JSON: {e.msg}"
    return obj if isinstance(obj, dict) else f"expected a JSON object, got {type(obj).__name__}"


def read_metrics(path) -> list[dict]:
    """All records of a JSONL metrics file (empty list if the file is missing).

    A last line that is not a JSON object (a write torn by a crash) is dropped
    with a ``UserWarning``. ``ValueError`` naming the file and line number is
    raised for an invalid line before the last, a checksum that does not
    match its record, or a line without a checksum in a file whose other lines
    have one. A file without any checksums is read with a ``UserWarning``.
    """
    path = pathlib.Path(path)
    if not path.exists():
        return []
    lines = [(i, raw) for i, raw in enumerate(path.read_bytes().split(b"\n"), 1) if raw.strip()]
    parsed = []
    for k, (number, raw) in enumerate(lines):
        obj = _parse(raw)
        if isinstance(obj, dict):
            parsed.append((number, obj))
        elif k == len(lines) - 1:
            warnings.warn(
                f"{path}: dropped a torn last line {number} ({obj}): {raw[:80]!r}", stacklevel=2
            )
        else:
            raise ValueError(f"{path}: line {number}: {obj}")
    with_checksum = [number for number, obj in parsed if CHECKSUM_KEY in obj]
    if parsed and not with_checksum:
        warnings.warn(
            f"{path} was written without checksums (an older lstmjax); corrupted values "
            "in it cannot be detected",
            stacklevel=2,
        )
    records = []
    for number, obj in parsed:
        record = {k: v for k, v in obj.items() if k != CHECKSUM_KEY}
        if with_checksum and obj.get(CHECKSUM_KEY) != _crc(record):
            raise ValueError(
                f"{path}: line {number} is corrupt: expected checksum {_crc(record)} of its "
                f"record, got {obj.get(CHECKSUM_KEY, '<none>')!r}"
            )
        records.append(record)
    return records


class MetricsWriter:
    """Appends records to ``path`` (flushed per record, so a crash loses nothing written)."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict) -> None:
        with self.path.open("a") as f:
            f.write(_line(record))

    def truncate(self, step: int) -> None:
        """Keeps only the records with ``record["step"] <= step``.

        Atomic: the kept records go to a temporary file in the same directory,
        which is fsynced and renamed over the metrics file, so a crash leaves
        either the old file or the new one, never a partial one.
        """
        kept = [r for r in read_metrics(self.path) if r["step"] <= step]
        write_text(self.path, "".join(map(_line, kept)))


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
