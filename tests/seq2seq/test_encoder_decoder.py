"""The attentional encoder-decoder: teacher forcing against a hand loop, gradients, decoding.

Each test compiles one function (the suite is CPU-bound on compile time).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lstmjax as lj
from lstmjax.seq2seq import attention_decoder, beam_search, encoder_decoder, greedy_decode

SRC_V, TGT_V, E, H, BOS, EOS = 7, 6, 4, 5, 0, 1
SRC = jnp.array([[2, 3, 4, 5], [6, 2, 0, 0], [3, 3, 3, 0]])
SRC_LENGTHS = jnp.array([4, 2, 3])
TGT = jnp.array([[5, 4, 3, 2, 1], [2, 5, 1, 0, 0], [3, 1, 0, 0, 0]])
TGT_LENGTHS = jnp.array([5, 3, 2])


def _model(kind):
    encoder = lj.bidirectional(lj.gru(H))
    decoder = attention_decoder(lj.lstm(H), memory_size=2 * H, attention=kind)
    return encoder_decoder(
        encoder, decoder, src_vocab=SRC_V, tgt_vocab=TGT_V, embed_size=E, bos_id=BOS
    )


def test_teacher_forced_loss_equals_a_hand_written_loop():
    """Bahdanau here; the training test below runs Luong (both against NumPy in test_attention)."""
    model = _model("bahdanau")

    @jax.jit
    def both(key):
        params = model.init(key)
        loss = model.loss(params, SRC, SRC_LENGTHS, TGT, TGT_LENGTHS)
        # by hand: encode, then one decoder step per target position fed the true previous token
        memory, _ = model.encoder.apply(
            params["encoder"], params["src_embed"][SRC], lengths=SRC_LENGTHS
        )
        carry = model.decoder.attention_carry(params["decoder"], memory, SRC_LENGTHS)
        prev, logps = jnp.full((3,), BOS), []
        for t in range(TGT.shape[1]):
            carry, h = model.decoder.step(params["decoder"], carry, params["tgt_embed"][prev])
            logps.append(jax.nn.log_softmax(h @ params["out"].w + params["out"].b))
            prev = TGT[:, t]
        return loss, jnp.stack(logps, axis=1)

    loss, logp = both(jax.random.key(0))
    logp, tgt = np.asarray(logp), np.asarray(TGT)
    picked = [
        logp[b, t, tgt[b, t]] for b in range(3) for t in range(tgt.shape[1]) if t < TGT_LENGTHS[b]
    ]
    np.testing.assert_allclose(loss, -sum(picked) / len(picked), rtol=1e-5)


def test_gradients_training_and_decoding():
    model = _model("luong_general")
    params = jax.jit(model.init)(jax.random.key(0))
    opt = optax.adam(3e-2)
    state = opt.init(params)

    @jax.jit
    def train_step(params, state, tgt):
        loss, grads = jax.value_and_grad(model.loss)(params, SRC, SRC_LENGTHS, tgt, TGT_LENGTHS)
        updates, state = opt.update(grads, state)
        return optax.apply_updates(params, updates), state, loss, grads

    _, _, padded_loss, padded_grads = train_step(params, state, TGT.at[1, 3:].set(4))
    first = None
    for _ in range(40):
        params, state, loss, grads = train_step(params, state, TGT)
        if first is None:
            first, first_grads = loss, grads
    # gradients are finite, reach the encoder through the attention, and ignore target padding
    for path, g in jax.tree_util.tree_leaves_with_path(first_grads):
        assert np.all(np.isfinite(g)), jax.tree_util.keystr(path)
    assert float(jnp.max(jnp.abs(first_grads["encoder"].w_ih))) > 0
    np.testing.assert_allclose(padded_loss, first, rtol=1e-6)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7),
        padded_grads,
        first_grads,
    )
    assert float(loss) < 0.5 * float(first)

    @jax.jit
    def decode(params):
        carry = model.encode(params, SRC, SRC_LENGTHS)
        start = jnp.full((3,), BOS)
        g = greedy_decode(model.token_step(params), carry, start, max_len=6, eos_id=EOS)
        b = beam_search(model.token_step(params), carry, start, max_len=6, beam_size=3, eos_id=EOS)
        return g, b

    greedy, beam = decode(params)
    want = jnp.where(jnp.arange(5) < TGT_LENGTHS[:, None], TGT, 0)
    np.testing.assert_array_equal(greedy.sequences[:, :5], want)
    np.testing.assert_array_equal(beam.sequences[:, 0, :5], greedy.sequences[:, :5])


def test_named_errors():
    model = _model("bahdanau")
    params = jax.eval_shape(model.init, jax.random.key(0))
    with pytest.raises(TypeError, match="^decoder"):
        encoder_decoder(lj.lstm(H), lj.lstm(H), src_vocab=3, tgt_vocab=3, embed_size=2, bos_id=0)
    with pytest.raises(ValueError, match="^decoder"):
        encoder_decoder(lj.lstm(H), model.decoder, src_vocab=3, tgt_vocab=3, embed_size=2, bos_id=0)
    with pytest.raises(ValueError, match="^bos_id"):
        encoder_decoder(
            model.encoder, model.decoder, src_vocab=3, tgt_vocab=3, embed_size=2, bos_id=3
        )
    with pytest.raises(TypeError, match="^src"):
        jax.eval_shape(model.loss, params, SRC.astype(jnp.float32), SRC_LENGTHS, TGT, TGT_LENGTHS)
    with pytest.raises(ValueError, match="^tgt"):
        jax.eval_shape(model.loss, params, SRC, SRC_LENGTHS, TGT[0], TGT_LENGTHS)
