"""Run as a script with 8 simulated CPU devices: data-parallel train steps.

Prints JSON: for each layer, the largest difference between the params after 3
sharded steps and after 3 single-device steps, and the collectives in the
compiled sharded step (op -> [count, bytes]).
"""

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import json  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import lstmjax as lj  # noqa: E402
from lstmjax import train  # noqa: E402

LAYERS = {
    "gru": (lj.gru(16), "auto"),
    "lstm_reference": (lj.lstm(16), "reference"),
    "lstm_fused": (lj.lstm(16), "auto"),
    "bidirectional_gru": (lj.bidirectional(lj.gru(16)), "auto"),
}


def main():
    mesh = train.data_mesh(8)
    xs = jax.random.normal(jax.random.key(0), (32, 6, 4))
    ys = jax.random.normal(jax.random.key(1), (32,))
    lengths = 1 + jnp.arange(32) % 6
    out = {}
    for name, (layer, implementation) in LAYERS.items():

        def loss_fn(p, batch, key, layer=layer, implementation=implementation):
            x, y, n = batch
            h, _ = layer.apply(p, x, lengths=n, implementation=implementation)
            return jnp.mean((lj.last_valid(h, n)[:, 0] - y) ** 2), {}

        optimizer = optax.adam(0.01)
        state = train.create_state(
            layer.init(jax.random.key(2), 4), optimizer, key=jax.random.key(3)
        )
        single = train.make_train_step(loss_fn, optimizer)
        sharded = train.make_train_step(loss_fn, optimizer, mesh=mesh)
        batch = (xs, ys, lengths)
        a, b = state, state
        for _ in range(3):
            a, _ = single(a, batch)
            b, _ = sharded(b, train.shard_batch(batch, mesh))
        diff = max(
            float(jnp.max(jnp.abs(u - v)))
            for u, v in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params))
        )
        hlo = sharded.lower(state, batch).compile().as_text()
        grad_bytes = sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state.params))
        out[name] = {"diff": diff, "collectives": train.collectives(hlo), "grad_bytes": grad_bytes}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
