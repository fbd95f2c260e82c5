"""Reading named weights out of another framework's dictionary, strictly.

A ``WeightReader`` hands out the arrays of a ``{name: array}`` mapping (a
PyTorch ``state_dict``, a Flax parameter dict flattened with ``/``) one name
at a time, each checked against the shape the caller expects, and at the end
refuses any name nobody asked for. Every mistake raises ``ValueError`` naming
the key, the shape expected and the shape received: nothing is truncated,
padded or broadcast.

Arrays keep their floating dtype, ``bfloat16`` included: a PyTorch bfloat16
tensor (which ``.numpy()`` refuses) is read exactly through float32 into
JAX's NumPy ``bfloat16``.

Exporters learn what a layer is from its cell's ``config``
(``check_cell_config``), not by guessing from array shapes.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np

from lstmjax.cells.gru import GRUConfig
from lstmjax.cells.lstm import LSTMConfig
from lstmjax.cells.simple_rnn import SimpleRNNConfig


def to_numpy(value) -> np.ndarray:
    """A NumPy copy of an array from any framework (PyTorch tensors included)."""
    if hasattr(value, "detach"):  # a torch.Tensor, without importing torch
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            return value.float().numpy().astype(jnp.bfloat16)  # exact both ways
        value = value.numpy()
    return np.asarray(value)


def flatten(tree: Mapping, prefix: str = "") -> dict[str, object]:
    """``{"a": {"b": x}} -> {"a/b": x}`` for nested mappings."""
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "/"))
        else:
            flat[name] = value
    return flat


class WeightReader:
    """Takes checked arrays out of ``weights``, then refuses leftovers.

    Args:
      weights: ``{name: array}``.
      source: what ``weights`` is, for messages (e.g. ``"state_dict"``).
      architecture: the architecture the caller expects, for messages.
    """

    def __init__(self, weights: Mapping, source: str, architecture: str):
        if not isinstance(weights, Mapping):
            raise TypeError(f"{source}: expected a mapping of names to arrays, got {type(weights)}")
        self.weights = dict(weights)
        self.source = source
        self.architecture = architecture
        self.used: set[str] = set()

    def has(self, key: str) -> bool:
        return key in self.weights

    def shape_of(self, key: str, rank: int) -> tuple[int, ...]:
        """The shape under ``key`` (to infer sizes), raising if it is missing or not ``rank``-D."""
        if key not in self.weights:
            raise ValueError(
                f"{self.source}: missing key {key!r} for {self.architecture}; keys present: "
                f"{sorted(self.weights)}"
            )
        shape = tuple(np.shape(self.weights[key]))
        if len(shape) != rank:
            raise ValueError(
                f"{self.source}[{key!r}]: expected a rank-{rank} array for "
                f"{self.architecture}, got shape {shape} (rank {len(shape)})"
            )
        return shape

    def take(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        """The array under ``key``, which must have exactly ``shape``."""
        if key not in self.weights:
            raise ValueError(
                f"{self.source}: missing key {key!r} (expected shape {shape}) for "
                f"{self.architecture}; keys present: {sorted(self.weights)}"
            )
        array = to_numpy(self.weights[key])
        if tuple(array.shape) != tuple(shape):
            raise ValueError(
                f"{self.source}[{key!r}]: expected shape {tuple(shape)} for "
                f"{self.architecture}, got {tuple(array.shape)}"
            )
        if not jnp.issubdtype(array.dtype, jnp.floating):
            raise TypeError(f"{self.source}[{key!r}]: expected a floating dtype, got {array.dtype}")
        self.used.add(key)
        return array

    def finish(self) -> None:
        """Raises if any key was never taken (another architecture or size)."""
        unexpected = sorted(set(self.weights) - self.used)
        if unexpected:
            raise ValueError(f"{self.source}: unexpected keys {unexpected} for {self.architecture}")


LSTM_OPTIONS = ("peephole", "proj_size", "layer_norm", "coupled")


def check_cell_config(cell, params, allowed: tuple[str, ...], target: str, argname: str) -> None:
    """Refuses a cell whose config ``target`` cannot hold, then checks ``params`` against it.

    Reads the factory's ``cell.config`` (``LSTMConfig``, ``GRUConfig`` or
    ``SimpleRNNConfig``), never the shapes of the params: an LSTM option
    outside ``allowed`` (of ``LSTM_OPTIONS``) is refused by name.

    Raises:
      TypeError: ``cell`` is not a factory's cell, or ``params`` are not its params.
      ValueError: an option ``target`` has no counterpart for, or mis-shaped params.
    """
    config = getattr(cell, "config", None)
    if not isinstance(config, (LSTMConfig, GRUConfig, SimpleRNNConfig)):
        raise TypeError(
            f"{argname}: expected a cell built by lstmjax.lstm, gru or simple_rnn (its config "
            f"says what {target} must hold), got {type(cell).__name__} with config {config!r}"
        )
    if isinstance(config, LSTMConfig):
        refused = [o for o in LSTM_OPTIONS if getattr(config, o) and o not in allowed]
        if refused:
            raise ValueError(
                f"{argname}: {target} has no {', '.join(refused)}; this cell was built with "
                + ", ".join(f"{o}={getattr(config, o)!r}" for o in refused)
            )
    cell.check_params(params, "params")
