"""Data parallelism over a device mesh: the batch split along a data axis, params replicated.

``make_train_step(loss_fn, optimizer, mesh=data_mesh())`` compiles the step
with the state replicated on every device and every batch leaf split along
its first axis over the mesh's ``"data"`` axis; XLA then computes each
device's share of the forward and backward pass and sums the weight
gradients across devices with all-reduces. The same script runs on one CPU,
on 8 simulated CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count=8``),
on a multi-GPU host or a TPU slice: only the devices differ.
"""

from __future__ import annotations

import jax
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

DATA = "data"


def data_mesh(num_devices: int | None = None, axis: str = DATA) -> Mesh:
    """A 1-D mesh over the first ``num_devices`` devices (all if None), axis ``axis``.

    The axis is ``Auto`` (XLA propagates the shardings through the step), so
    a loss function needs no sharding annotations.
    """
    available = len(jax.devices())
    n = available if num_devices is None else num_devices
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= available:
        raise ValueError(f"num_devices: expected an int in [1, {available}], got {num_devices!r}")
    return jax.make_mesh((n,), (axis,), axis_types=(AxisType.Auto,), devices=jax.devices()[:n])


def parse_mesh(spec: str) -> Mesh:
    """``"data=8"`` -> ``data_mesh(8)``; ``"data"`` -> every device."""
    name, _, size = str(spec).partition("=")
    if name != DATA or (size and not size.isdigit()):
        raise ValueError(f"mesh: expected 'data' or 'data=N', got {spec!r}")
    return data_mesh(int(size) if size else None)


def replicated(mesh: Mesh) -> NamedSharding:
    """Every device holds the whole array."""
    return NamedSharding(mesh, P())


def batch_sharding(mesh: Mesh, axis: str = DATA) -> NamedSharding:
    """The first axis split over ``axis``, the rest whole."""
    return NamedSharding(mesh, P(axis))


def shard_batch(batch, mesh: Mesh, axis: str = DATA):
    """``batch``'s leaves placed with their first axis split over the mesh's ``axis``.

    Raises ``ValueError`` naming the leaf when its first axis does not divide
    evenly over the devices.
    """
    n = mesh.shape[axis]
    for path, leaf in jax.tree_util.tree_leaves_with_path(batch):
        if leaf.ndim == 0 or leaf.shape[0] % n:
            raise ValueError(
                f"batch{jax.tree_util.keystr(path)}: expected a first axis divisible by "
                f"the {n} devices of mesh axis {axis!r}, got shape {leaf.shape}"
            )
    return jax.device_put(batch, batch_sharding(mesh, axis))
