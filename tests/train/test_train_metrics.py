"""Metrics JSONL writing, truncation on resume, and the PNG plot."""

from __future__ import annotations

from lstmjax import train


def test_writer_appends_and_truncates(tmp_path):
    path = tmp_path / "run" / "metrics.jsonl"
    writer = train.MetricsWriter(path)
    for step in (2, 4, 6):
        writer.write({"step": step, "split": "train", "loss": 1.0 / step})
    writer.write({"step": 6, "split": "val", "loss": 0.5})
    writer.truncate(4)
    assert train.read_metrics(path) == [
        {"step": 2, "split": "train", "loss": 0.5},
        {"step": 4, "split": "train", "loss": 0.25},
    ]
    assert train.read_metrics(tmp_path / "missing.jsonl") == []


def test_plot_writes_a_png(tmp_path):
    records = [{"step": s, "split": "train", "loss": 1.0 / s, "acc": s / 10} for s in range(1, 9)]
    records.append({"step": 8, "split": "val", "loss": 0.2, "acc": 0.7})
    png = train.plot_metrics(
        records, tmp_path / "m.png", keys=("loss", "acc"), baselines={"loss": 1.0}
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
