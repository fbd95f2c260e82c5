"""Loop settings chosen per backend by measurement: the default ``unroll``.

``lax.scan``'s ``unroll=k`` runs k steps per loop iteration: fewer loop
iterations (on CPU, fewer trips through the runtime between the per-step
matmuls; on GPU, fewer kernel launches) for a larger program. Measured with
``benchmarks/bench_rnn.py --unroll k`` and the probes behind README's
"Performance" (AMD EPYC, 2 cores, jax 0.10.2, a machine shared with other jobs):

- CPU forward: unroll 4. With the machine loaded (load average 8-10) it took
  the forward of ``B16 T128 D=H256`` from 78 to 32 ms and of ``B1 T512
  D=H128`` from 12.4 to 2.9 ms against unroll 1; on a lighter load (3-4)
  unroll 1, 2, 4 and 8 were within 3% of each other.
- CPU backward (the reverse scan of the custom VJP): unroll 1. Against 4 it
  took forward+backward of ``B16 T128 D=H256`` from 90 to 80 ms and of the
  bidirectional layer from 256 to 230 ms (wall, 2 cores), 82 to 74 and 199 to
  182 ms (CPU time, 1 core).
- GPU: unroll 8 both ways, where the plain ``lax.scan`` LSTM on an H200 ran
  2.5x faster per step than with unroll 1 (shared/ANCHORS.md). TPU: not
  measured; the GPU values.
"""

from __future__ import annotations

import jax

# backend -> (forward, backward) unroll
UNROLL = {"cpu": (4, 1), "gpu": (8, 8), "cuda": (8, 8), "rocm": (8, 8), "tpu": (8, 8)}


def default_unroll(num_steps: int, *, backward: bool = False) -> int:
    """The ``unroll`` of a loop of ``num_steps`` on the default backend (at least 1).

    ``backward`` picks the value for the reverse scan of a custom VJP.
    """
    forward, reverse = UNROLL.get(jax.default_backend(), (1, 1))
    return max(1, min(reverse if backward else forward, num_steps))
