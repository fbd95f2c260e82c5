"""Flax linen/NNX modules around lstmjax layers, and Flax cell parameter layouts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import linen as nn
from flax import nnx

import lstmjax as lj
from lstmjax.interop import flax_params
from lstmjax.interop.flax_modules import NNXRNN, LinenRNN, apply_layer

B, T, D, H = 3, 6, 4, 5
XS = jax.random.normal(jax.random.key(0), (B, T, D))
LENGTHS = jnp.array([6, 2, 4])
LAYERS = {
    "cell": lj.lstm(H),
    "bidirectional": lj.bidirectional(lj.gru(H)),
    "stack": lj.stack([lj.lstm(H), lj.simple_rnn(H)], dropout=0.5),
}


def assert_trees_close(a, b, atol=1e-6):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_allclose(x, y, atol=atol, rtol=0)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_linen_module_calls_the_pure_function(name):
    layer = LAYERS[name]
    model = LinenRNN(layer)
    variables = model.init(jax.random.key(1), XS, lengths=LENGTHS)
    params = variables["params"]["rnn"]
    assert jax.tree.structure(params) == jax.tree.structure(layer.init(jax.random.key(0), D))
    ours, pure = jax.jit(
        lambda v: (
            model.apply(v, XS, lengths=LENGTHS),
            apply_layer(layer, v["params"]["rnn"], XS, lengths=LENGTHS),
        )
    )(variables)
    assert_trees_close(ours, pure)


def test_linen_grad_and_dropout():
    model = LinenRNN(LAYERS["stack"])
    variables = model.init(jax.random.key(1), XS)

    @jax.jit
    def loss(v, key):
        ys, _ = model.apply(v, XS, lengths=LENGTHS, deterministic=False, rngs={"dropout": key})
        return jnp.sum(ys**2)

    grads = jax.jit(jax.grad(loss))(variables, jax.random.key(2))
    assert jax.tree.structure(grads) == jax.tree.structure(variables)
    assert all(bool(jnp.any(g != 0)) for g in jax.tree.leaves(grads))
    k = jax.random.key(3)
    assert loss(variables, k) == loss(variables, k)
    assert loss(variables, k) != loss(variables, jax.random.key(4))
    ys_eval, _ = jax.jit(lambda v: model.apply(v, XS, lengths=LENGTHS))(variables)
    assert jnp.sum(ys_eval**2) != loss(variables, k)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_nnx_module_calls_the_pure_function(name):
    layer = LAYERS[name]
    model = NNXRNN(layer, D, rngs=nnx.Rngs(0))
    ours, pure = nnx.jit(
        lambda m: (m(XS, lengths=LENGTHS), apply_layer(layer, m.pure_params(), XS, lengths=LENGTHS))
    )(model)
    assert_trees_close(ours, pure)


def test_nnx_grad_params_given_and_dropout():
    layer = LAYERS["stack"]
    params = layer.init(jax.random.key(5), D)
    model = NNXRNN(layer, D, params=params)
    assert_trees_close(model.pure_params(), params, atol=0)

    def loss(m):
        return jnp.sum(m(XS, lengths=LENGTHS)[0] ** 2)

    grads = nnx.jit(nnx.grad(loss))(model)
    pure_loss = lambda p: jnp.sum(layer.apply(p, XS, lengths=LENGTHS)[0] ** 2)
    expected = jax.jit(jax.grad(pure_loss))(params)
    expected = nnx.state(NNXRNN(layer, D, params=expected), nnx.Param)
    assert_trees_close(nnx.to_pure_dict(grads), nnx.to_pure_dict(expected), atol=1e-5)
    train, evaluate = nnx.jit(lambda m: (m(XS, rngs=nnx.Rngs(dropout=1))[0], m(XS)[0]))(model)
    assert not jnp.allclose(train, evaluate)
    with pytest.raises(ValueError, match="rngs"):
        NNXRNN(layer, D)


def random_like(tree, seed=0):
    rng = np.random.default_rng(seed)
    return jax.tree.map(lambda x: rng.normal(size=np.shape(x)).astype(np.float32) * 0.5, tree)


def flax_cell(cell_name):
    api, name = cell_name.split(".")
    if api == "linen":
        return getattr(nn, name)(features=H)
    return getattr(nnx, name)(D, H, rngs=nnx.Rngs(0))


def flax_params_of(cell):
    if isinstance(cell, nn.Module):
        carry = cell.initialize_carry(jax.random.key(0), (B, D))
        return cell.init(jax.random.key(0), carry, XS[:, 0])["params"]
    return nnx.to_pure_dict(nnx.state(cell, nnx.Param))


def run_flax_cell(cell, tree):
    """The Flax cell stepped over XS in a Python loop: ys [B, T, H] and the final carry."""
    if isinstance(cell, nn.Module):
        carry = cell.initialize_carry(jax.random.key(0), (B, D))
        step = lambda c, x: cell.apply({"params": tree}, c, x)
    else:
        state = nnx.state(cell, nnx.Param)
        nnx.replace_by_pure_dict(state, tree)
        nnx.update(cell, state)
        carry = cell.initialize_carry((B, D), rngs=nnx.Rngs(0))
        step = cell
    ys = []
    for t in range(T):
        carry, y = step(carry, XS[:, t])
        ys.append(y)
    return jnp.stack(ys, axis=1), carry


@pytest.mark.parametrize("cell_name", flax_params.CELLS)
def test_flax_cell_layouts_compute_the_same(cell_name):
    cell = flax_cell(cell_name)
    tree = random_like(flax_params_of(cell))
    if cell_name == "nnx.GRUCell":
        tree = jax.tree.map(np.asarray, tree)
    params = flax_params.from_flax(tree, cell_name)
    lj_cell = lj.lstm(H) if "LSTM" in cell_name else lj.gru(H)
    ys, final = lj.rnn(lj_cell, params, XS)
    ys_flax, carry = run_flax_cell(cell, tree)
    np.testing.assert_allclose(ys, ys_flax, atol=1e-5, rtol=0)
    if "LSTM" in cell_name:
        carry = flax_params.carry_from_flax(carry)
        assert flax_params.carry_to_flax(carry) is not None
    assert_trees_close(final, carry, atol=1e-5)
    back = flax_params.to_flax(params, cell_name)
    assert_trees_close(back, jax.tree.map(np.asarray, dict(tree)), atol=0)


def test_lstmjax_params_run_in_flax():
    """lstmjax-initialised params (forget bias 1) in Flax's OptimizedLSTMCell."""
    params = lj.lstm(H).init(jax.random.key(7), D)
    tree = flax_params.to_flax(params, "linen.OptimizedLSTMCell")
    ys_flax, _ = run_flax_cell(nn.OptimizedLSTMCell(features=H), tree)
    np.testing.assert_allclose(lj.rnn(lj.lstm(H), params, XS)[0], ys_flax, atol=1e-5, rtol=0)


def test_bad_flax_params_name_the_key():
    tree = flax_params_of(nn.LSTMCell(features=H))
    missing = {k: v for k, v in tree.items() if k != "hg"}
    with pytest.raises(ValueError, match="missing key 'hg/kernel'"):
        flax_params.from_flax(missing, "linen.LSTMCell")
    wrong = dict(tree, ho={"kernel": np.zeros((H, H + 1)), "bias": np.zeros(H)})
    with pytest.raises(ValueError, match=r"params\['ho/kernel'\]: expected shape \(5, 5\)"):
        flax_params.from_flax(wrong, "linen.LSTMCell")
    with pytest.raises(ValueError, match="missing key 'if_/kernel'"):
        flax_params.from_flax(tree, "nnx.LSTMCell")
    with pytest.raises(ValueError, match="missing key 'dense_i/kernel'"):
        flax_params.from_flax(tree, "nnx.OptimizedLSTMCell")
    with pytest.raises(ValueError, match="cell: expected one of"):
        flax_params.from_flax(tree, "LSTMCell")
    with pytest.raises(ValueError, match="peephole"):
        flax_params.to_flax(lj.lstm(H, peephole=True).init(jax.random.key(0), D), "nnx.LSTMCell")
    gru = lj.gru(H).init(jax.random.key(0), D)._replace(b_hn=jnp.ones(H))
    with pytest.raises(ValueError, match="b_hn"):
        flax_params.to_flax(gru, "nnx.GRUCell")
    with pytest.raises(TypeError, match="GRUParams"):
        flax_params.to_flax(lj.lstm(H).init(jax.random.key(0), D), "linen.GRUCell")
