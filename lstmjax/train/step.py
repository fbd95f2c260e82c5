r"""A jitted, pure train step built from a loss function and any Optax optimizer.

The loss function has the signature ``loss_fn(params, batch, key) -> (loss,
metrics)``: a scalar loss and a dict of scalar metrics (possibly empty).
``key`` is a fresh PRNG key in training (for dropout) and ``None`` in
evaluation. One step is::

    key, step_key      = split(key)
    (loss, metrics), g = d/d params of loss_fn(params, batch, step_key)
    updates, opt_state = optimizer.update(g, opt_state, params)
    params, step       = params + updates, step + 1

Global-norm clipping (Pascanu et al. 2013), ``g <- g * min(1, c / ||g||_2)``,
is ``with_clipping(optimizer, c)``; schedules are the optimizer's own business
(``optax.adam(optax.cosine_decay_schedule(...))``).

Out-of-range ``lengths`` in a batch: by default the sequence functions clip
them into ``[0, T]`` inside the jitted step (safe, silent; see
``lstmjax.checked``). ``checked=True`` runs the step under
``lstmjax.checked`` and raises the named ``ValueError`` after a step whose
lengths were out of range, at the cost of one device-to-host read per step.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterable

import jax
import jax.numpy as jnp
import optax

from lstmjax import checked_mode
from lstmjax.train.mesh import keep_replicated, replicated, split_rows
from lstmjax.train.state import TrainState


def with_clipping(
    optimizer: optax.GradientTransformation, max_norm: float | None
) -> optax.GradientTransformation:
    """``optimizer`` preceded by clipping the gradients' global L2 norm to ``max_norm``.

    ``max_norm=None`` returns ``optimizer`` unchanged.
    """
    if max_norm is None:
        return optimizer
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real):
        raise TypeError(f"max_norm: expected a positive number or None, got {max_norm!r}")
    if not max_norm > 0:
        raise ValueError(f"max_norm: expected > 0 or None, got {max_norm}")
    return optax.chain(optax.clip_by_global_norm(max_norm), optimizer)


def make_train_step(
    loss_fn: Callable,
    optimizer: optax.GradientTransformation,
    *,
    jit: bool = True,
    compiler_options: dict | None = None,
    checked: bool = False,
    mesh=None,
) -> Callable:
    """Builds ``train_step(state, batch) -> (state, metrics)``.

    Args:
      loss_fn: ``(params, batch, key) -> (loss, metrics)``, see module doc.
      optimizer: any Optax gradient transformation (clipping via ``with_clipping``).
      jit: wrap the step in ``jax.jit`` (turn off to compose it yourself).
      compiler_options: XLA options for that ``jax.jit``, e.g.
        ``lstmjax.compiler_options()`` where the net's recurrent layers are plain
        LSTMs (see there: on CPU they slow the GRU and tanh RNN down).
      checked: raise on out-of-range ``lengths`` (module doc); needs ``jit``.
      mesh: a ``jax.sharding.Mesh`` with a ``"data"`` axis (``train.data_mesh``)
        for data parallelism: the state and metrics replicated, every batch
        leaf split along its first axis, scalars replicated
        (``lstmjax.train.mesh``); None for one device. Arguments already laid
        out so (``shard_batch``, ``replicate``) are used in place, others are
        placed by ``jit``.

    Returns:
      The step. ``metrics`` holds ``loss``, ``grad_norm`` (before any clipping)
      and the loss function's own metrics, as float32 scalars on device.
    """

    def train_step(state: TrainState, batch) -> tuple[TrainState, dict]:
        key, step_key = jax.random.split(state.key)
        (loss, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            state.params, batch, step_key
        )
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics = {"loss": loss, "grad_norm": optax.tree.norm(grads), **metrics}
        metrics = {k: jnp.asarray(v, jnp.float32) for k, v in metrics.items()}
        return TrainState(params, opt_state, state.step + 1, key), metrics

    return _compile(train_step, jit, compiler_options, checked, mesh)


def make_eval_step(
    loss_fn: Callable,
    *,
    jit: bool = True,
    compiler_options: dict | None = None,
    checked: bool = False,
    mesh=None,
) -> Callable:
    """Builds ``eval_step(params, batch) -> metrics``: ``loss`` and the aux metrics, key None.

    ``jit``, ``compiler_options``, ``checked`` and ``mesh`` as for ``make_train_step``.
    """

    def eval_step(params, batch) -> dict:
        loss, metrics = loss_fn(params, batch, None)
        metrics = {"loss": loss, **metrics}
        return {k: jnp.asarray(v, jnp.float32) for k, v in metrics.items()}

    return _compile(eval_step, jit, compiler_options, checked, mesh)


def evaluate(eval_step: Callable, params, batches: Iterable) -> dict[str, float]:
    """Means of ``eval_step(params, batch)``'s metrics over ``batches``.

    Every batch counts equally, so give batches of equal size (the synthetic
    tasks do). Returns Python floats.
    """
    totals, count = None, 0
    for batch in batches:
        metrics = eval_step(params, batch)
        totals = metrics if totals is None else jax.tree.map(jnp.add, totals, metrics)
        count += 1
    if count == 0:
        raise ValueError("batches: expected at least one batch, got none")
    return {k: float(v) / count for k, v in totals.items()}


def _compile(step: Callable, jit: bool, compiler_options, checked: bool, mesh):
    """``step`` jitted (or not), sharded over ``mesh``, and raising failed checks if ``checked``."""
    if not jit:
        for flag, value in (("checked", checked), ("mesh", mesh)):
            if value:
                raise ValueError(
                    f"{flag}: needs jit=True; to compose the step yourself, jit it with "
                    "lstmjax.checked / split_rows and keep_replicated from lstmjax.train.mesh"
                )
        return step
    if mesh is not None:
        step = _on_mesh(step, mesh)
    options = dict(compiler_options=compiler_options or {})
    if not checked:
        return jax.jit(step, **options)
    if mesh is not None:
        options["out_shardings"] = (replicated(mesh), replicated(mesh))
    compiled = jax.jit(checked_mode.checked(step), **options)

    @functools.wraps(step)
    def checked_step(*args):
        error, out = compiled(*args)
        error.throw()
        return out

    return checked_step


def _on_mesh(step: Callable, mesh) -> Callable:
    """``step(state, batch)`` with the state and outputs replicated and the batch rows split."""

    @functools.wraps(step)
    def sharded_step(state, batch):
        return keep_replicated(step(keep_replicated(state, mesh), split_rows(batch, mesh)), mesh)

    return sharded_step
