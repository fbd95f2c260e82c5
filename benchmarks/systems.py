"""The systems the benchmark times, each built for one configuration.

A configuration is ``Config(B, T, D, H, layers, bidirectional)``: a stack of
``layers`` recurrent layers of hidden size ``H`` (each bidirectional, outputs
concatenated, if asked) over a batch ``xs [B, T, D]``, batch-major. Every
builder takes the cell, ``"lstm"`` or ``"gru"`` (``CELLS``): lstmjax's
``lj.lstm`` / ``lj.gru``, Flax's ``OptimizedLSTMCell`` / ``GRUCell``,
PyTorch's ``nn.LSTM`` / ``nn.GRU`` (all three GRUs the reset-after form).
``lstmjax`` runs the cell's fused kernel (``implementation="auto"``),
``lstmjax_reference`` the ``lax.scan`` of its ``recurrent_step``.

Every builder returns a ``System`` with two zero-argument callables that run
one call to completion (results ready):

- ``forward()``: ``ys = net(params, xs)``;
- ``forward_backward()``: the gradients of ``mean(ys ** 2)`` (in float32) with
  respect to all params and to ``xs``.

JAX systems are compiled ahead of time by the builder, whose compile time is
kept in ``compile_s``. ``temp_bytes`` is the memory of forward+backward where
the backend reports it: XLA's scratch memory of the compiled program for JAX,
``torch.cuda.max_memory_allocated`` for PyTorch on a GPU. Flax and PyTorch are imported only when
their builders run, so the benchmark works where they are not installed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import lstmjax as lj

CELLS = ("lstm", "gru")


class Config(NamedTuple):
    B: int
    T: int
    D: int
    H: int
    layers: int
    bidirectional: bool

    def label(self) -> str:
        direction = "bi" if self.bidirectional else "uni"
        return f"{self.B},{self.T},{self.D},{self.H},{self.layers},{direction}"


class System(NamedTuple):
    name: str
    forward: Callable[[], None]
    forward_backward: Callable[[], None]
    compile_s: dict
    temp_bytes: int | None


def inputs(config: Config) -> np.ndarray:
    """The same ``xs [B, T, D]`` (float32 NumPy) for every system."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((config.B, config.T, config.D), dtype=np.float32)


def _mean_square(ys) -> jax.Array:
    return jnp.mean(jnp.square(ys.astype(jnp.float32)))


def _compile_jax(name: str, apply: Callable, params, xs, compiler_options=None) -> System:
    """AOT-compiles ``apply(params, xs) -> ys`` and its gradient; times the compiles.

    ``compiler_options`` go to both ``jax.jit`` calls (XLA options, per program).
    """
    jit = lambda f: jax.jit(f, compiler_options=compiler_options or {})

    def loss(p, x):
        return _mean_square(apply(p, x))

    start = time.perf_counter()
    fwd = jit(apply).lower(params, xs).compile()
    fwd_s = time.perf_counter() - start
    start = time.perf_counter()
    bwd = jit(jax.grad(loss, argnums=(0, 1))).lower(params, xs).compile()
    bwd_s = time.perf_counter() - start
    memory = bwd.memory_analysis()
    temp = getattr(memory, "temp_size_in_bytes", None) if memory is not None else None
    return System(
        name=name,
        forward=lambda: jax.block_until_ready(fwd(params, xs)),
        forward_backward=lambda: jax.block_until_ready(bwd(params, xs)),
        compile_s={"forward": fwd_s, "forward_backward": bwd_s},
        temp_bytes=temp,
    )


def build_lstmjax(
    config: Config,
    dtype,
    xs_np: np.ndarray,
    cell: str = "lstm",
    unroll: int | None = None,
    compiler_options=None,
    implementation: str = "auto",
) -> System:
    """lstmjax through its public API: a cell, ``bidirectional`` or ``stack``, by ``apply``.

    Reduced precision is lstmjax's policy: float32 params, ``compute_dtype``
    matmul operands, float32 state; the inputs are given in ``dtype``.
    """
    compute_dtype = None if dtype == jnp.float32 else dtype
    one = {"lstm": lj.lstm, "gru": lj.gru}[cell](config.H, compute_dtype=compute_dtype)
    layer = lj.bidirectional(one) if config.bidirectional else one
    net = layer if config.layers == 1 else lj.stack([layer] * config.layers)
    params = net.init(jax.random.key(0), config.D)
    kwargs = {"implementation": implementation}
    if unroll is not None:
        kwargs["unroll"] = unroll

    def apply(p, x):
        return net.apply(p, x, **kwargs)[0]

    xs = jnp.asarray(xs_np, dtype)
    name = "lstmjax" if implementation == "auto" else f"lstmjax_{implementation}"
    return _compile_jax(name, apply, params, xs, compiler_options)


def build_lstmjax_reference(
    config: Config, dtype, xs_np: np.ndarray, cell: str = "lstm", **kwargs
) -> System:
    """``build_lstmjax`` with ``implementation="reference"`` (autodiff of ``lax.scan``)."""
    return build_lstmjax(config, dtype, xs_np, cell, implementation="reference", **kwargs)


def build_flax(
    config: Config, dtype, xs_np: np.ndarray, cell: str = "lstm", compiler_options=None
) -> System:
    """Flax linen ``nn.RNN(nn.OptimizedLSTMCell or nn.GRUCell)`` (``nn.Bidirectional`` for bi)."""
    import flax.linen as nn

    cell_type = {"lstm": nn.OptimizedLSTMCell, "gru": nn.GRUCell}[cell]

    def make_rnn():
        return nn.RNN(cell_type(config.H, dtype=dtype, param_dtype=jnp.float32))

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x):
            for _ in range(config.layers):
                x = (
                    nn.Bidirectional(make_rnn(), make_rnn())(x)
                    if config.bidirectional
                    else (make_rnn()(x))
                )
            return x

    net = Net()
    xs = jnp.asarray(xs_np, dtype)
    params = net.init(jax.random.key(0), xs)
    return _compile_jax("flax", net.apply, params, xs, compiler_options)


def build_torch(config: Config, dtype, xs_np: np.ndarray, cell: str = "lstm") -> System:
    """PyTorch ``nn.LSTM`` / ``nn.GRU`` (oneDNN on CPU, cuDNN on a GPU), same sizes."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if hasattr(os, "sched_getaffinity"):  # as many threads as cores we may run on
        torch.set_num_threads(min(torch.get_num_threads(), len(os.sched_getaffinity(0))))
    torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}.get(
        jnp.dtype(dtype).name, torch.float16
    )
    torch.manual_seed(0)
    rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](
        config.D,
        config.H,
        num_layers=config.layers,
        bidirectional=config.bidirectional,
        batch_first=True,
    ).to(device=device, dtype=torch_dtype)
    xs = torch.from_numpy(xs_np).to(device=device, dtype=torch_dtype).requires_grad_(True)
    params = list(rnn.parameters())

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    def forward():
        with torch.no_grad():
            rnn(xs)
        sync()

    def forward_backward():
        ys, _ = rnn(xs)
        loss = ys.float().square().mean()
        torch.autograd.grad(loss, params + [xs])
        sync()

    start = time.perf_counter()
    forward()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    forward_backward()
    first_s = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() if device == "cuda" else None
    return System(
        name="torch",
        forward=forward,
        forward_backward=forward_backward,
        compile_s={"first_calls": first_s},
        temp_bytes=peak,
    )


BUILDERS = {
    "lstmjax": build_lstmjax,
    "lstmjax_reference": build_lstmjax_reference,
    "flax": build_flax,
    "torch": build_torch,
}
