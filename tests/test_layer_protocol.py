"""The layer protocol: cells, bidirectional layers and stacks; implementations; custom cells.

Each of the four defects of the old design is a test here: a derived cell ran
as the plain LSTM, forward-mode autodiff had no way round the fused kernel, a
custom cell needed a field named ``w_ih``, and a stack had no ``step``.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmjax as lj
from lstmjax.interop.flax_modules import NNXRNN, LinenRNN
from lstmjax.models.language_model import language_model
from tests.helpers import assert_close_to_scale, randomize

B, T, D, H = 3, 6, 4, 5
LENGTHS = jnp.array([6, 2, 0])


def _xs(seed=0, shape=(B, T, D)):
    return jax.random.normal(jax.random.key(seed), shape)


def _scan_by_step(cell, params, xs, lengths=None):
    """A hand-written loop of ``cell.step`` over ``xs [B, T, D]``, carry held past lengths."""
    carry = cell.initial_carry((xs.shape[0],))
    ys = []
    for t in range(xs.shape[1]):
        new, y = cell.step(params, carry, xs[:, t])
        if lengths is not None:
            valid = (t < lengths)[:, None]
            new = jax.tree.map(lambda n, o, v=valid: jnp.where(v, n, o), new, carry)
            y = jnp.where(valid, y, 0.0)
        carry = new
        ys.append(y)
    return jnp.stack(ys, axis=1), carry


def _leaky_step(cell):
    """A variant of the LSTM's recurrent step: the cell state leaks 10% per step."""

    def recurrent_step(params, carry, xp_t, **step_inputs):
        new, y = cell.recurrent_step(params, carry, xp_t, **step_inputs)
        new = lj.LSTMState(new.h, 0.9 * new.c)
        return new, y

    return recurrent_step


# --- defect 1: a derived cell runs its own functions --------------------------------


def test_derived_cell_runs_its_own_recurrent_step():
    cell = lj.lstm(H)
    variant = cell._replace(recurrent_step=_leaky_step(cell))
    params = randomize(cell.init(jax.random.key(0), D), 1)
    xs = _xs()
    expected, final = _scan_by_step(variant, params, xs, LENGTHS)
    ys, got_final = lj.rnn(variant, params, xs, lengths=LENGTHS)
    chex.assert_trees_all_close((ys, got_final), (expected, final), atol=1e-5)
    plain, _ = lj.rnn(cell, params, xs, lengths=LENGTHS)
    assert float(jnp.max(jnp.abs(plain - ys))) > 1e-2  # the variant really differs
    assert variant.fused_scan() is None
    with pytest.raises(ValueError, match="implementation"):
        lj.rnn(variant, params, xs, implementation="fused")


def test_derived_cell_runs_its_own_input_projection_in_every_layer():
    cell = lj.lstm(H)
    variant = cell._replace(input_projection=lambda p, x: cell.input_projection(p, 2.0 * x))
    doubled = cell  # the plain cell on doubled inputs computes the same
    bi_variant, bi_plain = lj.bidirectional(variant), lj.bidirectional(doubled)
    params = randomize(bi_plain.init(jax.random.key(0), D), 2)
    xs = _xs(3)
    got, _ = bi_variant.apply(params, xs, lengths=LENGTHS)
    want, _ = bi_plain.apply(params, 2.0 * xs, lengths=LENGTHS)
    chex.assert_trees_all_close(got, want, atol=1e-5)
    net_variant, net_plain = lj.stack([variant, variant]), lj.stack([doubled, doubled])
    params = randomize(net_plain.init(jax.random.key(1), D), 3)
    got, _ = net_variant.apply(params, xs)
    layer0, _ = lj.rnn(doubled, params[0], 2.0 * xs)
    want, _ = lj.rnn(doubled, params[1], 2.0 * layer0)
    chex.assert_trees_all_close(got, want, atol=1e-5)


# --- defect 2: choosing the implementation ------------------------------------------


@pytest.mark.parametrize("kind", ["cell", "bidirectional", "stack"])
def test_forward_mode_autodiff_with_the_reference_implementation(kind):
    cell = lj.lstm(H)
    layer = {
        "cell": cell,
        "bidirectional": lj.bidirectional(cell),
        "stack": lj.stack([lj.bidirectional(cell), cell]),
    }[kind]
    params = randomize(layer.init(jax.random.key(0), D), 4, 0.3)
    xs = _xs(5)

    def f(x, implementation):
        return layer.apply(params, x, lengths=LENGTHS, implementation=implementation)[0].sum()

    tangent = _xs(6)
    _, jvp = jax.jvp(lambda x: f(x, "reference"), (xs,), (tangent,))
    grad = jax.grad(lambda x: f(x, "fused"))(xs)
    np.testing.assert_allclose(jvp, jnp.vdot(grad, tangent), rtol=1e-4)
    jac = jax.jacfwd(lambda x: f(x, "reference"))(xs)
    chex.assert_trees_all_close(jac, grad, atol=1e-5)
    _, linear = jax.linearize(lambda x: f(x, "reference"), xs)
    np.testing.assert_allclose(linear(tangent), jvp, rtol=1e-5)


@pytest.mark.parametrize(
    "cell",
    [lj.simple_rnn(H), lj.lstm(H, peephole=True), lj.lstm(H, coupled=True)],
    ids=["simple_rnn", "peephole", "coupled"],
)
def test_fused_on_a_cell_without_a_kernel_is_an_error(cell):
    if cell.fused_scan() is not None:
        pytest.skip("this cell has a fused kernel")
    params = cell.init(jax.random.key(0), D)
    with pytest.raises(ValueError, match='"fused" needs a cell with a fused kernel'):
        lj.rnn(cell, params, _xs(), implementation="fused")
    bi = lj.bidirectional(cell)
    with pytest.raises(ValueError, match='"fused"'):
        bi.apply(bi.init(jax.random.key(0), D), _xs(), implementation="fused")


def test_unknown_implementation_is_named():
    cell = lj.lstm(H)
    with pytest.raises(ValueError, match="implementation: expected one of"):
        lj.rnn(cell, cell.init(jax.random.key(0), D), _xs(), implementation="fast")


@pytest.mark.parametrize("factory", [lj.lstm, lj.gru], ids=["lstm", "gru"])
@settings(max_examples=5, deadline=None)
@given(
    layers=st.lists(st.sampled_from(["uni", "bi"]), min_size=1, max_size=2),
    lengths=st.lists(st.integers(0, 5), min_size=2, max_size=2),
    reverse=st.booleans(),
    bf16=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_fused_equals_reference(factory, layers, lengths, reverse, bf16, seed):
    """Values and gradients agree: f32 to 1e-5, bfloat16 compute to 1e-2 (of the scale)."""
    cell = factory(4, compute_dtype=jnp.bfloat16 if bf16 else None)
    built = [lj.bidirectional(cell) if kind == "bi" else cell for kind in layers]
    net = built[0] if len(built) == 1 else lj.stack(built)
    params = randomize(net.init(jax.random.key(seed), 3), seed, 0.4)
    xs = _xs(seed, (2, 5, 3))
    lengths = jnp.array(lengths)

    def loss(p, x, implementation):
        if len(built) == 1 and layers[0] == "uni":
            ys, final = lj.rnn(
                cell, p, x, lengths=lengths, reverse=reverse, implementation=implementation
            )
        else:
            ys, final = net.apply(p, x, lengths=lengths, implementation=implementation)
        weights = jnp.cos(jnp.arange(ys.size, dtype=jnp.float32)).reshape(ys.shape)
        return jnp.sum(ys * weights) + sum(jnp.sum(jnp.sin(x)) for x in jax.tree.leaves(final))

    results = {
        impl: jax.value_and_grad(loss, argnums=(0, 1))(params, xs, impl)
        for impl in ("fused", "reference")
    }
    tol = 1e-2 if bf16 else 1e-5
    assert_close_to_scale(results["fused"], results["reference"], tol)


# --- defect 3: a custom cell is first class ------------------------------------------


def minimal_gated_unit(hidden_size: int):
    """A minimal gated unit, ``f = sigmoid(x W_f + h U_f)``,
    ``h' = (1-f) h + f tanh(x W_c + h U_c)``.

    Params are a dict with no field named ``w_ih``.
    """

    def init(key, input_size):
        k_w, k_u = jax.random.split(key)
        return {
            "w": 0.4 * jax.random.normal(k_w, (input_size, 2 * hidden_size)),
            "u": 0.4 * jax.random.normal(k_u, (hidden_size, 2 * hidden_size)),
        }

    def initial_carry(batch_shape=(), dtype=jnp.float32):
        return jnp.zeros(tuple(batch_shape) + (hidden_size,), dtype)

    def input_projection(params, xs):
        return xs @ params["w"]

    def recurrent_step(params, h, xp_t):
        z_f, z_c = jnp.split(xp_t + h @ params["u"], 2, axis=-1)
        f = jax.nn.sigmoid(z_f)
        h = (1.0 - f) * h + f * jnp.tanh(z_c)
        return h, h

    return lj.make_cell(
        "MGU",
        hidden_size,
        hidden_size,
        init=init,
        initial_carry=initial_carry,
        input_projection=input_projection,
        recurrent_step=recurrent_step,
        input_size=lambda params: params["w"].shape[0],
    )


def test_custom_cell_runs_through_rnn_with_lengths_and_reverse():
    cell = minimal_gated_unit(H)
    params = cell.init(jax.random.key(0), D)
    xs = _xs(7)
    expected, final = _scan_by_step(cell, params, xs, LENGTHS)
    ys, got_final = lj.rnn(cell, params, xs, lengths=LENGTHS)
    chex.assert_trees_all_close((ys, got_final), (expected, final), atol=1e-6)

    def flip(x):  # [B, T, F] reversed inside each length
        return jnp.swapaxes(lj.reverse_in_length(jnp.swapaxes(x, 0, 1), LENGTHS), 0, 1)

    expected_rev, _ = _scan_by_step(cell, params, flip(xs), LENGTHS)
    ys_rev, _ = lj.rnn(cell, params, xs, lengths=LENGTHS, reverse=True)
    chex.assert_trees_all_close(ys_rev, flip(expected_rev), atol=1e-6)
    with pytest.raises(ValueError, match="xs"):
        lj.rnn(cell, params, _xs(shape=(B, T, D + 1)))


def test_custom_cell_in_bidirectional_stack_with_dropout_and_flax():
    cell = minimal_gated_unit(H)
    net = lj.stack([lj.bidirectional(cell), cell], dropout=0.3)
    params = net.init(jax.random.key(0), D)
    xs = _xs(8)
    ys, finals = net.apply(params, xs, lengths=LENGTHS)
    chex.assert_shape(ys, (B, T, H))
    chex.assert_shape(finals[0], (2, B, H))
    train_ys, _ = net.apply(params, xs, lengths=LENGTHS, train=True, dropout_key=jax.random.key(1))
    assert not np.allclose(train_ys, ys)
    grads = jax.grad(lambda p: net.apply(p, xs, lengths=LENGTHS)[0].sum())(params)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(grads))

    linen = LinenRNN(net)
    variables = linen.init(jax.random.key(2), xs)
    linen_ys, _ = linen.apply(variables, xs, lengths=LENGTHS)
    pure_ys, _ = net.apply(variables["params"]["rnn"], xs, lengths=LENGTHS)
    chex.assert_trees_all_close(linen_ys, pure_ys)
    module = NNXRNN(cell, D, params=cell.init(jax.random.key(3), D))
    nnx_ys, _ = module(xs, lengths=LENGTHS)
    chex.assert_trees_all_close(nnx_ys, lj.rnn(cell, module.pure_params(), xs, lengths=LENGTHS)[0])


def test_make_cell_names_bad_arguments():
    good = minimal_gated_unit(H)
    kwargs = dict(
        init=good.init,
        initial_carry=good.initial_carry,
        input_projection=good.input_projection,
        recurrent_step=good.recurrent_step,
    )
    with pytest.raises(TypeError, match="recurrent_step: expected a function"):
        lj.make_cell("X", H, H, **{**kwargs, "recurrent_step": 3})
    with pytest.raises(ValueError, match="hidden_size"):
        lj.make_cell("X", 0, H, **kwargs)
    with pytest.raises(TypeError, match="config: expected a hashable"):
        lj.make_cell("X", H, H, config={"a": 1}, **kwargs)
    with pytest.raises(TypeError, match="fused: expected a Fused"):
        lj.make_cell("X", H, H, fused=lambda: None, **kwargs)


def test_factory_cells_carry_their_config():
    cell = lj.lstm(H, chrono=20.0, compute_dtype=jnp.bfloat16)
    assert isinstance(cell.config, lj.LSTMConfig) and cell.config.chrono == 20.0
    assert lj.lstm(**vars(cell.config)).config == cell.config
    assert hash(cell.config) == hash(lj.lstm(**vars(cell.config)).config)
    assert lj.gru(H).config == lj.GRUConfig(H)
    assert lj.simple_rnn(H, nonlinearity="relu").config.nonlinearity == "relu"


# --- defect 4: one calling convention ------------------------------------------------


@pytest.mark.parametrize("residual", [False, True])
def test_stack_step_equals_stack_apply(residual):
    cells = [lj.lstm(H), lj.gru(H), minimal_gated_unit(H)]
    net = lj.stack([lj.stack(cells[:2]), cells[2]], dropout=0.5, residual=residual)
    params = randomize(net.init(jax.random.key(0), H), 9, 0.4)
    xs = _xs(10, (B, T, H))
    ys, finals = net.apply(params, xs)
    carry = net.initial_carry((B,))
    steps = []
    for t in range(T):
        carry, y = net.step(params, carry, xs[:, t])
        steps.append(y)
    chex.assert_trees_all_close(jnp.stack(steps, axis=1), ys, atol=1e-5)
    chex.assert_trees_all_close(carry, finals, atol=1e-5)


def test_bidirectional_step_is_an_error():
    bi = lj.bidirectional(lj.lstm(H))
    params = bi.init(jax.random.key(0), D)
    with pytest.raises(ValueError, match="no step"):
        bi.step(params, bi.initial_carry((B,)), _xs()[:, 0])
    net = lj.stack([lj.lstm(H), bi])
    with pytest.raises(ValueError, match=r"layers\[1\].*no step"):
        net.step(net.init(jax.random.key(0), D), net.initial_carry((B,)), _xs()[:, 0])
    assert not net.causal and lj.stack([lj.lstm(H)]).causal


def test_every_layer_answers_the_same_calls():
    cell = lj.lstm(H)
    for layer in (cell, lj.bidirectional(cell), lj.stack([cell, lj.bidirectional(cell)])):
        params = layer.init(jax.random.key(0), D)
        carry = layer.initial_carry((B,))
        ys, final = layer.apply(
            params, _xs(), lengths=LENGTHS, initial_carry=carry, implementation="reference"
        )
        chex.assert_shape(ys, (B, T, layer.output_size))
        chex.assert_trees_all_equal_structs(final, carry)


def test_language_model_takes_any_causal_layer():
    for encoder in (lj.lstm(H), lj.stack([lj.gru(H), minimal_gated_unit(H)])):
        model = language_model(7, encoder, embed_size=4)
        params = model.init(jax.random.key(0))
        ids = jnp.zeros((2, 5), jnp.int32)
        logits, _ = model.apply(params, ids, model.initial_carry(2))
        chex.assert_shape(logits, (2, 5, 7))
    with pytest.raises(ValueError, match="encoder: expected a causal layer"):
        language_model(7, lj.bidirectional(lj.lstm(H)), embed_size=4)


def test_nnx_module_takes_the_implementation():
    cell = lj.lstm(H)
    module = NNXRNN(cell, D, rngs=nnx.Rngs(0), implementation="reference")
    xs = _xs()
    _, jvp = jax.jvp(lambda x: module(x)[0].sum(), (xs,), (jnp.ones_like(xs),))
    assert jnp.isfinite(jvp)
