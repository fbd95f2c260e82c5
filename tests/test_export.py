"""``jax.export``: lstmjax functions export with symbolic shapes and serialize."""

import chex
import jax
import jax.numpy as jnp
import pytest
from jax import export

import lstmjax as lj
from tests.helpers import randomize


@pytest.mark.parametrize("implementation", ["reference", "fused"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_symbolic_batch_and_length_export_serialize_and_run(implementation, bidirectional):
    cell = lj.lstm(6)
    layer = lj.bidirectional(cell) if bidirectional else cell
    params = randomize(layer.init(jax.random.key(0), 4), 1, 0.4)

    def apply(p, x):
        return layer.apply(p, x, implementation=implementation)

    spec = jax.ShapeDtypeStruct(export.symbolic_shape("b, t, 4"), jnp.float32)
    exported = export.export(jax.jit(apply))(params, spec)
    restored = export.deserialize(exported.serialize())
    for shape in [(2, 5, 4), (3, 1, 4)]:
        xs = jax.random.normal(jax.random.key(shape[1]), shape)
        ys, final = restored.call(params, xs)
        want_ys, want_final = apply(params, xs)
        chex.assert_trees_all_close((ys, final), (want_ys, want_final), atol=1e-5)
        assert type(final) is type(want_final)


def test_every_params_and_carry_type_serializes():
    for layer in (lj.lstm(3, layer_norm=True, peephole=True), lj.gru(3), lj.simple_rnn(3)):
        params = layer.init(jax.random.key(0), 2)
        carry = layer.initial_carry((1,))
        exported = export.export(jax.jit(lambda p, c: (p, c)))(params, carry)
        p, c = export.deserialize(exported.serialize()).call(params, carry)
        chex.assert_trees_all_equal((p, c), (params, carry))


def test_an_explicit_unroll_with_a_symbolic_length_is_refused_by_name():
    cell = lj.lstm(3)
    params = cell.init(jax.random.key(0), 2)
    spec = jax.ShapeDtypeStruct(export.symbolic_shape("t, 1, 2"), jnp.float32)
    with pytest.raises(ValueError, match="unroll"):
        export.export(jax.jit(lambda p, x: lj.rnn(cell, p, x, time_major=True, unroll=4)))(
            params, spec
        )
