"""lstmjax against PyTorch's nn.LSTM / nn.GRU / nn.RNN with converted weights (CPU, float32)."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmjax as lj
from lstmjax.interop import torch as ljt

torch.set_num_threads(1)
ATOL = 1e-5

MODULES = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN_TANH": torch.nn.RNN}


def make_module(mode, input_size, hidden_size, seed=0, **config):
    torch.manual_seed(seed)
    if mode == "RNN_RELU":
        return torch.nn.RNN(
            input_size, hidden_size, nonlinearity="relu", batch_first=True, **config
        )
    return MODULES[mode](input_size, hidden_size, batch_first=True, **config)


def run_torch(module, xs, lengths=None):
    """Outputs [B, T, O] (zero past each length) and the final state(s), as NumPy."""
    x = torch.from_numpy(np.array(xs))
    with torch.no_grad():
        if lengths is None:
            ys, final = module(x)
        else:
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                x, torch.from_numpy(np.asarray(lengths)), batch_first=True, enforce_sorted=False
            )
            ys, final = module(packed)
            ys, _ = torch.nn.utils.rnn.pad_packed_sequence(
                ys, batch_first=True, total_length=x.shape[1]
            )
    final = tuple(f.numpy() for f in final) if isinstance(final, tuple) else final.numpy()
    return ys.numpy(), final


@functools.cache
def compiled(mode, hidden_size, num_layers, bidirectional, proj_size):
    """One jitted network per configuration, so repeated shapes compile once."""
    net = ljt.network(
        mode, hidden_size, num_layers=num_layers, bidirectional=bidirectional, proj_size=proj_size
    )
    return jax.jit(net.apply)


def check_matches(module, xs, lengths=None):
    _, params = ljt.from_torch_module(module)
    apply = compiled(
        module.mode,
        module.hidden_size,
        module.num_layers,
        module.bidirectional,
        module.proj_size if module.mode == "LSTM" else 0,
    )
    ys, finals = apply(params, xs, lengths=lengths)
    ys_t, final_t = run_torch(module, xs, lengths)
    np.testing.assert_allclose(ys, ys_t, atol=ATOL, rtol=0)
    ours = ljt.final_state(finals, bidirectional=module.bidirectional)
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(final_t)):
        np.testing.assert_allclose(a, b, atol=ATOL, rtol=0)


def inputs(batch=4, steps=9, features=5, seed=1):
    return jax.random.normal(jax.random.key(seed), (batch, steps, features), jnp.float32)


LENGTHS = jnp.array([9, 3, 1, 6])

CONFIGS = [
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(num_layers=3, proj_size=3)),
    ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=4, bias=False)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(bias=False)),
    ("RNN_TANH", dict(num_layers=2, bidirectional=True)),
    ("RNN_RELU", dict(num_layers=2)),
]


@pytest.mark.parametrize("mode, config", CONFIGS)
def test_matches_torch_packed(mode, config):
    check_matches(make_module(mode, 5, 6, **config), inputs(), LENGTHS)


@pytest.mark.parametrize("mode, config", [CONFIGS[1], CONFIGS[5]])
def test_matches_torch_full_length(mode, config):
    check_matches(make_module(mode, 5, 6, **config), inputs())


@settings(max_examples=8, deadline=None)
@given(
    mode=st.sampled_from(["LSTM", "GRU"]),
    bidirectional=st.booleans(),
    lengths=st.lists(st.integers(1, 6), min_size=3, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_random_lengths(mode, bidirectional, lengths, seed):
    module = make_module(mode, 3, 4, seed=seed, bidirectional=bidirectional)
    xs = inputs(batch=len(lengths), steps=6, features=3, seed=seed)
    check_matches(module, xs, jnp.array(lengths))


@pytest.mark.parametrize("mode, config", [CONFIGS[3], CONFIGS[5], CONFIGS[7]])
def test_round_trip_through_torch(mode, config):
    """lstmjax params -> state_dict -> a fresh module computes the same function."""
    source = make_module(mode, 5, 6, seed=0, **config)
    _, params = ljt.from_torch_module(source)
    target = make_module(mode, 5, 6, seed=1, **config)
    state = ljt.to_torch(params, bias=config.get("bias", True))
    assert sorted(state) == sorted(target.state_dict())
    target.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    ys, _ = compiled(
        mode,
        6,
        config.get("num_layers", 1),
        config.get("bidirectional", False),
        config.get("proj_size", 0),
    )(params, inputs(), lengths=LENGTHS)
    np.testing.assert_allclose(run_torch(target, inputs(), LENGTHS)[0], ys, atol=ATOL, rtol=0)


def test_lstmjax_initialised_params_export():
    """A network built and initialised in lstmjax (forget bias 1) runs in torch unchanged."""
    net = ljt.network("LSTM", 6, num_layers=2, bidirectional=True)
    params = net.init(jax.random.key(0), input_size=5)
    module = make_module("LSTM", 5, 6, num_layers=2, bidirectional=True)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in ljt.to_torch(params).items()})
    ys, _ = compiled("LSTM", 6, 2, True, 0)(params, inputs(), lengths=LENGTHS)
    np.testing.assert_allclose(run_torch(module, inputs(), LENGTHS)[0], ys, atol=ATOL, rtol=0)


def test_bias_sum_documented():
    """b = b_ih + b_hh for the LSTM; the GRU keeps the n block of b_hh as b_hn."""
    lstm_module = make_module("LSTM", 5, 6)
    (p,) = ljt.from_torch_module(lstm_module)[1]
    sd = lstm_module.state_dict()
    np.testing.assert_allclose(p.b, (sd["bias_ih_l0"] + sd["bias_hh_l0"]).numpy(), atol=1e-7)
    gru_module = make_module("GRU", 5, 6)
    (g,) = ljt.from_torch_module(gru_module)[1]
    sd = gru_module.state_dict()
    np.testing.assert_allclose(g.b_hn, sd["bias_hh_l0"][12:].numpy())
    np.testing.assert_allclose(g.b[12:], sd["bias_ih_l0"][12:].numpy())


def state_dict_of(mode, **config):
    return make_module(mode, 5, 6, **config).state_dict()


@pytest.mark.parametrize(
    "state_dict, config, message",
    [
        (state_dict_of("LSTM"), dict(num_layers=2), "missing key 'weight_ih_l1'"),
        (state_dict_of("LSTM", num_layers=2), dict(), "unexpected keys \\['bias_hh_l1'"),
        (state_dict_of("LSTM"), dict(hidden_size=7), "state_dict\\['weight_ih_l0'\\]"),
        (state_dict_of("LSTM"), dict(input_size=4), "expected shape \\(24, 4\\)"),
        (state_dict_of("GRU"), dict(), "'weight_ih_l0'\\]: expected shape \\(24, 5\\)"),
        (state_dict_of("LSTM", bidirectional=True), dict(), "unexpected keys.*_reverse"),
        (state_dict_of("LSTM"), dict(bidirectional=True), "missing key 'weight_ih_l0_reverse'"),
        (
            state_dict_of("LSTM", proj_size=3),
            dict(),
            "weight_hh_l0'\\]: expected shape \\(24, 6\\)",
        ),
        (state_dict_of("LSTM"), dict(proj_size=3), "weight_hh_l0'\\]: expected shape \\(24, 3\\)"),
        (state_dict_of("LSTM", bias=False), dict(), "missing key 'bias_ih_l0'"),
        (state_dict_of("LSTM"), dict(bias=False), "unexpected keys \\['bias_hh_l0', 'bias_ih_l0'"),
    ],
)
def test_bad_state_dict_names_the_key(state_dict, config, message):
    config = dict(dict(input_size=5, hidden_size=6), **config)
    with pytest.raises(ValueError, match=message):
        ljt.from_torch(state_dict, "LSTM", **config)


def lstm_params(**fields):
    """Zero LSTM params, D=3, H=4, with the given fields replaced."""
    return lj.LSTMParams(np.zeros((3, 16)), np.zeros((4, 16)), np.zeros(16))._replace(**fields)


def test_bad_config_and_exports_rejected():
    with pytest.raises(ValueError, match="mode"):
        ljt.network("LSTMP", 6)
    with pytest.raises(ValueError, match="proj_size"):
        ljt.network("GRU", 6, proj_size=3)
    with pytest.raises(ValueError, match="peephole"):
        ljt.to_torch((lstm_params(peephole=np.zeros((3, 4))),))
    with pytest.raises(ValueError, match="coupled"):
        ljt.to_torch((lstm_params(w_ih=np.zeros((3, 12)), w_hh=np.zeros((4, 12))),))
    with pytest.raises(ValueError, match="non-zero bias"):
        ljt.to_torch((lstm_params(b=np.ones(16)),), bias=False)
    with pytest.raises(TypeError, match="one layer's params"):
        ljt.to_torch(lstm_params())
    gru = lj.GRUParams(np.zeros((4, 12)), np.zeros((4, 12)), np.zeros(12), np.zeros(4))
    with pytest.raises(TypeError, match="one kind"):
        ljt.to_torch((lstm_params(), gru))
    with pytest.raises(ValueError, match="one hidden size"):
        ljt.to_torch((lstm_params(), lstm_params(w_ih=np.zeros((4, 20)), w_hh=np.zeros((5, 20)))))


def test_export_reads_the_networks_configs():
    """With ``net`` the options come from each cell's config, not the params' shapes."""
    module = make_module("LSTM", 5, 6, num_layers=2, bidirectional=True, proj_size=3)
    net, params = ljt.from_torch_module(module)
    by_config = ljt.to_torch(params, net=net)
    by_shapes = ljt.to_torch(params)
    assert by_config.keys() == by_shapes.keys() == module.state_dict().keys()
    for key, value in by_config.items():
        np.testing.assert_array_equal(value, by_shapes[key])
    peephole = lj.stack([lj.lstm(4, peephole=True)])
    with pytest.raises(ValueError, match="PyTorch has no peephole"):
        ljt.to_torch(peephole.init(jax.random.key(0), 3), net=peephole)
    coupled = lj.stack([lj.lstm(4, coupled=True)])
    with pytest.raises(ValueError, match="coupled=True"):
        ljt.to_torch(coupled.init(jax.random.key(0), 3), net=coupled)
    with pytest.raises(ValueError, match=r"params.w_ih: expected shape \(\*, 15\)"):
        ljt.to_torch(lj.stack([lj.gru(4)]).init(jax.random.key(0), 3), net=lj.stack([lj.gru(5)]))
    with pytest.raises(ValueError, match="a Stack of 1 layers"):
        ljt.to_torch(lj.stack([lj.gru(4)]).init(jax.random.key(0), 3), net=lj.gru(4))
