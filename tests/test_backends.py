"""Everything lowers for CPU, GPU and TPU, with no host callback in the loop.

``jax.export`` lowers a jitted function for platforms this machine does not
have, so the GPU and TPU paths are compiled to StableHLO here on the CPU.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from jax import export

import lstmjax as lj

PLATFORMS = ["cpu", "cuda", "rocm", "tpu"]


@pytest.mark.parametrize("compute_dtype", [None, jnp.bfloat16])
def test_train_step_lowers_for_every_backend(compute_dtype):
    net = lj.stack(
        [
            lj.bidirectional(lj.lstm(8, compute_dtype=compute_dtype)),
            lj.gru(4, compute_dtype=compute_dtype),
            lj.simple_rnn(4, compute_dtype=compute_dtype),
        ],
        dropout=0.1,
    )
    params = net.init(jax.random.key(0), 3)

    def loss(p, xs, lengths, key):
        ys, _ = net.apply(p, xs, lengths=lengths, train=True, dropout_key=key)
        return jnp.mean(lj.last_valid(ys, lengths) ** 2)

    step = jax.jit(jax.value_and_grad(loss))
    args = (params, jnp.ones((2, 5, 3)), jnp.array([5, 2]), jax.random.key(1))
    exported = export.export(step, platforms=PLATFORMS)(*args)
    assert exported.platforms == tuple(PLATFORMS)
    text = exported.mlir_module()
    assert "stablehlo.while" in text
    assert "callback" not in text and "custom_call @xla_python" not in text
