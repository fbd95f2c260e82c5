"""The convolution as a matrix product over patches equals XLA's convolution,
values and gradients, and is what the convolutional cells run on CPU."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmjax as lj
from lstmjax.cells.conv import conv2d
from lstmjax.kernels import tuning
from tests.helpers import assert_close_to_scale, randomize


@st.composite
def convolutions(draw):
    """``x [2, height, width, C]`` and ``w [k1, k2, C, O]``: odd, even and
    rectangular kernels, kernels larger than the frame, frames of one pixel."""
    k1, k2 = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    height, width = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    channels, out = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((2, height, width, channels)).astype(np.float32)
    w = rng.standard_normal((k1, k2, channels, out)).astype(np.float32)
    return jnp.asarray(x), jnp.asarray(w)


def both(x, w, **kwargs):
    return conv2d(x, w, as_matmul=True, **kwargs), conv2d(x, w, as_matmul=False, **kwargs)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(convolutions())
def test_values_and_gradients_equal_xlas_convolution(xw):
    x, w = xw
    patches, native = both(x, w)
    assert patches.shape == native.shape == x.shape[:-1] + w.shape[-1:]
    assert_close_to_scale(patches, native, 1e-5)
    cotangent = jnp.asarray(np.random.default_rng(1).standard_normal(native.shape), jnp.float32)

    def grads(as_matmul):
        return jax.grad(
            lambda x, w: jnp.sum(conv2d(x, w, as_matmul=as_matmul) * cotangent), (0, 1)
        )(x, w)

    assert_close_to_scale(grads(True), grads(False), 1e-5)


def test_leading_axes_and_low_precision_operands_are_handled_alike():
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((2, 3, 4, 5, 3)), jnp.float32)  # [B, T, H, W, C]
    w = jnp.asarray(rng.standard_normal((3, 3, 3, 4)), jnp.float32)
    patches, native = both(x, w, compute_dtype=jnp.bfloat16)
    assert patches.dtype == native.dtype == jnp.float32 and patches.shape == (2, 3, 4, 5, 4)
    # the same bfloat16 operands, float32 sums in another order
    assert_close_to_scale(patches, native, 1e-2)


def test_the_backends_choice_is_patches_on_cpu_and_xlas_convolution_elsewhere(monkeypatch):
    x, w = jnp.ones((1, 4, 4, 2)), jnp.ones((3, 3, 2, 2))

    def program():  # a fresh function each time: traces are cached per function
        return str(jax.make_jaxpr(lambda x, w: conv2d(x, w))(x, w))

    assert jax.default_backend() == "cpu" and tuning.conv_as_matmul()
    assert "conv_general_dilated" not in program() and "dot_general" in program()
    monkeypatch.setattr(tuning, "CONV_AS_MATMUL", frozenset())
    assert "conv_general_dilated" in program()


@pytest.mark.parametrize("make", [lj.conv_lstm, lj.conv_gru], ids=["conv_lstm", "conv_gru"])
def test_a_cells_outputs_and_gradients_do_not_depend_on_the_path(make, monkeypatch):
    cell = make(3, spatial_shape=(5, 4))
    params = randomize(cell.init(jax.random.key(0), 2), 1)
    xs = jnp.asarray(np.random.default_rng(2).standard_normal((2, 6, 5, 4, 2)), jnp.float32)

    def run():
        loss = lambda p: jnp.sum(lj.rnn(cell, p, xs)[0] ** 2)
        return jax.value_and_grad(loss)(params)

    patches = run()
    monkeypatch.setattr(tuning, "CONV_AS_MATMUL", frozenset())
    assert_close_to_scale(patches, run(), 1e-5)
