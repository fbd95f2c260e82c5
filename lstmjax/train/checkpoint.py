"""Checkpoints of a run with Orbax: atomic, asynchronous, checked on restore.

A checkpoint at step ``s`` is the directory ``<dir>/<s>/`` holding three items:

- ``state``: the ``TrainState`` pytree (PRNG keys stored as their raw data);
- ``best``: the params with the best validation score so far, or the
  current params when there is no validation yet;
- ``meta``: JSON with the run's ``config``, the ``data_position`` (for the
  synthetic tasks, the step count), the wall time used so far, the best
  score and step, the ``signature`` (path -> ``dtype[shape]``) of every
  state leaf, the ``checksums`` of every leaf of ``state`` and ``best``, and
  the ``meta_checksum`` of the rest of the meta.

Orbax checksums its index files but not the array bytes, so a flipped byte
in an array chunk would restore a changed value silently. Each save therefore
records a BLAKE2b digest per array leaf (of its dtype, shape and C-order
little-endian bytes, keyed by the leaf path) in the meta, which Orbax writes
with the arrays in the same atomic save; ``restore`` recomputes the digests of
what it read and of the meta itself, and a mismatch is a ``CheckpointError``
naming the leaf. Checkpoints written before checksums existed restore with a
``UserWarning`` that corruption cannot be detected.

Orbax writes each save into ``<s>.orbax-checkpoint-tmp-*`` and renames it
when complete, so a save killed half-way never hides the previous checkpoint;
such leftovers are reported by ``incomplete()`` and ignored. Saves run in the
background (``enable_async_checkpointing``); ``close()`` waits for them.

``restore`` never falls back silently: an unreadable checkpoint, a checksum
mismatch, a config that differs from the current run's, or a state of another
shape raises ``CheckpointError`` naming the path and what differs.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import warnings
from typing import Any, NamedTuple

import jax
import numpy as np
import orbax.checkpoint as ocp

TMP_MARKER = ".orbax-checkpoint-tmp"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used to resume this run."""


class Restored(NamedTuple):
    """What ``Checkpoints.restore`` returns: the state, best params and the meta dict."""

    step: int
    state: Any
    best: Any
    meta: dict


def _is_key(x) -> bool:
    return hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _storable(tree):
    """Typed PRNG keys -> their uint32 key data (what Orbax can write)."""
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def _abstract(tree):
    """Shapes, dtypes and, for arrays, shardings: a restore lays the leaves out like
    the template's (on this run's devices, whatever topology saved them)."""
    return jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(
            np.shape(x), x.dtype, sharding=x.sharding if isinstance(x, jax.Array) else None
        ),
        _storable(tree),
    )


def signature(tree) -> dict[str, str]:
    """``{leaf path: "dtype[shape]"}`` of a pytree (keys as their raw data)."""
    leaves = jax.tree_util.tree_leaves_with_path(_storable(tree))
    return {
        jax.tree_util.keystr(path): f"{np.dtype(x.dtype).name}{list(np.shape(x))}"
        for path, x in leaves
    }


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def checksums(tree) -> dict[str, str]:
    """``{leaf path: BLAKE2b hex digest}`` of a pytree's leaves (keys as their raw data).

    Each digest covers the leaf's dtype name, shape and C-order little-endian
    bytes, so equal digests mean bitwise equal arrays.
    """
    out = {}
    for path, x in jax.tree_util.tree_leaves_with_path(_storable(tree)):
        a = np.asarray(x)
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        header = f"{a.dtype.name}{list(a.shape)}".encode()
        out[jax.tree_util.keystr(path)] = _digest(header + b"\0" + a.tobytes())
    return out


def _meta_checksum(meta: dict) -> str:
    """The digest of ``meta`` without its ``meta_checksum`` key, as canonical JSON."""
    rest = {k: v for k, v in meta.items() if k != "meta_checksum"}
    return _digest(json.dumps(rest, sort_keys=True).encode())


def _mismatches(item: str, saved: dict, current: dict) -> list[str]:
    return [
        f"{item}{k}: saved {saved.get(k, '<absent>')}, read {current.get(k, '<absent>')}"
        for k in sorted(set(saved) | set(current))
        if saved.get(k) != current.get(k)
    ]


def _check_meta(path: pathlib.Path, meta) -> None:
    """CheckpointError unless ``meta`` is a dict matching its checksum (warns if none)."""
    if not isinstance(meta, dict):
        raise CheckpointError(
            f"checkpoint {path} meta: expected a JSON object, got {type(meta).__name__}"
        )
    if "meta_checksum" not in meta:
        warnings.warn(
            f"checkpoint {path} was written without checksums (an older lstmjax); "
            "corrupted array bytes in it cannot be detected",
            stacklevel=3,
        )
    elif meta["meta_checksum"] != _meta_checksum(meta):
        raise CheckpointError(
            f"checkpoint {path} meta is corrupt: its checksum {meta['meta_checksum']!r} "
            f"does not match its content ({_meta_checksum(meta)!r}); not resuming. Delete "
            "or move that step directory to resume from an earlier one."
        )


def _diff(saved: dict, current: dict) -> list[str]:
    keys = sorted(set(saved) | set(current))
    return [
        f"{k}: checkpoint {saved.get(k, '<absent>')!r}, this run {current.get(k, '<absent>')!r}"
        for k in keys
        if saved.get(k, "<absent>") != current.get(k, "<absent>")
    ]


class Checkpoints:
    """The checkpoints of one run directory (see module doc).

    Args:
      directory: where the step directories live (created if missing).
      config: the run's config as a JSON-able dict; stored with each save and
        compared on restore.
      keep: how many of the latest checkpoints to keep.
      ignore: config keys that may differ on resume (e.g. ``"resume"``).
      check_config: compare configs on restore (off to inspect a checkpoint
        whose config you do not have).
    """

    def __init__(
        self, directory, *, config: dict, keep: int = 3, ignore=(), check_config: bool = True
    ):
        self.directory = pathlib.Path(directory).absolute()
        self.config = dict(config)
        self.ignore = frozenset(ignore)
        self.check_config = check_config
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, create=True, enable_async_checkpointing=True
        )
        self._manager = ocp.CheckpointManager(
            self.directory, options=options, item_names=("state", "best", "meta")
        )

    def latest(self) -> int | None:
        """The step of the last complete checkpoint, or None."""
        return self._manager.latest_step()

    def incomplete(self) -> list[str]:
        """Names of interrupted saves (Orbax temporary directories) in the directory."""
        return sorted(p.name for p in self.directory.iterdir() if TMP_MARKER in p.name)

    def save(self, step: int, state, *, best, meta: dict) -> None:
        """Starts saving ``state``, ``best`` and ``meta`` (plus config, signature) at ``step``.

        Returns once the arrays are copied off the device; the write finishes
        in the background. Waits for the previous save first.
        """
        meta = {
            **meta,
            "config": self.config,
            "signature": signature(state),
            "checksums": {"state": checksums(state), "best": checksums(best)},
        }
        meta = json.loads(json.dumps(meta))  # what restore will read back
        meta["meta_checksum"] = _meta_checksum(meta)
        self._manager.save(
            int(step),
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(_storable(state)),
                best=ocp.args.StandardSave(_storable(best)),
                meta=ocp.args.JsonSave(meta),
            ),
            force=True,
        )

    def restore(
        self, template_state, template_best, step: int | None = None, *, required_meta=None
    ) -> Restored:
        """Restores ``step`` (default the latest complete one) into the templates' structure.

        ``required_meta`` maps meta keys to the type (or tuple of types) each
        must have; ``bool`` never counts as a number.

        Raises:
          CheckpointError: no complete checkpoint; unreadable files; a leaf
            or the meta whose checksum differs from the saved one; another
            config (keys outside ``ignore``) or another state signature; a
            ``required_meta`` key missing or of another type.
        """
        step = self.latest() if step is None else step
        if step is None:
            raise CheckpointError(f"no complete checkpoint in {self.directory}")
        path = self.directory / str(step)
        try:
            meta = self._manager.restore(
                step, args=ocp.args.Composite(meta=ocp.args.JsonRestore())
            ).meta
        except Exception as err:
            raise CheckpointError(
                f"checkpoint {path} is unreadable (meta: {type(err).__name__}: {err}); "
                "not resuming. Delete or move that step directory to resume from an "
                "earlier one, or choose another run name to start afresh."
            ) from err
        _check_meta(path, meta)
        for key, types in (required_meta or {}).items():
            value = meta.get(key)
            if isinstance(value, bool) or not isinstance(value, types):
                raise CheckpointError(
                    f"checkpoint {path} meta: expected {key!r} of type {types}, got "
                    f"{type(value).__name__} {value!r}; not resuming. Delete or move that "
                    "step directory to resume from an earlier one."
                )
        saved = {k: v for k, v in meta.get("config", {}).items() if k not in self.ignore}
        current = {k: v for k, v in self.config.items() if k not in self.ignore}
        if self.check_config and (differences := _diff(saved, current)):
            raise CheckpointError(
                f"checkpoint {path} belongs to another config; not resuming. Differences: "
                + "; ".join(differences)
            )
        if differences := _diff(meta.get("signature", {}), signature(template_state)):
            raise CheckpointError(
                f"checkpoint {path} holds a state of another structure or shape; not "
                "resuming. Differences: " + "; ".join(differences)
            )
        try:
            restored = self._manager.restore(
                step,
                args=ocp.args.Composite(
                    state=ocp.args.StandardRestore(_abstract(template_state)),
                    best=ocp.args.StandardRestore(_abstract(template_best)),
                ),
            )
        except Exception as err:
            raise CheckpointError(
                f"checkpoint {path} is unreadable ({type(err).__name__}: {err}); not "
                "resuming. Delete or move that step directory to resume from an earlier "
                "one, or choose another run name to start afresh."
            ) from err
        if "checksums" in meta:
            saved = meta["checksums"]
            if mismatches := _mismatches("state", saved["state"], checksums(restored.state)) + (
                _mismatches("best", saved["best"], checksums(restored.best))
            ):
                raise CheckpointError(
                    f"checkpoint {path} is corrupt: the array bytes read differ from those "
                    "saved (checksum mismatch) at " + "; ".join(mismatches) + ". Not "
                    "resuming. Delete or move that step directory to resume from an earlier one."
                )
        return Restored(
            step=step,
            state=_unstorable(restored.state, template_state),
            best=_unstorable(restored.best, template_best),
            meta=meta,
        )

    def close(self) -> None:
        """Waits for pending saves to finish, then releases the manager."""
        self._manager.wait_until_finished()
        self._manager.close()


def _unstorable(tree, template):
    """Raw key data back to typed keys wherever ``template`` holds a typed key."""
    return jax.tree.map(
        lambda x, t: jax.random.wrap_key_data(x, impl=jax.random.key_impl(t)) if _is_key(t) else x,
        tree,
        template,
    )
