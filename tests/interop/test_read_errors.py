"""Reading foreign weights: bfloat16 tensors, wrong modules, wrong ranks, unbuilt layers."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lstmjax.interop import flax_params  # noqa: E402
from lstmjax.interop import keras as ljk  # noqa: E402
from lstmjax.interop import torch as ljt  # noqa: E402

D, H = 3, 5


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_bfloat16_torch_weights_are_read_exactly(kind):
    torch.manual_seed(0)
    module = getattr(torch.nn, kind)(D, H, batch_first=True).to(torch.bfloat16)
    net, (params,) = ljt.from_torch_module(module)
    assert {x.dtype for x in jax.tree.leaves(params)} == {jnp.dtype(jnp.bfloat16)}
    np.testing.assert_array_equal(
        np.asarray(params.w_ih, np.float32), module.weight_ih_l0.detach().float().numpy().T
    )
    # The bfloat16 values are exact in float32: the float32 copies compute the same function
    # (up to the one bfloat16 rounding of the summed bias).
    xs = np.asarray(jax.random.normal(jax.random.key(1), (2, 6, D)))
    ys_torch = module.float()(torch.from_numpy(np.array(xs)))[0].detach().numpy()
    ys, _ = net.apply((jax.tree.map(lambda x: x.astype(jnp.float32), params),), xs)
    np.testing.assert_allclose(ys, ys_torch, atol=2e-2, rtol=0)


def test_from_torch_module_of_a_linear_names_module_and_the_expected_kinds():
    with pytest.raises(TypeError, match=r"module: expected a torch.nn.LSTM, GRU or RNN.*Linear"):
        ljt.from_torch_module(torch.nn.Linear(D, H))


@pytest.mark.parametrize("cell", ["linen.LSTMCell", "nnx.OptimizedLSTMCell"])
def test_one_dimensional_flax_kernel_names_path_and_rank(cell):
    key = "ii/kernel" if cell == "linen.LSTMCell" else "dense_i/kernel"
    outer, inner = key.split("/")
    tree = {outer: {inner: np.zeros(4 * H, np.float32)}}
    with pytest.raises(ValueError, match=rf"params\['{key}'\]: expected a rank-2 array.*\(20,\)"):
        flax_params.from_flax(tree, cell)


def test_one_dimensional_keras_kernel_names_it_and_the_rank():
    weights = [np.zeros(4 * H, np.float32), np.zeros((H, 4 * H), np.float32)]
    with pytest.raises(ValueError, match=r"weights\['kernel'\]: expected a rank-2 array"):
        ljk.params_from_keras(weights, "LSTM", units=H, use_bias=False)


@pytest.mark.parametrize(
    "layer", [keras.layers.LSTM(H), keras.layers.Bidirectional(keras.layers.GRU(H))]
)
def test_unbuilt_keras_layer_says_build_it_first(layer):
    with pytest.raises(ValueError, match="layer: expected a built Keras layer.*build it first"):
        ljk.from_keras(layer)
