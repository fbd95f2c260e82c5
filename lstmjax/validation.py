"""Trace-time checks of the arguments of the sequence functions and of ``Cell.step``.

Each raises ``TypeError`` or ``ValueError`` with a message that names the
argument, what was expected and what came. All checks read static shapes and
dtypes; ``lengths`` values are checked when they are concrete (outside
``jax.jit``) and, inside it, only in checked mode (``lstmjax.checked``);
otherwise traced lengths act clipped into ``[0, T]`` (``lstmjax.masking``).
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np

from lstmjax.checked_mode import check_traced_lengths

IMPLEMENTATIONS = ("auto", "reference", "fused")
LAYER_PROTOCOL = ("init", "apply", "initial_carry", "step", "output_size", "causal")


def check_layer(layer, argname: str = "layer"):
    """``layer`` if it follows the layer protocol (a cell, ``Bidirectional``, ``Stack``)."""
    missing = [name for name in LAYER_PROTOCOL if not hasattr(layer, name)]
    if missing:
        raise TypeError(
            f"{argname}: expected a layer (a cell, Bidirectional or Stack with "
            f"{', '.join(LAYER_PROTOCOL)}), got {type(layer).__name__} without {missing}"
        )
    return layer


def check_key(key, argname: str = "key"):
    """``key`` if it is a PRNG key: typed (``jax.random.key``) or raw ``uint32 [K]``.

    A plain int (a seed) is refused with a message saying how to make a key.
    """
    dtype = getattr(key, "dtype", None)
    if dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key):
        return key
    if dtype == jnp.uint32 and getattr(key, "ndim", None) == 1:
        return key
    got = f"{dtype} array of shape {key.shape}" if dtype is not None else repr(key)
    raise TypeError(f"{argname}: expected a PRNG key such as jax.random.key(0), got {got}")


def check_int_array(x, argname: str, layout: str) -> None:
    """``x`` is an integer array of the rank of ``layout`` (e.g. ``"[B, T]"``), else raises."""
    dtype = getattr(x, "dtype", None)
    if dtype is None or not jnp.issubdtype(dtype, jnp.integer):
        got = type(x).__name__ if dtype is None else dtype
        raise TypeError(f"{argname}: expected an integer array {layout}, got {got}")
    if x.ndim != layout.count(",") + 1:
        raise ValueError(f"{argname}: expected shape {layout}, got {x.shape}")


def check_flag(value, argname: str) -> bool:
    """Returns ``value`` if it is a bool (NumPy's too), else raises ``TypeError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argname}: expected True or False, got {value!r}")
    return bool(value)


def check_unroll(unroll, num_steps=None) -> int | None:
    """``unroll`` is None or a positive int (``lax.scan`` would round or reject others).

    With a symbolic ``num_steps`` (``jax.export``) only 1 or None can run:
    ``lax.scan`` cannot split a loop of unknown length into unrolled blocks.
    """
    if unroll is None:
        return None
    if isinstance(unroll, bool) or not isinstance(unroll, numbers.Integral) or unroll < 1:
        raise ValueError(f"unroll: expected None or a positive int, got {unroll!r}")
    if unroll > 1 and num_steps is not None and jax.export.is_symbolic_dim(num_steps):
        raise ValueError(
            f"unroll: a symbolic sequence length ({num_steps}) runs with unroll 1 or None, "
            f"got {unroll}"
        )
    return int(unroll)


def check_implementation(implementation) -> str:
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(
            f"implementation: expected one of {IMPLEMENTATIONS}, got {implementation!r}"
        )
    return implementation


def check_float_params(params, argname: str = "params") -> list:
    """The params' leaves, each a floating array, else ``TypeError`` naming the leaf."""
    leaves = jax.tree_util.tree_leaves_with_path(params)
    for path, leaf in leaves:
        dtype = getattr(leaf, "dtype", None)
        if dtype is None or not jnp.issubdtype(dtype, jnp.floating):
            raise TypeError(
                f"{argname}{jax.tree_util.keystr(path)}: expected a floating array, got "
                f"{dtype if dtype is not None else type(leaf).__name__}"
            )
    return [leaf for _, leaf in leaves]


def check_input_features(cell, params, xs, argname: str = "xs") -> None:
    """``xs [..., D]`` has the ``D`` the params expect (``cell.input_size`` or a trace)."""
    layout = f"the last axis of {argname}"
    if cell.input_size is not None:
        expected = cell.input_size(params)
        if xs.shape[-1] != expected:
            raise ValueError(
                f"{argname}: expected {expected} features (the params' input size) in "
                f"{layout}, got shape {xs.shape}"
            )
        return
    k = cell.feature_ndim
    probe = jax.ShapeDtypeStruct((1,) + tuple(xs.shape[xs.ndim - k :]), xs.dtype)
    try:
        jax.eval_shape(cell.input_projection, params, probe)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{argname}: {xs.shape[-1]} features in {layout} do not fit this "
            f"{cell.name} cell's input_projection: {err}"
        ) from err


def check_inputs(
    xs, *, time_major: bool, feature_ndim: int = 1, argname: str = "xs"
) -> tuple[int, tuple[int, ...]]:
    """Checks ``xs``'s type, dtype and rank and returns ``(num_steps, batch_shape)``.

    ``xs`` is ``[..., T, *F]`` (``[T, ..., *F]`` time-major) with ``feature_ndim``
    feature axes ``F`` (``[D]`` for dense cells, ``[height, width, C]`` for frames).
    """
    if not hasattr(xs, "shape") or not hasattr(xs, "dtype"):
        raise TypeError(f"{argname}: expected an array, got {type(xs).__name__}")
    if not jnp.issubdtype(xs.dtype, jnp.floating):
        raise TypeError(f"{argname}: expected a floating dtype, got {xs.dtype}")
    features = "D" if feature_ndim == 1 else "height, width, C" if feature_ndim == 3 else "*F"
    layout = f"[T, ..., {features}]" if time_major else f"[..., T, {features}]"
    if xs.ndim < feature_ndim + 1:
        raise ValueError(
            f"{argname}: expected rank >= {feature_ndim + 1} {layout}, got shape {xs.shape}"
        )
    if time_major:
        return xs.shape[0], tuple(xs.shape[1 : xs.ndim - feature_ndim])
    time_axis = xs.ndim - feature_ndim - 1
    return xs.shape[time_axis], tuple(xs.shape[:time_axis])


def check_lengths(lengths, batch_shape: tuple[int, ...], num_steps: int) -> None:
    """Checks that ``lengths`` is an integer array of ``batch_shape`` in ``[0, T]``."""
    if lengths is None:
        return
    if not hasattr(lengths, "shape") or not hasattr(lengths, "dtype"):
        raise TypeError(f"lengths: expected an integer array, got {type(lengths).__name__}")
    if not jnp.issubdtype(lengths.dtype, jnp.integer):
        raise TypeError(f"lengths: expected an integer dtype, got {lengths.dtype}")
    if tuple(lengths.shape) != batch_shape:
        raise ValueError(
            f"lengths: expected shape {batch_shape} (the batch shape of xs), got {lengths.shape}"
        )
    try:
        values = np.asarray(lengths)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        check_traced_lengths(lengths, num_steps)
        return
    if values.size and (values.min() < 0 or values.max() > num_steps):
        raise ValueError(
            f"lengths: expected values in [0, {num_steps}] (T), got min {values.min()} "
            f"and max {values.max()}"
        )


def check_carry(carry, expected, argname: str = "initial_carry"):
    """``carry`` in the tree structure of ``expected``, with its leaf shapes, or raises.

    A carry of another container with the same leaves in order (a plain
    ``(h, c)`` tuple for an ``LSTMState``) is accepted and restructured.
    Returns None for None.
    """
    if carry is None:
        return None
    want = jax.tree.structure(expected)
    leaves = jax.tree.leaves(carry)
    if len(leaves) != want.num_leaves:
        raise TypeError(
            f"{argname}: expected a pytree like {want}, got {jax.tree.structure(carry)}"
        )
    for leaf in leaves:
        if not hasattr(leaf, "shape") or not jnp.issubdtype(jnp.result_type(leaf), jnp.floating):
            raise TypeError(
                f"{argname}: expected floating arrays as leaves, got {type(leaf).__name__}"
                f" of dtype {getattr(leaf, 'dtype', None)}"
            )
    for w, g in zip(jax.tree.leaves(expected), leaves):
        if tuple(w.shape) != tuple(g.shape):
            raise ValueError(
                f"{argname}: expected leaf shapes {[x.shape for x in jax.tree.leaves(expected)]}, "
                f"got {[jnp.shape(x) for x in leaves]}"
            )
    return jax.tree.unflatten(want, leaves)


def check_step(cell, params, carry, x_t):
    """Checks ``Cell.step``'s arguments; returns the carry in the cell's structure."""
    cell.check_params(params)
    check_float_params(params)
    if not hasattr(x_t, "shape") or not hasattr(x_t, "dtype"):
        raise TypeError(f"x_t: expected an array, got {type(x_t).__name__}")
    if not jnp.issubdtype(x_t.dtype, jnp.floating):
        raise TypeError(f"x_t: expected a floating dtype, got {x_t.dtype}")
    k = cell.feature_ndim
    if x_t.ndim < k:
        raise ValueError(f"x_t: expected rank >= {k} (the cell's feature axes), got {x_t.shape}")
    check_input_features(cell, params, x_t, "x_t")
    expected = cell.initial_carry(tuple(x_t.shape[: x_t.ndim - k]))
    if carry is None:
        raise TypeError("carry: expected the cell's carry, got None (use cell.initial_carry)")
    return check_carry(carry, expected, f"carry (for x_t of shape {x_t.shape})")
