import json
import os

import pytest

from lstmjax.train import atomic


def test_writes_the_json_and_creates_the_directory(tmp_path):
    path = atomic.write_json(tmp_path / "a" / "results.json", {"x": [1, 2], "y": None})
    assert json.loads(path.read_text()) == {"x": [1, 2], "y": None}
    assert os.listdir(path.parent) == ["results.json"]


def test_goes_through_a_temporary_file_renamed_over_the_target(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    target.write_text('{"old": true}')
    calls = []
    replace = os.replace

    def spy(src, dst):
        calls.append((src, dst, json.loads(target.read_text())))
        replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    atomic.write_json(target, {"new": True})
    ((src, dst, seen),) = calls
    assert str(src).startswith(str(tmp_path)) and str(dst) == str(target)
    assert seen == {"old": True}  # until the rename, readers see the old file
    assert json.loads(target.read_text()) == {"new": True}


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "results.json"
    target.write_text('{"old": true}')
    with pytest.raises(TypeError):
        atomic.write_json(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"old": True}
    assert os.listdir(tmp_path) == ["results.json"]


def test_the_file_is_fsynced_before_the_rename(tmp_path, monkeypatch):
    events = []
    fsync, replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (events.append("fsync"), fsync(fd))[1])
    monkeypatch.setattr(
        atomic.os, "replace", lambda a, b: (events.append("replace"), replace(a, b))[1]
    )
    atomic.write_json(tmp_path / "results.json", {})
    assert events[:2] == ["fsync", "replace"]


def test_fit_writes_config_json_atomically(tmp_path, monkeypatch):
    """open_run's config.json goes through the same write (no partial config on a crash)."""
    import jax
    import optax

    from lstmjax import train

    written = []
    write_text = atomic.write_text
    monkeypatch.setattr(atomic, "write_text", lambda p, t: (written.append(p), write_text(p, t))[1])
    state = train.create_state({"w": jax.numpy.zeros(2)}, optax.sgd(0.1), key=jax.random.key(0))
    train.open_run(tmp_path / "run", state, config={"b": 1, "a": 2})
    assert (tmp_path / "run" / "config.json") in written
    assert json.loads((tmp_path / "run" / "config.json").read_text()) == {"a": 2, "b": 1}
