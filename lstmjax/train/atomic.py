"""Atomic file writes: a reader (or a crash) sees the old file or the new, never half.

The text goes to a temporary file in the target's directory, is flushed and
``fsync``-ed, then ``os.replace``-d over the target (atomic on POSIX within
one file system); the directory is ``fsync``-ed so the rename survives a
crash. A failure before the rename leaves the old file and no temporary one.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile


def write_text(path, text: str) -> pathlib.Path:
    """Writes ``text`` to ``path`` atomically, creating its directory; returns the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    return path


def write_json(path, data, *, sort_keys: bool = False) -> pathlib.Path:
    """``data`` as indented JSON written atomically to ``path``; returns the path."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=sort_keys))


def _fsync_directory(directory: pathlib.Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
