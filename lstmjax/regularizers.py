r"""Recurrent regularisers: variational dropout and zoneout, on any layer of dense cells.

**Variational dropout** (Gal & Ghahramani 2016): ONE dropout mask per
sequence, the same at every time step, on the inputs and on the hidden state
where it enters the recurrent product (inverted: kept units scaled by
``1 / (1 - p)``)::

    m_x ~ Bernoulli(1 - p_x)^D / (1 - p_x),   m_h ~ Bernoulli(1 - p_h)^P / (1 - p_h)
    x~_t = m_x . x_t,                          h_{t-1} -> m_h . h_{t-1}   in  h_{t-1} W_hh

**Zoneout** (Krueger et al. 2017): each unit of each carry leaf (an LSTM's
``h`` and ``c``) keeps its previous value with probability ``z``, drawn anew
at every step; at evaluation the expectation::

    d_t ~ Bernoulli(z):   s_t = d_t . s_{t-1} + (1 - d_t) . s~_t        (train)
                          s_t = z s_{t-1} + (1 - z) s~_t                 (evaluation)

where ``s~_t`` is the cell's own update. The step's output is the zoned
state where the cell outputs a carry leaf (``y_t = h_t``, as for every
built-in cell).

Both are off at evaluation (``train=False``), except zoneout's expectation.
The per-step randomness reaches the cell's ``recurrent_step`` through the
sequence itself: the masks and zoneout draws are appended to ``xs`` as extra
features that a derived cell's ``input_projection`` splits off, so lengths,
``reverse``, bidirectional layers, stacks and ``remat`` handle them as they
handle inputs. That derived cell has no fused kernel: with recurrent dropout
or zoneout the layer runs the reference scan (``implementation="fused"`` is
an error); input dropout alone keeps the kernel.
"""

from __future__ import annotations

import inspect
import numbers
from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmjax._bidirectional import Bidirectional
from lstmjax.cells.base import Cell, make_cell
from lstmjax.validation import check_flag, check_inputs, check_key


def _rate(value, argname: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value < 1.0:
        raise ValueError(f"{argname}: expected a rate in [0, 1), got {value!r}")
    return float(value)


def _keep_mask(key, shape, rate: float, dtype) -> jax.Array:
    """Inverted dropout mask: ``Bernoulli(1 - rate) / (1 - rate)``."""
    return jax.random.bernoulli(key, 1.0 - rate, shape).astype(dtype) / (1.0 - rate)


class _Extras(NamedTuple):
    """Sizes of the features appended to ``xs``: the hidden mask and the zoneout draws."""

    hidden: int
    zoneout: int


def _derived_cell(cell: Cell, zoneout: tuple[float, ...], extras: _Extras, train: bool) -> Cell:
    """``cell`` reading ``[x | m_h | u]`` inputs: its step under a hidden mask and zoneout."""
    widths = [int(x.shape[-1]) for x in jax.tree.leaves(cell.initial_carry(()))]
    if any(z > 0 for z in zoneout) and len(zoneout) != len(widths):
        raise ValueError(
            f"zoneout: expected one rate or {len(widths)} (one per carry leaf), got {zoneout}"
        )
    num_extra = extras.hidden + extras.zoneout

    def input_projection(params, xs):
        d = xs.shape[-1] - num_extra
        xp = cell.input_projection(params, xs[..., :d])
        return xp, xs[..., d : d + extras.hidden], xs[..., d + extras.hidden :]

    def recurrent_step(params, carry, inputs):
        xp_t, hidden_mask, draws = inputs
        step_inputs = {"hidden_mask": hidden_mask} if extras.hidden else {}
        new_carry, y = cell.recurrent_step(params, carry, xp_t, **step_inputs)
        if not any(z > 0 for z in zoneout):
            return new_carry, y
        old_leaves, treedef = jax.tree.flatten(carry)
        new_leaves = jax.tree.leaves(new_carry)
        zoned, start = [], 0
        for old, new, z, width in zip(old_leaves, new_leaves, zoneout, widths):
            if train:
                keep = (draws[..., start : start + width] < z).astype(new.dtype)
            else:
                keep = jnp.asarray(z, new.dtype)
            zoned.append(keep * old + (1 - keep) * new)
            start += width
        y = next((z for n, z in zip(new_leaves, zoned) if n is y), y)
        return jax.tree.unflatten(treedef, zoned), y

    def input_size(params):
        return cell.input_size(params) + num_extra

    return make_cell(
        f"{cell.name}+regularized",
        cell.hidden_size,
        cell.output_size,
        cell.compute_dtype,
        init=cell.init,
        initial_carry=cell.initial_carry,
        input_projection=input_projection,
        recurrent_step=recurrent_step,
        check_params=cell.check_params,
        input_size=None if cell.input_size is None else input_size,
    )


class Regularized(NamedTuple):
    """A cell or bidirectional layer with variational dropout and zoneout (module doc).

    Follows the layer protocol; ``init``, ``initial_carry``, ``output_size``
    and ``causal`` are the wrapped layer's. ``step`` runs as at evaluation.
    """

    layer: Cell | Bidirectional
    input_dropout: float = 0.0
    recurrent_dropout: float = 0.0
    zoneout: tuple[float, ...] = (0.0,)

    @property
    def cell(self) -> Cell:
        return self.layer.cell if isinstance(self.layer, Bidirectional) else self.layer

    @property
    def output_size(self) -> int:
        return self.layer.output_size

    @property
    def causal(self) -> bool:
        return self.layer.causal

    def init(self, key, input_size: int):
        return self.layer.init(key, input_size)

    def initial_carry(self, batch_shape=(), dtype=jnp.float32):
        return self.layer.initial_carry(batch_shape, dtype)

    def check_params(self, params, argname: str = "params") -> None:
        self.layer.check_params(params, argname)

    def _zoneout(self) -> tuple[float, ...]:
        widths = len(jax.tree.leaves(self.cell.initial_carry(())))
        return self.zoneout * widths if len(self.zoneout) == 1 else self.zoneout

    def step(self, params, carry, x_t, **step_inputs):
        """One step as at evaluation: no dropout, zoneout's expectation.

        ``x_t [B, D]`` -> ``(carry, y_t [B, O])``, as the wrapped layer's ``step``.
        """
        if not any(z > 0 for z in self.zoneout):
            return self.layer.step(params, carry, x_t, **step_inputs)
        cell = _derived_cell(self.cell, self._zoneout(), _Extras(0, 0), train=False)
        return cell.step(params, carry, x_t, **step_inputs)

    def apply(self, params, xs, *, train: bool = False, dropout_key=None, time_major=False, **kw):
        """Runs the layer over ``xs [..., T, D]``; ``train=True`` draws masks from ``dropout_key``.

        Args:
          params, xs, time_major: as for the wrapped layer's ``apply``.
          **kw: the keywords of ``lstmjax.rnn`` (lengths, initial_carry, unroll,
            implementation, remat; ``reverse`` for a cell).
          train: apply the dropout masks and zoneout draws (else evaluation).
          dropout_key: PRNG key for them, needed when ``train``.

        Returns:
          The wrapped layer's ``(ys, final_carry)``.
        """
        train = check_flag(train, "train")
        zoneout = self._zoneout()
        zoned = any(z > 0 for z in zoneout)
        if not train and not zoned:
            return self.layer.apply(params, xs, time_major=time_major, **kw)
        _, batch_shape = check_inputs(xs, time_major=time_major)
        extras = _Extras(0, 0)
        if train:
            if dropout_key is None:
                raise ValueError("dropout_key: expected a PRNG key when train=True")
            k_x, k_h, k_z = jax.random.split(check_key(dropout_key, "dropout_key"), 3)
            per_sequence = (1,) + batch_shape if time_major else batch_shape + (1,)
            if self.input_dropout > 0:
                mask = _keep_mask(k_x, per_sequence + xs.shape[-1:], self.input_dropout, xs.dtype)
                xs = xs * mask
            columns = []
            if self.recurrent_dropout > 0:
                hidden = _keep_mask(
                    k_h, batch_shape + (self.cell.output_size,), self.recurrent_dropout, xs.dtype
                )
                hidden = jnp.expand_dims(hidden, 0 if time_major else -2)
                columns.append(jnp.broadcast_to(hidden, xs.shape[:-1] + hidden.shape[-1:]))
            if zoned:
                widths = sum(int(x.shape[-1]) for x in jax.tree.leaves(self.cell.initial_carry(())))
                columns.append(jax.random.uniform(k_z, xs.shape[:-1] + (widths,), xs.dtype))
            extras = _Extras(
                self.cell.output_size if self.recurrent_dropout > 0 else 0,
                columns[-1].shape[-1] if zoned else 0,
            )
            if columns:
                xs = jnp.concatenate([xs] + columns, axis=-1)
        if extras == _Extras(0, 0) and not zoned:
            return self.layer.apply(params, xs, time_major=time_major, **kw)
        cell = _derived_cell(self.cell, zoneout, extras, train)
        layer = self.layer._replace(cell=cell) if isinstance(self.layer, Bidirectional) else cell
        return layer.apply(params, xs, time_major=time_major, **kw)


def regularize(
    layer, *, input_dropout: float = 0.0, recurrent_dropout: float = 0.0, zoneout=0.0
) -> Regularized:
    """``layer`` (a dense cell or ``lj.bidirectional(cell)``) with recurrent regularisers.

    Args:
      layer: the layer to regularise.
      input_dropout: variational dropout rate on the inputs (one mask per sequence).
      recurrent_dropout: variational dropout rate on the hidden state entering
        the recurrent product (the cell's ``recurrent_step`` must take
        ``hidden_mask``, as the built-in LSTM, GRU and tanh RNN do).
      zoneout: rate at which units keep their previous state: one rate for
        every carry leaf, or one per leaf (an LSTM's ``(z_h, z_c)``).

    Returns:
      A ``Regularized`` layer.

    >>> import jax, jax.numpy as jnp, lstmjax as lj
    >>> layer = lj.regularize(lj.lstm(8), input_dropout=0.2, recurrent_dropout=0.25,
    ...                       zoneout=(0.1, 0.05))                 # (z_h, z_c)
    >>> params = layer.init(jax.random.key(0), 3)
    >>> xs = jnp.ones((2, 5, 3))                                   # [B, T, D]
    >>> ys, _ = layer.apply(params, xs, train=True, dropout_key=jax.random.key(1))
    >>> ys_eval, _ = layer.apply(params, xs)                       # evaluation: expectations
    >>> ys.shape, ys_eval.shape                                    # [B, T, H]
    ((2, 5, 8), (2, 5, 8))
    """
    if not isinstance(layer, (Cell, Bidirectional)):
        raise TypeError(
            f"layer: expected a cell or a bidirectional layer, got {type(layer).__name__}"
        )
    cell = layer.cell if isinstance(layer, Bidirectional) else layer
    if cell.feature_ndim != 1:
        raise ValueError(
            f"layer: expected a dense cell ([..., D] steps), got {cell.name} with "
            f"feature_ndim {cell.feature_ndim}"
        )
    rates = tuple(zoneout) if isinstance(zoneout, (tuple, list)) else (zoneout,)
    rates = tuple(_rate(z, "zoneout") for z in rates)
    recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout")
    if (
        recurrent_dropout > 0
        and "hidden_mask" not in inspect.signature(cell.recurrent_step).parameters
    ):
        raise ValueError(
            f"recurrent_dropout: this {cell.name} cell's recurrent_step takes no hidden_mask"
        )
    return Regularized(
        layer=layer,
        input_dropout=_rate(input_dropout, "input_dropout"),
        recurrent_dropout=recurrent_dropout,
        zoneout=rates,
    )
