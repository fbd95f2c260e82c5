"""metrics.jsonl: a torn last line is dropped with a warning; truncate is atomic."""

import json

import pytest

from lstmjax.train.metrics import MetricsWriter, read_metrics


def _write(path, records, tail=""):
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)


def test_torn_last_line_is_dropped_and_reported(tmp_path):
    path = tmp_path / "metrics.jsonl"
    _write(path, [{"step": 1}, {"step": 2}], tail='{"step": 3, "lo')
    with pytest.warns(UserWarning, match="torn last line 3"):
        assert read_metrics(path) == [{"step": 1}, {"step": 2}]


def test_invalid_middle_line_raises_value_error_naming_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\n{bad\n{"step": 3}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_metrics(path)


def test_truncate_drops_torn_line_and_later_steps_leaving_no_temp(tmp_path):
    path = tmp_path / "metrics.jsonl"
    _write(path, [{"step": 1}, {"step": 2}, {"step": 3}], tail='{"st')
    with pytest.warns(UserWarning):
        MetricsWriter(path).truncate(2)
    assert read_metrics(path) == [{"step": 1}, {"step": 2}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.jsonl"]
