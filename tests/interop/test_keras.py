"""lstmjax against Keras 3 (JAX backend) LSTM / GRU / SimpleRNN / Bidirectional."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmjax as lj  # noqa: E402
from lstmjax.interop import keras as ljk  # noqa: E402

B, T, D, H = 3, 7, 4, 5
ATOL = 1e-5
XS = np.asarray(jax.random.normal(jax.random.key(0), (B, T, D)))
LENGTHS = np.array([7, 3, 5])


def built(layer, seed=0):
    """Builds ``layer`` on XS and randomises every weight (biases included)."""
    layer(XS[:1])
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [0.5 * rng.normal(size=w.shape).astype(np.float32) for w in layer.get_weights()]
    )
    return layer


def keras_run(layer, mask=None):
    ys, *states = layer(XS, mask=mask)
    return np.asarray(ys), [np.asarray(s) for s in states]


def rnn_layer(kind, **kwargs):
    return getattr(keras.layers, kind)(H, return_sequences=True, return_state=True, **kwargs)


@pytest.mark.parametrize(
    "kind, kwargs",
    [
        ("LSTM", dict(go_backwards=True)),
        ("LSTM", dict(use_bias=False)),
        ("GRU", dict(go_backwards=True)),
        ("SimpleRNN", dict(activation="relu")),
    ],
)
def test_matches_keras(kind, kwargs):
    layer = built(rnn_layer(kind, **kwargs))
    converted = ljk.from_keras(layer)
    assert converted.go_backwards == kwargs.get("go_backwards", False)
    ys, final = lj.rnn(converted.layer, converted.params, XS, reverse=converted.go_backwards)
    ys_k, states_k = keras_run(layer)
    if converted.go_backwards:
        ys = ys[:, ::-1]
    np.testing.assert_allclose(ys, ys_k, atol=ATOL, rtol=0)
    np.testing.assert_allclose(jax.tree.leaves(final)[0], states_k[0], atol=ATOL, rtol=0)
    if kind == "LSTM":
        np.testing.assert_allclose(final.c, states_k[1], atol=ATOL, rtol=0)


def test_masked_lstm_matches_keras():
    """A right-padded batch: Keras holds the state past the mask, as lengths= does."""
    layer = built(rnn_layer("LSTM"))
    converted = ljk.from_keras(layer)
    mask = np.arange(T)[None, :] < LENGTHS[:, None]
    ys, final = lj.rnn(converted.layer, converted.params, XS, lengths=jnp.asarray(LENGTHS))
    ys_k, (h_k, c_k) = keras_run(layer, mask)
    np.testing.assert_allclose(np.where(mask[..., None], ys_k, 0.0), ys, atol=ATOL, rtol=0)
    np.testing.assert_allclose(final.h, h_k, atol=ATOL, rtol=0)
    np.testing.assert_allclose(final.c, c_k, atol=ATOL, rtol=0)


@pytest.mark.parametrize("kind, merge_mode", [("LSTM", "concat"), ("GRU", "ave")])
def test_bidirectional_with_mask_matches_keras(kind, merge_mode):
    inner = getattr(keras.layers, kind)(H, return_sequences=True)
    layer = built(keras.layers.Bidirectional(inner, merge_mode=merge_mode))
    converted = ljk.from_keras(layer)
    mask = np.arange(T)[None, :] < LENGTHS[:, None]
    ys, _ = converted.layer.apply(converted.params, XS, lengths=jnp.asarray(LENGTHS))
    ys_k = np.asarray(layer(XS, mask=mask))
    np.testing.assert_allclose(ys, ys_k, atol=ATOL, rtol=0)


def test_unit_forget_bias_lands_in_the_forget_block():
    layer = rnn_layer("LSTM", unit_forget_bias=True)
    layer(XS[:1])
    b = ljk.from_keras(layer).params.b
    np.testing.assert_array_equal(b.reshape(4, H), np.eye(4)[[1]].T.repeat(H, 1))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_round_trip_into_keras(kind):
    """lstmjax-initialised params written into Keras compute what lstmjax computes."""
    cell = lj.lstm(H) if kind == "LSTM" else lj.gru(H)
    params = cell.init(jax.random.key(1), D)
    params = params._replace(b=params.b + 0.3)
    if kind == "GRU":
        params = params._replace(b_hn=params.b_hn - 0.2)
    layer = rnn_layer(kind)
    layer(XS[:1])
    ljk.to_keras(params, layer)
    np.testing.assert_allclose(keras_run(layer)[0], lj.rnn(cell, params, XS)[0], atol=ATOL)
    back = ljk.from_keras(layer).params
    for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(params)):
        np.testing.assert_allclose(a, b, atol=1e-7)
    bi = keras.layers.Bidirectional(getattr(keras.layers, kind)(H, return_sequences=True))
    bi(XS[:1])
    stacked = jax.tree.map(lambda x: jnp.stack([x, -x]), params)
    ljk.to_keras(stacked, bi)
    ys, _ = lj.bidirectional(cell).apply(stacked, XS)
    np.testing.assert_allclose(np.asarray(bi(XS)), ys, atol=ATOL, rtol=0)


def test_bad_keras_weights_name_the_problem():
    kernel, recurrent, bias = (np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H))
    with pytest.raises(ValueError, match="missing key 'bias'"):
        ljk.params_from_keras([kernel, recurrent], "LSTM", units=H)
    with pytest.raises(ValueError, match=r"weights\['kernel'\]: expected shape \(4, 24\)"):
        ljk.params_from_keras([kernel, recurrent, bias], "LSTM", units=6)
    with pytest.raises(ValueError, match=r"unexpected keys \['weights\[3\]'\]"):
        ljk.params_from_keras([kernel, recurrent, bias, bias], "LSTM", units=H)
    with pytest.raises(ValueError, match=r"'kernel'\]: expected shape \(4, 15\)"):
        ljk.params_from_keras([kernel, recurrent, bias], "GRU", units=H)
    with pytest.raises(ValueError, match="reset_after"):
        ljk.params_from_keras([kernel, recurrent, bias], "GRU", units=H, reset_after=False)
    with pytest.raises(ValueError, match="recurrent_activation"):
        ljk.from_keras(built(rnn_layer("LSTM", recurrent_activation="hard_sigmoid")))
    with pytest.raises(TypeError, match="Dense"):
        ljk.from_keras(keras.layers.Dense(3))
    layer = built(rnn_layer("GRU"))
    with pytest.raises(ValueError, match="shapes"):
        ljk.to_keras(lj.gru(H + 1).init(jax.random.key(0), D), layer)
    with pytest.raises(ValueError, match="non-zero bias"):
        ljk.params_to_keras(lj.lstm(H).init(jax.random.key(0), D), use_bias=False)


def test_export_reads_the_cells_config():
    """With ``cell`` the options come from its config, and the params are checked against it."""
    cell = lj.gru(H)
    params = cell.init(jax.random.key(2), D)
    by_config = ljk.params_to_keras(params, cell=cell)
    for a, b in zip(by_config, ljk.params_to_keras(params), strict=True):
        np.testing.assert_array_equal(a, b)
    bi = lj.bidirectional(cell)
    layer = keras.layers.Bidirectional(keras.layers.GRU(H, return_sequences=True))
    layer(XS[:1])
    ljk.to_keras(bi.init(jax.random.key(3), D), layer, cell=bi)
    coupled = lj.lstm(H, coupled=True)
    with pytest.raises(ValueError, match="Keras has no coupled"):
        ljk.params_to_keras(coupled.init(jax.random.key(0), D), cell=coupled)
    with pytest.raises(TypeError, match="expected LSTMParams for this LSTM cell"):
        ljk.params_to_keras(params, cell=lj.lstm(H))
    custom = lj.make_cell(
        "X",
        H,
        H,
        init=cell.init,
        initial_carry=cell.initial_carry,
        input_projection=cell.input_projection,
        recurrent_step=cell.recurrent_step,
    )
    with pytest.raises(TypeError, match="built by lstmjax.lstm, gru or simple_rnn"):
        ljk.params_to_keras(params, cell=custom)
