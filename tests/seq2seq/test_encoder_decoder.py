"""The attentional encoder-decoder: teacher forcing against a hand loop, gradients, decoding."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lstmjax as lj
from lstmjax.seq2seq import attention_decoder, beam_search, encoder_decoder, greedy_decode

SRC_V, TGT_V, E, H, BOS, EOS = 7, 6, 4, 5, 0, 1


@functools.cache
def _model(kind="bahdanau"):
    encoder = lj.bidirectional(lj.lstm(H))
    decoder = attention_decoder(lj.lstm(H), memory_size=2 * H, attention=kind)
    model = encoder_decoder(
        encoder, decoder, src_vocab=SRC_V, tgt_vocab=TGT_V, embed_size=E, bos_id=BOS
    )
    return model, jax.jit(model.init)(jax.random.key(0))


SRC = jnp.array([[2, 3, 4, 5], [6, 2, 0, 0], [3, 3, 3, 0]])
SRC_LENGTHS = jnp.array([4, 2, 3])
TGT = jnp.array([[5, 4, 3, 2, 1], [2, 5, 1, 0, 0], [3, 1, 0, 0, 0]])
TGT_LENGTHS = jnp.array([5, 3, 2])


@pytest.mark.parametrize("kind", ["bahdanau", "luong_general"])
def test_teacher_forced_loss_equals_a_hand_written_loop(kind):
    model, params = _model(kind)
    loss = jax.jit(model.loss)(params, SRC, SRC_LENGTHS, TGT, TGT_LENGTHS)

    @jax.jit
    def by_hand(params):
        """Encode, then one decoder step per target position, feeding the true previous token."""
        memory, _ = model.encoder.apply(
            params["encoder"], params["src_embed"][SRC], lengths=SRC_LENGTHS
        )
        carry = model.decoder.attention_carry(params["decoder"], memory, SRC_LENGTHS)
        prev, logps = jnp.full((3,), BOS), []
        for t in range(TGT.shape[1]):
            carry, h = model.decoder.step(params["decoder"], carry, params["tgt_embed"][prev])
            logps.append(jax.nn.log_softmax(h @ params["out"].w + params["out"].b))
            prev = TGT[:, t]
        return jnp.stack(logps, axis=1)

    logp, tgt = np.asarray(by_hand(params)), np.asarray(TGT)
    picked = [
        logp[b, t, tgt[b, t]] for b in range(3) for t in range(tgt.shape[1]) if t < TGT_LENGTHS[b]
    ]
    total, count = -sum(picked), len(picked)
    np.testing.assert_allclose(loss, total / count, rtol=1e-5)


def test_gradients_are_finite_and_reach_every_parameter():
    model, params = _model()
    loss_and_grad = jax.jit(jax.value_and_grad(model.loss))
    loss, grads = loss_and_grad(params, SRC, SRC_LENGTHS, TGT, TGT_LENGTHS)
    for path, g in jax.tree_util.tree_leaves_with_path(grads):
        assert np.all(np.isfinite(g)), jax.tree_util.keystr(path)
    assert float(jnp.max(jnp.abs(grads["encoder"].w_ih))) > 0  # through the attention
    # tokens in the target's padding change neither the loss nor the gradients
    other_loss, other_grads = loss_and_grad(
        params, SRC, SRC_LENGTHS, TGT.at[1, 3:].set(4), TGT_LENGTHS
    )
    np.testing.assert_allclose(other_loss, loss, rtol=1e-6)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7), other_grads, grads
    )


def test_training_steps_lower_the_loss_and_decoding_runs():
    model, params = _model("luong_general")
    opt = optax.adam(3e-2)
    state = opt.init(params)

    @jax.jit
    def train_step(params, state):
        loss, grads = jax.value_and_grad(model.loss)(params, SRC, SRC_LENGTHS, TGT, TGT_LENGTHS)
        updates, state = opt.update(grads, state)
        return optax.apply_updates(params, updates), state, loss

    first = None
    for _ in range(40):
        params, state, loss = train_step(params, state)
        first = loss if first is None else first
    assert float(loss) < 0.5 * float(first)

    @jax.jit
    def decode(params):
        carry = model.encode(params, SRC, SRC_LENGTHS)
        start = jnp.full((3,), BOS)
        g = greedy_decode(model.token_step(params), carry, start, max_len=6, eos_id=EOS)
        b = beam_search(model.token_step(params), carry, start, max_len=6, beam_size=3, eos_id=EOS)
        return g, b

    greedy, beam = decode(params)
    np.testing.assert_array_equal(
        greedy.sequences[:, :5], jnp.where(jnp.arange(5) < TGT_LENGTHS[:, None], TGT, 0)
    )
    np.testing.assert_array_equal(beam.sequences[:, 0, :5], greedy.sequences[:, :5])


def test_named_errors():
    model, params = _model()
    with pytest.raises(TypeError, match="^decoder"):
        encoder_decoder(lj.lstm(H), lj.lstm(H), src_vocab=3, tgt_vocab=3, embed_size=2, bos_id=0)
    with pytest.raises(ValueError, match="^decoder"):
        encoder_decoder(lj.lstm(H), model.decoder, src_vocab=3, tgt_vocab=3, embed_size=2, bos_id=0)
    with pytest.raises(ValueError, match="^bos_id"):
        encoder_decoder(
            model.encoder, model.decoder, src_vocab=3, tgt_vocab=3, embed_size=2, bos_id=3
        )
    with pytest.raises(TypeError, match="^src"):
        model.loss(params, SRC.astype(jnp.float32), SRC_LENGTHS, TGT, TGT_LENGTHS)
    with pytest.raises(ValueError, match="^tgt"):
        model.loss(params, SRC, SRC_LENGTHS, TGT[0], TGT_LENGTHS)
