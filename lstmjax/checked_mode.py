"""Checked mode: out-of-range ``lengths`` raise inside ``jax.jit`` too.

Outside ``jit`` the sequence functions check ``lengths`` in ``[0, T]`` and
raise ``ValueError``. Inside ``jit`` the values are not known while tracing,
so by default every path is safe by construction instead: lengths are
clipped into ``[0, T]`` before any mask or reversal is built (a length of
``T + 3`` runs as ``T``, ``-1`` as ``0``), so no index leaves the array and
no NaN appears, but nothing is reported.

``checked(fn)`` is the strict alternative, built on
``jax.experimental.checkify``: while ``fn`` is traced, the sequence functions
add a runtime check of the lengths' range, and the wrapped function returns
``(error, out)``; ``error.throw()`` raises the named message:

>>> import jax, jax.numpy as jnp, lstmjax as lj
>>> from jax.experimental import checkify
>>> cell = lj.lstm(4)
>>> params = cell.init(jax.random.key(0), 3)
>>> def loss_fn(params, xs, lengths):
...     ys, _ = lj.rnn(cell, params, xs, lengths=lengths)
...     return jnp.mean(ys**2)
>>> step = jax.jit(lj.checked(loss_fn))
>>> xs = jnp.ones((2, 5, 3))                      # [B, T, D], T = 5
>>> error, loss = step(params, xs, jnp.array([5, 2]))
>>> error.throw()                                 # in range: nothing raised
>>> error, loss = step(params, xs, jnp.array([7, 2]))
>>> try:
...     error.throw()
... except checkify.JaxRuntimeError as e:
...     print(e)
lengths: expected values in [0, 5] (T), got min 2 and max 7...

The check costs a reduction over the lengths and a device-to-host read of
the error per call; ``lstmjax.train.make_train_step(..., checked=True)``
uses it and throws after every step.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable

import jax.numpy as jnp
from jax.experimental import checkify

_CHECKING = contextvars.ContextVar("lstmjax_checked_lengths", default=False)


def checked(fn: Callable) -> Callable:
    """``fn`` under ``checkify``, with traced ``lengths`` range-checked.

    Returns:
      A function with ``fn``'s arguments returning ``(error, fn's output)``;
      it may be wrapped in ``jax.jit``. Call ``error.throw()`` to raise a
      failed check (``checkify.JaxRuntimeError`` naming ``lengths``).
    """

    @functools.wraps(fn)
    def with_checks(*args, **kwargs):
        token = _CHECKING.set(True)
        try:
            return fn(*args, **kwargs)
        finally:
            _CHECKING.reset(token)

    return checkify.checkify(with_checks, errors=checkify.user_checks)


def check_traced_lengths(lengths, num_steps: int) -> None:
    """Inside ``checked``: a runtime check that ``lengths`` lie in ``[0, T]``; else nothing."""
    if not _CHECKING.get() or lengths.size == 0:
        return
    checkify.check(
        jnp.all((lengths >= 0) & (lengths <= num_steps)),
        f"lengths: expected values in [0, {num_steps}] (T), got min {{lo}} and max {{hi}}",
        lo=jnp.min(lengths),
        hi=jnp.max(lengths),
    )
