"""Settings chosen per backend by measurement: the default ``unroll``, the
bidirectional and convolution fast paths, and XLA options.

``lax.scan``'s ``unroll=k`` runs k steps per loop iteration: fewer loop
iterations (on CPU, fewer trips through the runtime between the per-step
matmuls; on GPU, fewer kernel launches) for a larger program.
The defaults: CPU unroll 4 forward and 1 backward; GPU (and TPU,
unmeasured) unroll 8 both ways. The measurements that chose
them, with their commands and machines, are in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

# backend -> (forward, backward) unroll
UNROLL = {"cpu": (4, 1), "gpu": (8, 8), "cuda": (8, 8), "rocm": (8, 8), "tpu": (8, 8)}


def default_unroll(num_steps: int, *, backward: bool = False) -> int:
    """The ``unroll`` of a loop of ``num_steps`` on the default backend (at least 1).

    ``backward`` picks the value for the reverse scan of a custom VJP. A
    symbolic ``num_steps`` (``jax.export``) gets 1: ``lax.scan`` cannot split
    a loop of unknown length into unrolled blocks.
    """
    if jax.export.is_symbolic_dim(num_steps):
        return 1
    forward, reverse = UNROLL.get(jax.default_backend(), (1, 1))
    return max(1, min(reverse if backward else forward, num_steps))


# backends whose bidirectional layers with a fused kernel (plain LSTM, GRU) run
# the directions' steps as separate unbatched matmuls in one scan
# (``scaffold.fused_directions``) instead of vmapping the one-direction kernel:
# faster on CPU for the LSTM (benchmarks/RESULTS.md; the GRU follows unmeasured).
# Elsewhere unmeasured: on a GPU it doubles the kernels launched per step, so
# the vmapped batched one stays.
SPLIT_DIRECTIONS = frozenset({"cpu"})


def split_directions() -> bool:
    """Whether bidirectional fused layers run both directions in one unvmapped scan here."""
    return jax.default_backend() in SPLIT_DIRECTIONS


# backends whose convolutional cells (``lstmjax.cells.conv.conv2d``) run each
# convolution as one matrix product over patches (``conv_patches``): on CPU,
# XLA's convolution gradients inside a scan are 2-12x slower (ConvLSTM
# forward+backward, benchmarks/RESULTS.md). Elsewhere unmeasured: GPU and TPU
# keep the native convolution.
CONV_AS_MATMUL = frozenset({"cpu"})


def conv_as_matmul() -> bool:
    """Whether ``conv2d`` runs as a matrix product over patches on the default backend."""
    return jax.default_backend() in CONV_AS_MATMUL


# backend -> XLA compile options that made the plain-LSTM fast path faster.
# CPU: route dots to XLA's Eigen GEMMs instead of YNNPACK fusions. They slow
# the reference scan's autodiff backward (small per-step weight-gradient
# GEMMs) down, hence opt-in, per jit (numbers: benchmarks/RESULTS.md).
COMPILER_OPTIONS = {"cpu": {"xla_cpu_experimental_ynn_fusion_type": ""}}


@functools.cache
def _accepted(backend: str, options: tuple[tuple[str, str], ...]) -> bool:
    """Whether this jaxlib compiles with ``options`` (names change between versions)."""
    try:
        jax.jit(lambda x: x + 1, compiler_options=dict(options)).lower(jnp.zeros(())).compile()
    except Exception:  # jaxlib raises JaxRuntimeError("No such compile option ...")
        return False
    return True


def compiler_options() -> dict[str, str]:
    """XLA options for ``jax.jit(..., compiler_options=...)`` on the default backend.

    Per compiled function, not process-wide: pass them to the ``jax.jit`` of a
    step whose recurrent layers are plain LSTMs (the fast path; the fused
    GRU's gain is unmeasured); on CPU they slow the reference scan's backward
    (tanh RNN, LSTM variants) down, see ``COMPILER_OPTIONS``. Empty where
    none was measured to help or this jaxlib does not know them.

    >>> import jax, jax.numpy as jnp, lstmjax as lj
    >>> options = lj.compiler_options()                  # {} or XLA flags, as str -> str
    >>> double = jax.jit(lambda x: 2 * x, compiler_options=options)
    >>> float(double(jnp.float32(1.5)))
    3.0
    """
    backend = jax.default_backend()
    options = COMPILER_OPTIONS.get(backend, {})
    if options and _accepted(backend, tuple(sorted(options.items()))):
        return dict(options)
    return {}
