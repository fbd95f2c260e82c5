"""``results.json``, written atomically: a reader sees the old file or the new, never half.

The JSON goes to a temporary file in the same directory, is flushed and
``fsync``-ed, then ``os.replace``-d over the target (atomic on POSIX within
one file system); the directory is ``fsync``-ed so the rename survives a
crash. A failure before the rename leaves the old file and no temporary one.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile


def write_json(path, data: dict) -> pathlib.Path:
    """Writes ``data`` as indented JSON to ``path`` atomically (creating its directory).

    Returns:
      ``path`` as a ``pathlib.Path``.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    return path


def _fsync_directory(directory: pathlib.Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
