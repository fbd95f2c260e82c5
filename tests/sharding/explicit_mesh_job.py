"""Run as a script with 8 simulated CPU devices: gradients under an explicit-axis mesh.

Prints one line per layer, "name ok <max abs difference to the unsharded gradient>",
or "name FAIL <error>".
"""

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.sharding import AxisType  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import lstmjax as lj  # noqa: E402

LAYERS = {
    "gru": (lj.gru(8), {}),
    "lstm": (lj.lstm(8), {}),
    "bidirectional_lstm": (lj.bidirectional(lj.lstm(8)), {}),
    "lstm_reference": (lj.lstm(8), {"implementation": "reference"}),
    "bidirectional_gru": (lj.bidirectional(lj.gru(8)), {}),
    "stack_dropout": (
        lj.stack([lj.gru(8), lj.simple_rnn(8)], dropout=0.2),
        {"train": True, "dropout_key": jax.random.key(1)},
    ),
}


def main():
    mesh = jax.make_mesh((8,), ("data",), axis_types=(AxisType.Explicit,))
    xs = jax.random.normal(jax.random.key(0), (16, 5, 4))
    lengths = jnp.arange(16) % 6
    for name, (layer, kwargs) in LAYERS.items():
        params = layer.init(jax.random.key(2), 4)

        def loss(p, x, n, layer=layer, kwargs=kwargs):
            return jnp.mean(layer.apply(p, x, lengths=n, **kwargs)[0] ** 2)

        expected = jax.jit(jax.grad(loss))(params, xs, lengths)
        try:
            with jax.set_mesh(mesh):
                x = jax.device_put(xs, P("data"))
                n = jax.device_put(lengths, P("data"))
                p = jax.device_put(params, P())
                got = jax.jit(jax.grad(loss))(p, x, n)
            diff = max(
                float(jnp.max(jnp.abs(a - b)))
                for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(expected))
            )
            print(name, "ok", diff)
        except Exception as err:  # reported to the test, which fails on it
            print(name, "FAIL", type(err).__name__, str(err).splitlines()[0])


if __name__ == "__main__":
    main()
