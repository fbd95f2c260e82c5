"""CTC: the loss against optax and a brute-force sum over alignments, decoding, edit distance."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lstmjax.ctc import (
    cer,
    char_errors,
    ctc_greedy_decode,
    ctc_head,
    ctc_loss,
    ctc_prefix_beam_search,
    edit_distance,
    wer,
)


def _collapse(path, blank):
    """B: merge repeats, then drop blanks."""
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(int(c))
        prev = c
    return tuple(out)


def _brute_force(log_probs, blank):
    """{labelling: p(labelling | x)} by summing over every alignment of ``log_probs [T, K]``."""
    p = np.exp(np.asarray(log_probs, np.float64))
    T, K = p.shape
    probs = {}
    for path in itertools.product(range(K), repeat=T):
        label = _collapse(path, blank)
        probs[label] = probs.get(label, 0.0) + np.prod([p[t, c] for t, c in enumerate(path)])
    return probs


B, T, K = 3, 5, 3
LENGTHS = jnp.array([5, 4, 2])
LABELS = jnp.array([[1, 2, 9], [2, 2, 9], [1, 9, 9]])  # 9: junk in the label padding
LABEL_LENGTHS = jnp.array([2, 2, 1])


def _logits(seed=0, shape=(B, T, K)):
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape), jnp.float32)


def test_loss_equals_optax_with_hand_built_paddings_and_brute_force():
    logits = _logits()
    got = jax.jit(lambda x: ctc_loss(x, LENGTHS, LABELS, LABEL_LENGTHS, reduction="none"))(logits)
    logit_pad = np.zeros((B, T), np.float32)
    label_pad = np.zeros((B, 3), np.float32)
    for b in range(B):
        logit_pad[b, int(LENGTHS[b]) :] = 1.0
        label_pad[b, int(LABEL_LENGTHS[b]) :] = 1.0
    want = optax.ctc_loss(logits, logit_pad, jnp.where(label_pad > 0, 0, LABELS), label_pad)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    log_probs = jax.nn.log_softmax(logits)
    for b in range(B):
        probs = _brute_force(log_probs[b, : int(LENGTHS[b])], blank=0)
        label = tuple(int(x) for x in LABELS[b, : int(LABEL_LENGTHS[b])])
        np.testing.assert_allclose(got[b], -np.log(probs[label]), rtol=1e-5)
    np.testing.assert_allclose(
        ctc_loss(logits, LENGTHS, LABELS, LABEL_LENGTHS), np.mean(got), rtol=1e-6
    )
    np.testing.assert_allclose(
        ctc_loss(logits, LENGTHS, LABELS, LABEL_LENGTHS, reduction="sum"), np.sum(got), rtol=1e-6
    )


def test_loss_with_another_blank_and_full_lengths():
    logits = _logits(1, (2, 4, 3))
    labels, label_lengths = jnp.array([[0, 1], [1, 1]]), jnp.array([2, 2])
    got = ctc_loss(logits, None, labels, label_lengths, blank_id=2, reduction="none")
    for b in range(2):
        probs = _brute_force(jax.nn.log_softmax(logits[b]), blank=2)
        np.testing.assert_allclose(got[b], -np.log(probs[tuple(np.asarray(labels[b]))]), rtol=1e-5)


def test_head_loss_is_ctc_of_its_readout_and_has_finite_gradients():
    head = ctc_head(K)
    rng = np.random.default_rng(2)
    ys = jnp.asarray(rng.standard_normal((B, T, 4)), jnp.float32)
    hp = jax.eval_shape(lambda key: head.init(key, 4), jax.random.key(0))
    hp = jax.tree.map(lambda s: jnp.asarray(rng.standard_normal(s.shape), jnp.float32), hp)

    @jax.jit
    def run(hp, ys):
        loss_fn = lambda hp, ys: head.loss(hp, ys, LENGTHS, LABELS, LABEL_LENGTHS)
        loss, grads = jax.value_and_grad(loss_fn, argnums=(0, 1))(hp, ys)
        want = ctc_loss(ys @ hp.w + hp.b, LENGTHS, LABELS, LABEL_LENGTHS)
        return loss, want, grads, head.decode(hp, ys, LENGTHS)

    loss, want, grads, (labels, n) = run(hp, ys)
    np.testing.assert_allclose(loss, want, rtol=1e-5)
    assert all(np.all(np.isfinite(g)) for g in jax.tree.leaves(grads))
    assert np.all(np.asarray(grads[1][2, 2:]) == 0.0)  # no gradient from padded frames
    assert labels.shape == (B, T) and n.shape == (B,)


def test_greedy_decoding_hand_cases():
    paths = [[1, 1, 0, 1, 2, 2, 0, 3], [0, 0, 0, 1, 1, 1, 1, 1], [1, 2, 2, 3, 3, 1, 1, 1]]
    logits = jnp.asarray(np.eye(4)[paths], jnp.float32)  # one-hot: the best path is the path
    decode = jax.jit(ctc_greedy_decode, static_argnames=("blank_id", "pad_id"))
    labels, n = decode(logits, jnp.array([8, 3, 3]))
    np.testing.assert_array_equal(n, [4, 0, 2])
    np.testing.assert_array_equal(labels[0], [1, 1, 2, 3, -1, -1, -1, -1])  # a blank splits 1 1
    np.testing.assert_array_equal(labels[1], [-1] * 8)  # all blank
    np.testing.assert_array_equal(labels[2, :3], [1, 2, -1])  # repeats merged, cut at length 3
    labels, n = decode(logits[:1], None, blank_id=3, pad_id=7)  # another blank, another pad
    np.testing.assert_array_equal(labels[0, : int(n[0]) + 1], [1, 0, 1, 2, 0, 7])


def test_greedy_decoding_is_the_best_path_collapsed():
    logits = _logits(3, (4, 7, 4))
    lengths = jnp.array([7, 5, 1, 0])
    labels, n = jax.jit(ctc_greedy_decode)(logits, lengths)
    best = np.argmax(np.asarray(logits), axis=-1)
    for b in range(4):
        want = _collapse(best[b, : int(lengths[b])], 0)
        assert tuple(np.asarray(labels[b, : int(n[b])])) == want


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prefix_beam_search_matches_the_brute_force_labelling_probabilities(seed):
    logits = 2.0 * _logits(seed + 10, (2, 5, 3))
    log_probs = jax.nn.log_softmax(logits)
    lengths = jnp.array([5, 4])
    results = ctc_prefix_beam_search(log_probs, lengths, beam_size=100)
    for b in range(2):
        probs = _brute_force(log_probs[b, : int(lengths[b])], blank=0)
        best = max(probs, key=probs.get)
        assert results[b][0][0] == best
        for label, logp in results[b]:
            np.testing.assert_allclose(logp, np.log(probs[label]), rtol=1e-6)
        assert len(results[b]) == len(probs)
    narrow = ctc_prefix_beam_search(log_probs, lengths, beam_size=2)
    assert all(len(r) == 2 and r[0][1] >= r[1][1] for r in narrow)


def test_edit_distance_against_a_plain_dynamic_programme():
    def levenshtein(a, b):
        d = np.zeros((len(a) + 1, len(b) + 1), int)
        d[:, 0], d[0, :] = np.arange(len(a) + 1), np.arange(len(b) + 1)
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                d[i, j] = min(
                    d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (a[i - 1] != b[j - 1])
                )
        return d[-1, -1]

    rng = np.random.default_rng(0)
    n, N, M = 40, 7, 9
    refs, hyps = rng.integers(0, 3, (n, N)), rng.integers(0, 3, (n, M))
    ref_len, hyp_len = rng.integers(0, N + 1, n), rng.integers(0, M + 1, n)
    got = jax.jit(edit_distance)(*map(jnp.asarray, (refs, ref_len, hyps, hyp_len)))
    want = [levenshtein(refs[i, : ref_len[i]], hyps[i, : hyp_len[i]]) for i in range(n)]
    np.testing.assert_array_equal(got, want)


def test_cer_and_wer_hand_cases():
    assert cer(["kitten"], ["sitting"]) == 3 / 6
    assert cer(["abc", "de"], ["abc", "de"]) == 0.0
    assert cer(["abc", "de"], ["", "dx"]) == 4 / 5
    assert wer(["the cat sat"], ["the cat sat down"]) == 1 / 3
    assert wer(["a b c d"], ["a x c"]) == 2 / 4
    assert wer(["the cat", "on the mat"], ["cat", "on a mat"]) == 2 / 5


def test_char_errors_are_each_utterances_edits_and_length_and_sum_to_the_cer():
    refs, hyps = ["kitten", "abc", "de", ""], ["sitting", "abc", "", "xy"]
    edits, lengths = char_errors(refs, hyps)
    assert edits.tolist() == [3, 0, 2, 2] and lengths.tolist() == [6, 3, 2, 0]
    assert edits.sum() / lengths.sum() == cer(refs, hyps)
    with pytest.raises(TypeError, match="^hyps"):
        char_errors(["a"], "a")


def test_named_errors():
    logits = _logits()
    with pytest.raises(ValueError, match="^reduction"):
        ctc_loss(logits, LENGTHS, LABELS, LABEL_LENGTHS, reduction="max")
    with pytest.raises(ValueError, match="^logits"):
        ctc_loss(logits[0], LENGTHS, LABELS, LABEL_LENGTHS)
    with pytest.raises(TypeError, match="^lengths"):
        ctc_loss(logits, LENGTHS.astype(jnp.float32), LABELS, LABEL_LENGTHS)
    with pytest.raises(ValueError, match="^labels"):
        ctc_loss(logits, LENGTHS, LABELS[:2], LABEL_LENGTHS)
    with pytest.raises(ValueError, match="^blank_id"):
        ctc_loss(logits, LENGTHS, LABELS, LABEL_LENGTHS, blank_id=K)
    with pytest.raises(ValueError, match="^num_classes"):
        ctc_head(1)
    with pytest.raises(ValueError, match="^log_probs"):
        ctc_prefix_beam_search(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="^beam_size"):
        ctc_prefix_beam_search(np.zeros((1, 3, 2)), beam_size=0)
    with pytest.raises(ValueError, match="^hyps"):
        cer(["a", "b"], ["a"])
    with pytest.raises(TypeError, match="^refs"):
        wer("a b", "a b")
    with pytest.raises(TypeError, match="^refs"):
        edit_distance(
            jnp.zeros((2, 3)), jnp.array([3, 3]), jnp.zeros((2, 3), int), jnp.array([1, 1])
        )
