"""Data parallelism over a device mesh: the batch split along a data axis, params replicated.

``make_train_step(loss_fn, optimizer, mesh=data_mesh())`` compiles the step
with the state replicated on every device and every batch leaf split along
its first axis (its rows) over the mesh's ``"data"`` axis (scalar leaves, such
as a stream's reset flag, replicated); XLA then computes each device's share of
the forward and backward pass and sums the weight gradients across devices
with one all-reduce. The same script runs on one CPU, on 8 simulated CPU
devices (``XLA_FLAGS=--xla_force_host_platform_device_count=8``), on a
multi-GPU host, a TPU slice or several processes joined by
``jax.distributed.initialize``: only the devices differ.

Params stay replicated: an LSTM layer of hidden size ``H`` over ``D`` inputs
has ``16 H (D + H)`` bytes of float32 weights, and the one all-reduce per step
moves exactly the gradients' bytes (plus the loss's 4; docs/guides/scaling.md
measures both from the compiled step). At ``H = 4096`` that is under 1 GiB for
two layers, a small part of an accelerator's memory, while a model axis
would need a collective at every time step of the recurrence.

Placing data (outside ``jit``): ``shard_batch`` (every process holds the whole
batch), ``shard_process_batch`` (each process holds its own rows),
``replicate`` (the state). Inside a step: ``split_rows`` and ``keep_replicated``
constrain traced values to those layouts. ``collectives`` reads what a
compiled step sends between devices.
"""

from __future__ import annotations

import math
import re

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

DATA = "data"


def data_mesh(num_devices: int | None = None, axis: str = DATA) -> Mesh:
    """A 1-D mesh over the first ``num_devices`` devices (all if None), axis ``axis``.

    The axis is ``Auto`` (XLA propagates the shardings through the step), so
    a loss function needs no sharding annotations. With several processes
    (``jax.distributed``) the devices are the global ones, every process's.
    """
    available = len(jax.devices())
    n = available if num_devices is None else num_devices
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= available:
        raise ValueError(f"num_devices: expected an int in [1, {available}], got {num_devices!r}")
    return jax.make_mesh((n,), (axis,), axis_types=(AxisType.Auto,), devices=jax.devices()[:n])


def parse_mesh(spec: str) -> Mesh | None:
    """The ``--mesh`` flag: ``"data=8"`` -> ``data_mesh(8)``; ``"data"`` -> every
    device; ``""`` or ``"none"`` -> None (one device, no mesh)."""
    if str(spec) in ("", "none"):
        return None
    name, _, size = str(spec).partition("=")
    if name != DATA or (size and not size.isdigit()):
        raise ValueError(f"mesh: expected '', 'none', 'data' or 'data=N', got {spec!r}")
    available = len(jax.devices())
    if size and not 1 <= int(size) <= available:
        raise ValueError(
            f"mesh: {spec!r} asks for {int(size)} devices, {available} available (on CPU, "
            "simulate more with XLA_FLAGS=--xla_force_host_platform_device_count=8)"
        )
    return data_mesh(int(size) if size else None)


def replicated(mesh: Mesh) -> NamedSharding:
    """Every device holds the whole array."""
    return NamedSharding(mesh, P())


def batch_sharding(mesh: Mesh, axis: str = DATA) -> NamedSharding:
    """The first axis split over ``axis``, the rest whole."""
    return NamedSharding(mesh, P(axis))


def _row_sharding(leaf, mesh: Mesh, axis: str) -> NamedSharding:
    return batch_sharding(mesh, axis) if np.ndim(leaf) else replicated(mesh)


def _check_rows(batch, n: int, axis: str, name: str) -> None:
    for path, leaf in jax.tree_util.tree_leaves_with_path(batch):
        if np.ndim(leaf) and np.shape(leaf)[0] % n:
            raise ValueError(
                f"{name}{jax.tree_util.keystr(path)}: expected a first axis divisible by "
                f"the {n} devices of mesh axis {axis!r}, got shape {np.shape(leaf)}"
            )


def _place(x, sharding: NamedSharding):
    """``x`` (the same whole value on every process) laid out as ``sharding``."""
    if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        return jax.random.wrap_key_data(
            _place(jax.random.key_data(x), sharding), impl=jax.random.key_impl(x)
        )
    if jax.process_count() == 1 or (isinstance(x, jax.Array) and not x.is_fully_addressable):
        return jax.device_put(x, sharding)
    host = np.asarray(x)
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def shard_batch(batch, mesh: Mesh, axis: str = DATA):
    """``batch``'s leaves placed with their first axis split over the mesh's ``axis``.

    With several processes each passes the same whole batch and keeps only
    its devices' rows. Scalar leaves, and leaves whose rows do not divide
    evenly over the devices (59 rows on 8), are placed whole on every device
    instead: a step built with the mesh still splits their rows inside
    ``jit`` (XLA pads the last devices' shares), so only the transfer differs.
    """
    n = mesh.shape[axis]

    def place(x):
        split = np.ndim(x) and np.shape(x)[0] % n == 0
        return _place(x, batch_sharding(mesh, axis) if split else replicated(mesh))

    return jax.tree.map(place, batch)


def shard_process_batch(local_batch, mesh: Mesh, axis: str = DATA):
    """The global batch whose rows are every process's ``local_batch`` rows, in process order.

    Each process passes only its own rows ``[B / num_processes, ...]`` (e.g.
    read from its own shard of the files); the result has ``B`` rows split
    over the mesh's ``axis``. Scalar leaves must be equal on every process.
    With one process this is ``shard_batch``.

    Raises ``ValueError`` naming the leaf when its rows do not divide evenly
    over this process's devices on the mesh.
    """
    local_devices = sum(d.process_index == jax.process_index() for d in mesh.devices.flat)
    _check_rows(local_batch, local_devices, axis, name="local_batch")
    return jax.tree.map(
        lambda x: jax.make_array_from_process_local_data(
            _row_sharding(x, mesh, axis), np.asarray(x)
        ),
        local_batch,
    )


def replicate(tree, mesh: Mesh):
    """``tree``'s leaves on every device of ``mesh`` (the same value on every process)."""
    return jax.tree.map(lambda x: _place(x, replicated(mesh)), tree)


def split_rows(tree, mesh: Mesh, axis: str = DATA):
    """Inside ``jit``: ``tree``'s leaves constrained to rows split over ``axis``, scalars whole."""
    return jax.tree.map(
        lambda x: jax.lax.with_sharding_constraint(x, _row_sharding(x, mesh, axis)), tree
    )


def keep_replicated(tree, mesh: Mesh):
    """Inside ``jit``: constrains ``tree``'s leaves to be whole on every device."""
    return jax.lax.with_sharding_constraint(tree, replicated(mesh))


_COLLECTIVE = re.compile(
    r"= (.*?) (all-reduce|all-gather|reduce-scatter|all-to-all|collective-permute)(?:-start)?\("
)
_SHAPE = re.compile(r"\b([a-z]+\d*)\[([\d,]*)\]")
_ITEMSIZE = {"pred": 1, "s8": 1, "u8": 1, "f16": 2, "bf16": 2, "s16": 2, "u16": 2}
_ITEMSIZE |= {"f32": 4, "s32": 4, "u32": 4, "f64": 8, "s64": 8, "u64": 8}


def collectives(hlo: str) -> dict[str, list[int]]:
    """``{op: [count, bytes]}`` of the cross-device collectives in compiled HLO text.

    ``hlo`` is ``jitted.lower(*args).compile().as_text()``; ``bytes`` sums
    each op's result shapes (an all-reduce's result is what every device
    contributes and receives). Asynchronous ``*-start`` ops (GPU) count as
    their op; their ``*-done`` halves are not counted again.

    Example: a data-parallel step (``make_train_step(..., mesh=)``) of the
    fused LSTM compiles to ``{"all-reduce": [1, gradient bytes + 4]}``: one
    all-reduce of the gradients and the loss.
    """
    found: dict[str, list[int]] = {}
    for line in hlo.splitlines():
        match = _COLLECTIVE.search(line)
        if not match:
            continue
        size = 0
        for dtype, dims in _SHAPE.findall(match.group(1)):
            if dtype not in _ITEMSIZE:
                raise ValueError(f"hlo: expected element types {sorted(_ITEMSIZE)}, got {dtype!r}")
            size += _ITEMSIZE[dtype] * math.prod(int(d) for d in dims.split(",") if d)
        count, total = found.get(match.group(2), [0, 0])
        found[match.group(2)] = [count + 1, total + size]
    return found
