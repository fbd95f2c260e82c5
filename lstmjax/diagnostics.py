r"""Diagnostics of a trained recurrent network: gate saturation and gradient reach.

**Gate saturation** (Karpathy et al. 2015, "Visualizing and understanding
recurrent networks"): a gate value near 0 or 1 is a hard decision (forget
all, keep all); the fraction of gate activations below ``t`` ("left
saturated") or above ``1 - t`` ("right saturated"), ``t = 0.1``, over the
valid steps of a batch, shows how a cell uses its gates. The gates are read
from the cell's own ``recurrent_step``: every sigmoid it computes is
recorded, in the order the step computes them, so this works for any cell,
custom ones included; for the built-in cells they are named (``forget``,
``input``, ``output``; ``reset``, ``update``).

**Gradient reach**: ``g_t = ||dL/dx_t||_2`` averaged over the batch, for every
step ``t``. For a loss on the last step, ``g_1 / g_T`` is how much of the
gradient survives the ``T - 1`` steps back to the first input: it decays
geometrically for the tanh RNN (vanishing gradients) and stays of order one
for the LSTM (the adding problem's table reports it).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.extend.core import Literal

from lstmjax.cells.base import Cell
from lstmjax.cells.conv import ConvGRUConfig, ConvLSTMConfig
from lstmjax.cells.gru import GRUConfig
from lstmjax.cells.lstm import LSTMConfig
from lstmjax.masking import length_mask

# Primitives whose inner jaxpr is a plain function call (inlined when recording).
_CALLS = {
    "pjit": "jaxpr",
    "jit": "jaxpr",
    "closed_call": "call_jaxpr",
    "custom_jvp_call": "call_jaxpr",
}


def _eval_recording(jaxpr, consts, args, recorded: list):
    """Evaluates ``jaxpr``, appending the output of every ``logistic`` (sigmoid) to ``recorded``."""
    env = {}

    def read(v):
        return v.val if isinstance(v, Literal) else env[v]

    env.update(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))
    for eqn in jaxpr.eqns:
        invals = [read(v) for v in eqn.invars]
        inner = eqn.params.get(_CALLS.get(eqn.primitive.name, ""), None)
        if inner is not None:
            outvals = _eval_recording(inner.jaxpr, inner.consts, invals, recorded)
        else:
            outvals = eqn.primitive.bind(*invals, **eqn.params)
            outvals = outvals if eqn.primitive.multiple_results else [outvals]
            if eqn.primitive.name == "logistic":
                recorded.append(outvals[0])
        env.update(zip(eqn.outvars, outvals))
    return [read(v) for v in jaxpr.outvars]


def recording_sigmoids(fn: Callable) -> Callable:
    """``fn`` returning ``(fn's output, [every sigmoid it computed, in order])``."""

    def run(*args):
        closed, out_shape = jax.make_jaxpr(fn, return_shape=True)(*args)
        recorded = []
        out = _eval_recording(closed.jaxpr, closed.consts, jax.tree.leaves(args), recorded)
        return jax.tree.unflatten(jax.tree.structure(out_shape), out), recorded

    return run


def gate_names(cell: Cell, count: int) -> tuple[str, ...]:
    """Names of the ``count`` sigmoids of ``cell``'s step, in the order it computes them."""
    config = cell.config
    if isinstance(config, LSTMConfig) and not config.coupled:
        names = ("forget", "input", "output")
    elif isinstance(config, LSTMConfig):
        names = ("forget", "output")
    elif isinstance(config, ConvLSTMConfig):
        names = ("forget", "input", "output")
    elif isinstance(config, (GRUConfig, ConvGRUConfig)):
        names = ("reset", "update")
    else:
        names = ()
    if len(names) != count:
        return tuple(f"sigmoid_{k}" for k in range(count))
    return names


def gate_statistics(
    cell: Cell, params, xs: jax.Array, *, lengths: jax.Array | None = None, threshold: float = 0.1
) -> dict[str, dict[str, jax.Array]]:
    """Saturation of each gate of ``cell`` over the valid steps of ``xs`` (module doc).

    Args:
      cell: any cell (its reference ``recurrent_step`` is run).
      params: the cell's params.
      xs: ``[B, T, *F]`` inputs.
      lengths: ``[B]`` valid steps per sequence, or None for all.
      threshold: ``t``; a value below ``t`` is left, above ``1 - t`` right saturated.

    Returns:
      ``{gate: {"mean", "left_saturated", "right_saturated"}}``, scalars: the
      mean gate value and the fractions of saturated values, over every unit
      of every valid step.
    """
    if not isinstance(cell, Cell):
        raise TypeError(f"cell: expected a Cell, got {type(cell).__name__}")
    if not 0.0 < threshold < 0.5:
        raise ValueError(f"threshold: expected a value in (0, 0.5), got {threshold!r}")
    k = cell.feature_ndim
    if xs.ndim != k + 2:
        raise ValueError(f"xs: expected [B, T, *F] with {k} feature axes, got shape {xs.shape}")
    batch, num_steps = xs.shape[:2]
    xp = cell.input_projection(params, jnp.moveaxis(xs, 1, 0))
    step = recording_sigmoids(cell.recurrent_step)

    def body(carry, xp_t):
        (carry, _), gates = step(params, carry, xp_t)
        return carry, gates

    _, gates = jax.lax.scan(body, cell.initial_carry((batch,)), xp)
    valid = (
        jnp.ones((num_steps, batch), bool) if lengths is None else length_mask(lengths, num_steps)
    )
    stats = {}
    for name, g in zip(gate_names(cell, len(gates)), gates):
        weight = valid.reshape(valid.shape + (1,) * (g.ndim - 2)) * jnp.ones_like(g)
        total = jnp.sum(weight)

        def frac(x, weight=weight, total=total):
            return jnp.sum(x * weight) / total

        stats[name] = {
            "mean": frac(g),
            "left_saturated": frac(g < threshold),
            "right_saturated": frac(g > 1.0 - threshold),
        }
    return stats


def gradient_norm_per_step(loss: Callable, xs: jax.Array, *, time_axis: int = 1) -> jax.Array:
    """``||dL/dx_t||_2`` for every step ``t``, averaged over the batch: ``[T]``.

    Args:
      loss: ``xs -> scalar``.
      xs: ``[B, T, D]`` (time on ``time_axis``, batch on the first other axis;
        any further axes are features).
      time_axis: the time axis of ``xs``.

    Returns:
      ``[T]``: the mean over the batch of each step's input-gradient norm.
    """
    grads = jnp.moveaxis(jax.grad(loss)(xs), time_axis, 1)
    norms = jnp.sqrt(jnp.sum(grads**2, axis=tuple(range(2, grads.ndim))))
    return jnp.mean(norms, axis=0)
