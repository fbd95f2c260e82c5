"""metrics.jsonl: torn last lines, checksums of records, an atomic truncate."""

import json

import pytest

from lstmjax.train.metrics import MetricsWriter, read_metrics


def _write(path, records, tail=""):
    writer = MetricsWriter(path)
    for record in records:
        writer.write(record)
    with path.open("a") as f:
        f.write(tail)


def test_torn_last_line_is_dropped_and_reported(tmp_path):
    path = tmp_path / "metrics.jsonl"
    _write(path, [{"step": 1}, {"step": 2}], tail='{"step": 3, "lo')
    with pytest.warns(UserWarning, match="torn last line 3"):
        assert read_metrics(path) == [{"step": 1}, {"step": 2}]


def test_invalid_middle_line_raises_value_error_naming_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    _write(path, [{"step": 1}], tail='{bad\n{"step": 3}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_metrics(path)


def test_changed_value_fails_its_checksum(tmp_path):
    path = tmp_path / "metrics.jsonl"
    _write(path, [{"step": 1, "loss": 0.125}, {"step": 2, "loss": 0.25}])
    path.write_text(path.read_text().replace("0.125", "0.135"))
    with pytest.raises(ValueError, match="line 1 is corrupt: expected checksum"):
        read_metrics(path)


def test_line_without_checksum_among_checksummed_ones_is_an_error(tmp_path):
    path = tmp_path / "metrics.jsonl"
    _write(path, [{"step": 1}], tail='{"step": 2}\n')
    with pytest.raises(ValueError, match="line 2 is corrupt.*got '<none>'"):
        read_metrics(path)


def test_file_without_checksums_is_read_with_a_warning(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\n{"step": 2}\n')
    with pytest.warns(UserWarning, match="without checksums"):
        assert read_metrics(path) == [{"step": 1}, {"step": 2}]


def test_truncate_drops_torn_line_and_later_steps_leaving_no_temp(tmp_path):
    path = tmp_path / "metrics.jsonl"
    _write(path, [{"step": 1}, {"step": 2}, {"step": 3}], tail='{"st')
    with pytest.warns(UserWarning):
        MetricsWriter(path).truncate(2)
    assert read_metrics(path) == [{"step": 1}, {"step": 2}]
    assert all("_crc32" in json.loads(line) for line in path.read_text().splitlines())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.jsonl"]
