"""Loop settings chosen per backend by measurement: the default ``unroll``.

``lax.scan``'s ``unroll=k`` runs k steps per loop iteration: fewer loop
iterations (on CPU, fewer thread hand-offs around the per-step matmul; on GPU,
fewer kernel launches) for a larger program. Measured with
``benchmarks/bench_rnn.py --unroll k`` (README, "Performance"):

- CPU (2 cores, jax 0.10.2): unroll 4. Against unroll 1 it took the forward
  of ``B16 T128 D=H256`` from 78 to 32 ms and of ``B1 T512 D=H128`` from 12.4
  to 2.9 ms, forward+backward from 187 to 173 and 16.8 to 8.0 ms; unroll 8
  was no better forward and slower backward (214 ms).
- GPU: unroll 8, where the plain ``lax.scan`` LSTM on an H200 ran 2.5x faster
  per step than with unroll 1 (shared/ANCHORS.md). TPU: not measured; the GPU
  value.
"""

from __future__ import annotations

import jax

UNROLL = {"cpu": 4, "gpu": 8, "cuda": 8, "rocm": 8, "tpu": 8}


def default_unroll(num_steps: int) -> int:
    """The ``unroll`` for a loop of ``num_steps`` on the default backend (at least 1)."""
    return max(1, min(UNROLL.get(jax.default_backend(), 1), num_steps))
