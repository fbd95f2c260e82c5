"""``remat``: chunked gradient checkpointing changes no value or gradient, and saves memory."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from lstmjax.chunked import check_remat
from tests.helpers import assert_close_to_scale, randomize

B, T, D, H = 3, 10, 2, 4
LENGTHS = jnp.array([10, 6, 0])

LAYERS = {
    "lstm": lambda: lj.lstm(H),
    "gru": lambda: lj.gru(H),
    "bidirectional": lambda: lj.bidirectional(lj.lstm(H)),
    "stack": lambda: lj.stack([lj.lstm(H), lj.simple_rnn(H)], residual=True),
}


def _loss_and_grads(layer, params, xs, remat, lengths, implementation, reverse=False):
    def loss(p, x):
        kwargs = dict(lengths=lengths, implementation=implementation, remat=remat)
        if reverse:
            ys, final = lj.rnn(layer, p, x, reverse=True, **kwargs)
        else:
            ys, final = layer.apply(p, x, **kwargs)
        weights = jnp.cos(jnp.arange(ys.size, dtype=jnp.float32)).reshape(ys.shape)
        return jnp.sum(ys * weights) + sum(jnp.sum(jnp.sin(c)) for c in jax.tree.leaves(final))

    return jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(params, xs)


@pytest.mark.parametrize(
    "kind,remat,lengths,implementation,reverse",
    [
        ("lstm", "sqrt", None, "auto", False),  # 4 chunks of 4 (2 padded steps)
        ("lstm", 5, LENGTHS, "auto", False),
        ("lstm", 3, LENGTHS, "reference", True),
        ("lstm", 100, None, "auto", False),  # one chunk
        ("gru", 1, LENGTHS, "auto", False),
        ("gru", 4, LENGTHS, "auto", True),
        ("bidirectional", 3, LENGTHS, "auto", False),
        ("stack", "sqrt", LENGTHS, "auto", False),
    ],
)
def test_remat_changes_no_value_or_gradient(kind, remat, lengths, implementation, reverse):
    layer = LAYERS[kind]()
    params = randomize(layer.init(jax.random.key(0), D), 3, 0.5)
    xs = jax.random.normal(jax.random.key(1), (B, T, D))
    plain = _loss_and_grads(layer, params, xs, None, lengths, implementation, reverse)
    chunked = _loss_and_grads(layer, params, xs, remat, lengths, implementation, reverse)
    assert_close_to_scale(chunked, plain, 1e-6)


def test_remat_keeps_activation_memory_sublinear():
    """Compiled scratch memory of the gradient at T = 1000: remat="sqrt" needs far less."""
    cell = lj.lstm(16)
    params = cell.init(jax.random.key(0), 8)
    xs = jnp.zeros((4, 1000, 8))

    def scratch(remat):
        grad = jax.jit(jax.grad(lambda p, x: lj.rnn(cell, p, x, remat=remat)[0].sum()))
        return grad.lower(params, xs).compile().memory_analysis().temp_size_in_bytes

    assert scratch("sqrt") < scratch(None) / 3


def test_check_remat():
    assert check_remat(None, 10) is None
    assert check_remat("sqrt", 10) == 4
    assert check_remat("sqrt", 16) == 4
    assert check_remat("sqrt", 1) == 1
    assert check_remat(50, 10) == 10
    assert check_remat(np.int64(3), 10) == 3
    for bad in (0, -2, 2.5, "half", True):
        with pytest.raises(ValueError, match="remat: expected"):
            check_remat(bad, 10)


def test_remat_with_a_symbolic_length_is_named():
    cell = lj.lstm(H)
    params = cell.init(jax.random.key(0), D)
    (t,) = jax.export.symbolic_shape("t")
    spec = jax.ShapeDtypeStruct((B, t, D), jnp.float32)
    with pytest.raises(ValueError, match="remat: chunking needs a known sequence length"):
        jax.export.export(jax.jit(lambda x: lj.rnn(cell, params, x, remat="sqrt")[0]))(spec)
