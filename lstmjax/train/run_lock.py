"""One writer per run directory: an exclusive ``flock`` held for the life of a run.

``RunLock(run_dir)`` opens ``<run_dir>/run.lock`` and takes
``fcntl.flock(LOCK_EX | LOCK_NB)`` on it, then records the holder (pid, host,
start time) in the file. A second writer, in another process or in the same
one, fails at once with ``RunLockedError`` naming the directory and that
holder, before it writes anything else to the run directory.

The operating system drops the lock when the holder closes the file, exits or
is killed (``kill -9`` included), so a lock file left by a dead process never
blocks: only its stale record remains, and the next holder overwrites it.
``flock`` is not reliable on some network file systems (old NFS); run
directories there are not protected.

``exclusive_run_dir`` wraps a function with a ``run_dir`` argument (``fit``)
so that it runs holding the lock. In a multi-process run (``jax.distributed``)
the processes are one writer: process 0 holds the lock for them all.
"""

from __future__ import annotations

import datetime
import fcntl
import functools
import inspect
import json
import os
import pathlib
import socket

import jax

LOCK_NAME = "run.lock"


class RunLockedError(RuntimeError):
    """Another live process is writing the run directory."""


class RunLock:
    """The exclusive lock of one run directory (created if missing); a context manager.

    Raises:
      RunLockedError: another open file (another process, or another
        ``RunLock`` in this one) holds the lock.
    """

    def __init__(self, run_dir):
        self.run_dir = pathlib.Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise RunLockedError(
                f"run directory {self.run_dir} is being written by another process "
                f"({holder}; lock file {self.path}); expected no other live writer. Wait "
                "for that run to finish or stop it, or choose another run name."
            ) from None
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record, sort_keys=True) + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Releases the lock (idempotent); the file and its record stay."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _holder(fd: int) -> str:
    """The holder's record in words, or what is known when it cannot be read."""
    text = os.pread(fd, 4096, 0).decode(errors="replace").strip()
    try:
        record = json.loads(text)
        return f"pid {record['pid']} on host {record['host']}, started {record['started']}"
    except (ValueError, TypeError, KeyError):
        return f"holder record unreadable or not yet written: {text[:200]!r}"


def exclusive_run_dir(fn):
    """Makes ``fn(..., run_dir=..., ...)`` run holding ``RunLock(run_dir)``."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def locked(*args, **kwargs):
        if jax.process_index() != 0:
            return fn(*args, **kwargs)
        run_dir = signature.bind(*args, **kwargs).arguments["run_dir"]
        with RunLock(run_dir):
            return fn(*args, **kwargs)

    return locked
