"""Attention decoders against float64 NumPy loops written from the papers' equations."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from lstmjax.seq2seq import AttentionCarry, attention_decoder, masked_softmax

B, S, E, D, H, T = 3, 5, 4, 3, 4, 4
SRC_LENGTHS = jnp.array([5, 2, 0])
KINDS = ("bahdanau", "luong_general", "luong_dot")


def random_params(layer, input_size: int, seed: int, scale: float = 0.5):
    """Params of ``layer.init``'s structure (traced, not run op by op: fast) ~ N(0, scale^2)."""
    shapes = jax.eval_shape(lambda key: layer.init(key, input_size), jax.random.key(0))
    rng = np.random.default_rng(seed)
    return jax.tree.map(
        lambda s: jnp.asarray(scale * rng.standard_normal(s.shape), jnp.float32), shapes
    )


def _setup(kind, inner=None, seed=0, input_feeding=True):
    dec = attention_decoder(
        inner or lj.simple_rnn(H),
        memory_size=E,
        attention=kind,
        attention_size=6,
        input_feeding=input_feeding,
    )
    params = random_params(dec, D, seed)
    rng = np.random.default_rng(seed)
    memory = jnp.asarray(rng.standard_normal((B, S, E)), jnp.float32)
    xs = jnp.asarray(rng.standard_normal((B, T, D)), jnp.float32)
    return dec, params, memory, xs


def _np_softmax(e, valid):
    """A loop over source positions: exp of the valid scores, normalised; 0 elsewhere."""
    out = np.zeros_like(e)
    idx = [s for s in range(len(e)) if valid[s]]
    if idx:
        m = max(e[s] for s in idx)
        total = sum(np.exp(e[s] - m) for s in idx)
        for s in idx:
            out[s] = np.exp(e[s] - m) / total
    return out


def _np_decoder(kind, params, memory, xs, src_lengths, input_feeding=True):
    """The whole decoder with a tanh-RNN inner cell, one sequence and one position at a time."""
    p = jax.tree.map(lambda x: np.asarray(x, np.float64), params)
    inner, att = p["inner"], p["attention"]
    memory, xs = np.asarray(memory, np.float64), np.asarray(xs, np.float64)
    ys, alphas = [], []
    for b in range(B):
        m, valid = memory[b], [s < int(src_lengths[b]) for s in range(S)]
        h = np.zeros(H)
        feed = np.zeros(6 if input_feeding else 0)  # Luong's h~_{t-1}
        y_b, a_b = [], []
        for t in range(T):
            if kind == "bahdanau":
                e = np.array(
                    [att["v"] @ np.tanh(h @ att["w_q"] + m[s] @ att["w_m"]) for s in range(S)]
                )
                alpha = _np_softmax(e, valid)
                c = sum(alpha[s] * m[s] for s in range(S))
                x_in = np.concatenate([xs[b, t], c])
                h = np.tanh(x_in @ inner.w_ih + inner.b + h @ inner.w_hh)
                y = np.concatenate([h, c])
            else:
                x_in = np.concatenate([xs[b, t], feed])
                h = np.tanh(x_in @ inner.w_ih + inner.b + h @ inner.w_hh)
                if kind == "luong_general":
                    e = np.array([h @ att["w_a"] @ m[s] for s in range(S)])
                else:
                    e = np.array([h @ m[s] for s in range(S)])
                alpha = _np_softmax(e, valid)
                c = sum(alpha[s] * m[s] for s in range(S))
                y = np.tanh(np.concatenate([c, h]) @ att["w_c"])
                if input_feeding:
                    feed = y
            y_b.append(y)
            a_b.append(alpha)
        ys.append(y_b)
        alphas.append(a_b)
    return np.array(ys), np.array(alphas)


def _run_steps(dec, params, carry, xs, lengths=None):
    """A hand-written loop of ``dec.step`` (jitted, compiled once); carry held past lengths."""
    step = jax.jit(dec.step)
    ys, alphas = [], []
    for t in range(xs.shape[1]):
        new, y = step(params, carry, xs[:, t])
        if lengths is not None:
            valid = t < lengths
            new = jax.tree.map(
                lambda n, o, v=valid: jnp.where(v.reshape((-1,) + (1,) * (n.ndim - 1)), n, o),
                new,
                carry,
            )
            y = jnp.where(valid[:, None], y, 0.0)
        carry = new
        ys.append(y)
        alphas.append(carry.weights)
    return jnp.stack(ys, 1), jnp.stack(alphas, 1), carry


@pytest.mark.parametrize("kind", KINDS)
def test_decoder_matches_numpy_equations(kind):
    dec, params, memory, xs = _setup(kind)
    carry = dec.attention_carry(params, memory, SRC_LENGTHS)
    ys, alphas, _ = _run_steps(dec, params, carry, xs)
    want_ys, want_alphas = _np_decoder(kind, params, memory, xs, SRC_LENGTHS)
    np.testing.assert_allclose(ys, want_ys, atol=2e-5)
    np.testing.assert_allclose(alphas, want_alphas, atol=2e-6)


def test_luong_without_input_feeding_matches_numpy():
    dec, params, memory, xs = _setup("luong_general", input_feeding=False)
    carry = dec.attention_carry(params, memory, SRC_LENGTHS)
    ys, _, _ = _run_steps(dec, params, carry, xs)
    want, _ = _np_decoder("luong_general", params, memory, xs, SRC_LENGTHS, input_feeding=False)
    np.testing.assert_allclose(ys, want, atol=2e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_weights_sum_to_one_on_valid_positions_and_are_zero_on_padding(kind):
    dec, params, memory, xs = _setup(kind, inner=lj.lstm(H))
    memory = memory.at[1, 2:].set(1e4)  # huge padding changes nothing
    carry = dec.attention_carry(params, memory, SRC_LENGTHS)
    ys, alphas, _ = _run_steps(dec, params, carry, xs)
    mask = np.arange(S)[None, None, :] < np.asarray(SRC_LENGTHS)[:, None, None]
    assert np.all(np.asarray(alphas)[~np.broadcast_to(mask, alphas.shape)] == 0.0)
    np.testing.assert_allclose(alphas.sum(-1)[:2], 1.0, atol=1e-6)
    assert np.all(np.asarray(alphas[2]) == 0.0)  # an empty source: no weight, zero context
    assert np.all(np.isfinite(ys))
    clean = dec.attention_carry(params, memory.at[1, 2:].set(0.0), SRC_LENGTHS)
    np.testing.assert_allclose(_run_steps(dec, params, clean, xs)[0], ys, atol=1e-6)


def test_masked_softmax_gradient_is_zero_on_padding():
    scores = jnp.array([[1.0, 2.0, 50.0], [0.0, 0.0, 0.0]])
    mask = jnp.array([[True, True, False], [False, False, False]])
    g = jax.jit(jax.grad(lambda s: jnp.sum(masked_softmax(s, mask) * jnp.arange(3.0))))(scores)
    assert float(g[0, 2]) == 0.0 and np.all(np.asarray(g[1]) == 0.0)
    np.testing.assert_allclose(masked_softmax(scores, mask)[0, :2], jax.nn.softmax(scores[0, :2]))


@pytest.mark.parametrize("kind", ["bahdanau", "luong_general"])
def test_apply_equals_a_loop_of_steps_with_target_lengths(kind):
    inner = lj.stack([lj.lstm(H), lj.gru(H)])
    dec, params, memory, xs = _setup(kind, inner=inner)
    carry = dec.attention_carry(params, memory, SRC_LENGTHS)
    lengths = jnp.array([4, 1, 3])
    ys, final = jax.jit(lambda p, c, x: dec.apply(p, x, initial_carry=c, lengths=lengths))(
        params, carry, xs
    )
    want_ys, _, want_final = _run_steps(dec, params, carry, xs, lengths)
    np.testing.assert_allclose(ys, want_ys, atol=1e-5)
    chex.assert_trees_all_close(final, want_final, atol=1e-5)


def test_time_major_apply_and_output_sizes():
    dec, params, memory, xs = _setup("bahdanau")
    carry = dec.attention_carry(params, memory)
    ys, _ = dec.apply(params, xs, initial_carry=carry)
    ys_tm, _ = dec.apply(params, jnp.swapaxes(xs, 0, 1), initial_carry=carry, time_major=True)
    np.testing.assert_allclose(jnp.swapaxes(ys_tm, 0, 1), ys, atol=1e-6)
    assert ys.shape == (B, T, H + E) == (B, T, dec.output_size)
    assert _setup("luong_dot")[0].output_size == 6


def test_initial_carry_is_an_empty_memory():
    dec, params, _, xs = _setup("luong_general")
    carry = dec.initial_carry((B,))
    assert isinstance(carry, AttentionCarry) and not np.any(np.asarray(carry.mask))
    carry, y = dec.step(params, carry, xs[:, 0])
    assert y.shape == (B, 6) and np.all(np.asarray(carry.weights) == 0.0)


def test_named_errors():
    dec, params, memory, xs = _setup("bahdanau")
    with pytest.raises(TypeError, match="^inner"):
        attention_decoder(object(), memory_size=E)
    with pytest.raises(ValueError, match="^inner"):
        attention_decoder(lj.bidirectional(lj.lstm(H)), memory_size=E)
    with pytest.raises(ValueError, match="^attention"):
        attention_decoder(lj.lstm(H), memory_size=E, attention="concat")
    with pytest.raises(ValueError, match="^memory_size"):
        attention_decoder(lj.lstm(H), memory_size=E + 1, attention="luong_dot")
    with pytest.raises(ValueError, match="^memory_size"):
        attention_decoder(lj.lstm(H), memory_size=0)
    with pytest.raises(TypeError, match="^input_feeding"):
        attention_decoder(lj.lstm(H), memory_size=E, input_feeding=1)
    with pytest.raises(ValueError, match="^memory"):
        dec.attention_carry(params, memory[..., :2])
    with pytest.raises(TypeError, match="^memory"):
        dec.attention_carry(params, memory.astype(jnp.int32))
    with pytest.raises(TypeError, match="^lengths"):
        dec.attention_carry(params, memory, jnp.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="^lengths"):
        dec.attention_carry(params, memory, jnp.array([1, 2]))
    with pytest.raises(ValueError, match="^initial_carry"):
        dec.apply(params, xs)
    carry = dec.attention_carry(params, memory)
    with pytest.raises(ValueError, match="^lengths"):
        dec.apply(params, xs, initial_carry=carry, lengths=jnp.array([1, 2]))
    with pytest.raises(TypeError, match="^xs"):
        dec.apply(params, xs.astype(jnp.int32), initial_carry=carry)
    with pytest.raises(ValueError, match="^implementation"):
        dec.apply(params, xs, initial_carry=carry, implementation="fused")
    with pytest.raises(ValueError, match="^unroll"):
        dec.apply(params, xs, initial_carry=carry, unroll=0)
    with pytest.raises(TypeError, match="^batch_shape"):
        dec.initial_carry("B")
    with pytest.raises(TypeError, match="^carry"):
        dec.step(params, dec.inner.initial_carry((B,)), xs[:, 0])
