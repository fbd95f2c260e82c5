"""Greedy, sampled and beam-search decoding against exhaustive enumeration in NumPy."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmjax as lj
from lstmjax.seq2seq import (
    attention_decoder,
    beam_search,
    greedy_decode,
    sample_decode,
    token_step,
)

V, D, H, EOS, PAD = 4, 3, 5, 1, 0


def random_params(layer, input_size: int, seed: int, scale: float = 0.5):
    """Params of ``layer.init``'s structure (traced, not run op by op: fast) ~ N(0, scale^2)."""
    shapes = jax.eval_shape(lambda key: layer.init(key, input_size), jax.random.key(0))
    rng = np.random.default_rng(seed)
    return jax.tree.map(
        lambda s: jnp.asarray(scale * rng.standard_normal(s.shape), jnp.float32), shapes
    )


def _decoder(seed=0, vocab=V, layer=None, out_scale=3.0):
    """A random token decoder: an LSTM (or ``layer``), embedding [V, D], readout to V logits."""
    layer = layer or lj.lstm(H)
    params = random_params(layer, D, seed)
    rng = np.random.default_rng(seed + 100)
    embedding = jnp.asarray(rng.standard_normal((vocab, D)), jnp.float32)
    readout = {
        "w": jnp.asarray(out_scale * rng.standard_normal((layer.output_size, vocab)), jnp.float32),
        "b": jnp.asarray(rng.standard_normal(vocab), jnp.float32),
    }
    return layer, token_step(layer, params, embedding, readout)


def _random_carry(layer, batch, seed):
    rng = np.random.default_rng(seed)
    zeros = layer.initial_carry((batch,))
    return jax.tree.map(lambda z: jnp.asarray(rng.standard_normal(z.shape), jnp.float32), zeros)


def _teacher_forced_log_probs(step_fn, carry, start, seqs):
    """``log p(. | y_<t)`` over all ``V`` tokens for sequences ``seqs [N, L]``: ``[N, L, V]``."""

    @jax.jit
    def run(carry, start, seqs):
        inputs = jnp.concatenate([start[:, None], seqs[:, :-1]], axis=1)

        def body(c, tok):
            c, logits = step_fn(c, tok)
            return c, jax.nn.log_softmax(logits)

        return jnp.moveaxis(jax.lax.scan(body, carry, inputs.T)[1], 0, 1)

    return np.asarray(run(carry, start, seqs), np.float64)


def _exhaustive(step_fn, carry_one, start_token, max_len, alpha):
    """Every hypothesis (tokens up to and including the first EOS, or max_len tokens) and its
    length-normalised score, by enumerating all V**max_len sequences: {tuple: (score, logp)}."""
    seqs = np.array(list(itertools.product(range(V), repeat=max_len)), np.int32)
    n = len(seqs)
    carry = jax.tree.map(lambda x: jnp.repeat(x, n, axis=0), carry_one)
    logp = _teacher_forced_log_probs(step_fn, carry, jnp.full((n,), start_token), jnp.asarray(seqs))
    hyps = {}
    for row, lp in zip(seqs, logp):
        total, hyp = 0.0, []
        for t, tok in enumerate(row):
            total += lp[t, tok]
            hyp.append(int(tok))
            if tok == EOS:
                break
        penalty = ((5.0 + len(hyp)) / 6.0) ** alpha
        hyps[tuple(hyp)] = (total / penalty, total)
    return hyps


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_beam_search_finds_the_exhaustive_best_sequences(alpha):
    max_len, B = 4, 2
    layer, step_fn = _decoder(seed=1)
    carry = _random_carry(layer, B, seed=2)
    start = jnp.array([2, 3])
    K = V ** (max_len - 1)  # a beam as wide as every prefix: the search is exact
    out = jax.jit(
        lambda c, s: beam_search(
            step_fn, c, s, max_len=max_len, beam_size=K, eos_id=EOS, pad_id=PAD, alpha=alpha
        )
    )(carry, start)
    for b in range(B):
        hyps = _exhaustive(
            step_fn, jax.tree.map(lambda x, b=b: x[b : b + 1], carry), int(start[b]), max_len, alpha
        )
        ranked = sorted(hyps.items(), key=lambda kv: -kv[1][0])[:K]
        np.testing.assert_allclose(out.scores[b], [s for _, (s, _) in ranked], rtol=1e-5, atol=1e-5)
        best, (_, best_logp) = ranked[0]
        got = np.asarray(out.sequences[b, 0])
        assert tuple(got[: int(out.lengths[b, 0])]) == best
        assert np.all(got[len(best) :] == PAD)
        np.testing.assert_allclose(out.log_probs[b, 0], best_logp, rtol=1e-5)
        for k in range(K):  # every beam's score is its own sequence's
            hyp = tuple(np.asarray(out.sequences[b, k, : int(out.lengths[b, k])]))
            np.testing.assert_allclose(out.scores[b, k], hyps[hyp][0], rtol=1e-5, atol=1e-5)


def _beam_and_greedy(step_fn, carry, start, *, max_len, beam_size, alpha=0.0, pad_id=PAD):
    """Beam search and greedy decoding with EOS, compiled together."""

    @jax.jit
    def run(carry, start):
        kw = dict(max_len=max_len, eos_id=EOS, pad_id=pad_id)
        beam = beam_search(step_fn, carry, start, beam_size=beam_size, alpha=alpha, **kw)
        return beam, greedy_decode(step_fn, carry, start, **kw)

    return run(carry, start)


def test_a_narrow_beam_scores_its_beams_exactly_and_beats_greedy():
    max_len, B, K = 5, 3, 3
    layer, step_fn = _decoder(seed=3, out_scale=1.0)
    carry = _random_carry(layer, B, seed=4)
    start = jnp.zeros((B,), jnp.int32)
    out, greedy = _beam_and_greedy(step_fn, carry, start, max_len=max_len, beam_size=K)
    n = B * K
    seqs = out.sequences.reshape(n, max_len)
    logp = _teacher_forced_log_probs(
        step_fn, jax.tree.map(lambda x: jnp.repeat(x, K, 0), carry), jnp.repeat(start, K), seqs
    )
    lengths = np.asarray(out.lengths).reshape(n)
    want = [sum(logp[i, t, seqs[i, t]] for t in range(lengths[i])) for i in range(n)]
    np.testing.assert_allclose(np.asarray(out.log_probs).reshape(n), want, rtol=1e-5)
    assert np.all(np.diff(np.asarray(out.scores), axis=1) <= 0)  # best first
    assert np.all(np.asarray(out.scores[:, 0]) >= np.asarray(greedy.scores) - 1e-5)


def test_beam_size_one_equals_greedy():
    B, max_len, vocab = 4, 7, 6
    layer, step_fn = _decoder(seed=5, vocab=vocab, out_scale=2.0)
    carry = _random_carry(layer, B, seed=6)
    start = jnp.array([0, 2, 3, 5])
    beam, greedy = _beam_and_greedy(step_fn, carry, start, max_len=max_len, beam_size=1, alpha=0.6)
    np.testing.assert_array_equal(beam.sequences[:, 0], greedy.sequences)
    np.testing.assert_array_equal(beam.lengths[:, 0], greedy.lengths)
    np.testing.assert_allclose(beam.log_probs[:, 0], greedy.scores, rtol=1e-5)
    assert np.any(np.asarray(greedy.lengths) < max_len)  # some sequences did stop at EOS


def test_eos_first_stops_every_beam_and_pads():
    layer, step_fn = _decoder(seed=7)
    w_bias = {"w": jnp.zeros((H, V)), "b": jnp.array([0.0, 10.0, 0.0, 0.0])}
    params = random_params(layer, D, 7)
    always_eos = token_step(layer, params, jnp.ones((V, D)), w_bias)
    carry = layer.initial_carry((2,))
    start = jnp.zeros((2,), jnp.int32)
    out, greedy = _beam_and_greedy(always_eos, carry, start, max_len=6, beam_size=3, pad_id=7)
    np.testing.assert_array_equal(greedy.sequences, [[EOS] + [7] * 5] * 2)
    np.testing.assert_array_equal(out.sequences[:, 0], [[EOS] + [7] * 5] * 2)
    np.testing.assert_array_equal(out.lengths[:, 0], [1, 1])
    np.testing.assert_allclose(out.log_probs[:, 0], jax.nn.log_softmax(w_bias["b"])[EOS], rtol=1e-6)
    # every beam ends in EOS then padding, or runs to max_len without one
    out, _ = _beam_and_greedy(step_fn, _random_carry(layer, 2, 8), start, max_len=5, beam_size=4)
    for seq, n in zip(
        np.asarray(out.sequences).reshape(-1, 5), np.asarray(out.lengths).reshape(-1)
    ):
        assert EOS not in seq[: n - 1] and np.all(seq[n:] == PAD)
        assert seq[n - 1] == EOS or n == 5


def test_without_eos_every_hypothesis_is_max_len():
    layer, step_fn = _decoder(seed=9)
    out = jax.jit(lambda c, s: beam_search(step_fn, c, s, max_len=3, beam_size=V**2))(
        _random_carry(layer, 2, 9), jnp.zeros((2,), jnp.int32)
    )
    hyps = _exhaustive_no_eos(step_fn, jax.tree.map(lambda x: x[:1], _random_carry(layer, 2, 9)))
    np.testing.assert_allclose(out.scores[0], sorted(hyps, reverse=True)[: V**2], rtol=1e-5)
    assert np.all(np.asarray(out.lengths) == 3)


def _exhaustive_no_eos(step_fn, carry_one):
    seqs = np.array(list(itertools.product(range(V), repeat=3)), np.int32)
    carry = jax.tree.map(lambda x: jnp.repeat(x, len(seqs), axis=0), carry_one)
    logp = _teacher_forced_log_probs(
        step_fn, carry, jnp.zeros((len(seqs),), jnp.int32), jnp.asarray(seqs)
    )
    return [sum(lp[t, s[t]] for t in range(3)) for s, lp in zip(seqs, logp)]


def test_batch_equals_each_element_alone_and_jit_equals_eager():
    layer, step_fn = _decoder(seed=10)
    carry = _random_carry(layer, 3, 11)
    start = jnp.array([0, 1, 2])
    run = lambda c, s: beam_search(step_fn, c, s, max_len=4, beam_size=3, eos_id=EOS, alpha=0.5)
    batched = jax.jit(run)(carry, start)
    eager = run(carry, start)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), batched, eager)
    for b in range(3):
        alone = jax.jit(run)(jax.tree.map(lambda x, b=b: x[b : b + 1], carry), start[b : b + 1])
        jax.tree.map(
            lambda a, w, b=b: np.testing.assert_allclose(a[0], w[b], rtol=1e-5), alone, batched
        )


@pytest.mark.parametrize("which", ["stack", "attention"])
def test_decoding_drives_a_stack_and_an_attention_decoder(which):
    if which == "stack":
        layer = lj.stack([lj.gru(H), lj.lstm(H)], residual=True)
        _, step_fn = _decoder(seed=12, layer=layer)
        carry = _random_carry(layer, 2, 13)
    else:
        layer = attention_decoder(lj.lstm(H), memory_size=3, attention="luong_general")
        params = random_params(layer, D, 12)
        step_fn = token_step(
            layer,
            params,
            jnp.eye(V, D),
            {"w": jnp.ones((layer.output_size, V)), "b": jnp.arange(V, dtype=jnp.float32)},
        )
        memory = jnp.asarray(np.random.default_rng(0).standard_normal((2, 6, 3)), jnp.float32)
        carry = layer.attention_carry(params, memory, jnp.array([6, 2]))
    start = jnp.zeros((2,), jnp.int32)
    out = jax.jit(lambda c: beam_search(step_fn, c, start, max_len=5, beam_size=1, eos_id=EOS))(
        carry
    )
    greedy = jax.jit(lambda c: greedy_decode(step_fn, c, start, max_len=5, eos_id=EOS))(carry)
    np.testing.assert_array_equal(out.sequences[:, 0], greedy.sequences)


def test_sampling_at_low_temperature_is_greedy_and_top_k_limits_the_draws():
    layer, step_fn = _decoder(seed=14, vocab=6)
    carry = _random_carry(layer, 4, 15)
    start = jnp.zeros((4,), jnp.int32)
    greedy, cold = jax.jit(
        lambda c, s: (
            greedy_decode(step_fn, c, s, max_len=6),
            sample_decode(step_fn, c, s, jax.random.key(0), max_len=6, temperature=1e-4),
        )
    )(carry, start)
    np.testing.assert_array_equal(cold.sequences, greedy.sequences)
    np.testing.assert_allclose(cold.scores, greedy.scores, rtol=1e-5)
    # 16 draws per sequence with top_k=2: first tokens among its two most probable, both seen
    many = jax.tree.map(lambda x: jnp.tile(x, (16, 1)), carry)
    out = jax.jit(
        lambda c, key: sample_decode(step_fn, c, jnp.tile(start, 16), key, max_len=2, top_k=2)
    )(many, jax.random.key(1))
    firsts = np.asarray(out.sequences[:, 0]).reshape(16, 4)
    _, logits = step_fn(carry, start)
    top2 = np.argsort(-np.asarray(logits), axis=1)[:, :2]
    for b in range(4):
        assert set(firsts[:, b]) <= set(top2[b])
    assert len(set(firsts.ravel())) > 1


def test_named_errors():
    layer, step_fn = _decoder()
    carry, start = layer.initial_carry((2,)), jnp.zeros((2,), jnp.int32)
    with pytest.raises(TypeError, match="^start_tokens"):
        greedy_decode(step_fn, carry, start.astype(jnp.float32), max_len=3)
    with pytest.raises(ValueError, match="^start_tokens"):
        greedy_decode(step_fn, carry, start[:, None], max_len=3)
    with pytest.raises(ValueError, match="^max_len"):
        greedy_decode(step_fn, carry, start, max_len=0)
    with pytest.raises(ValueError, match="^beam_size"):
        beam_search(step_fn, carry, start, max_len=3, beam_size=0)
    with pytest.raises(ValueError, match="^alpha"):
        beam_search(step_fn, carry, start, max_len=3, beam_size=2, alpha=-1.0)
    with pytest.raises(ValueError, match="^eos_id"):
        beam_search(step_fn, carry, start, max_len=3, beam_size=2, eos_id=-1)
    with pytest.raises(ValueError, match="^temperature"):
        sample_decode(step_fn, carry, start, jax.random.key(0), max_len=3, temperature=0.0)
    with pytest.raises(TypeError, match="^key"):
        sample_decode(step_fn, carry, start, 0, max_len=3)
    with pytest.raises(TypeError, match="^layer"):
        token_step(lj.bidirectional(lj.lstm(H)), None, jnp.ones((V, D)), {"w": 0, "b": 0})
