r"""Connectionist temporal classification (Graves et al. 2006): loss head, decoding, metrics.

A CTC model emits, at each of ``T`` frames, a distribution over ``K`` classes:
the labels and a ``blank``. An alignment ``pi`` (one class per frame) maps to a
labelling by ``B``: merge repeated classes, then drop blanks
(``a a - a b - -`` -> ``a a b``). The loss of a labelling ``l`` is::

    -log p(l | x) = -log sum_{pi : B(pi) = l} prod_t softmax(logits_t)[pi_t]

Everything is batch-major: ``logits [B, T, K]`` with ``lengths [B]`` valid
frames, ``labels [B, N]`` with ``label_lengths [B]`` valid labels; paddings
(``optax.ctc_loss``'s 1.0 on padding) are built from the lengths.

- ``ctc_loss`` and the head ``ctc_head`` (a linear readout to ``K`` classes
  plus the loss) over ``optax.ctc_loss``;
- ``ctc_greedy_decode``: best class per frame, then ``B`` (jit-able);
- ``ctc_prefix_beam_search``: prefix beam search (Hannun et al. 2014), which
  sums the probability of every alignment of a prefix, on the host (NumPy);
- ``edit_distance`` (Levenshtein, batched, jit-able), ``cer`` and ``wer``, and
  ``char_errors`` (each utterance's edits and reference length).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lstmjax.cells.base import check_positive_int
from lstmjax.masking import length_mask
from lstmjax.models.readout import ReadoutParams, linear_readout
from lstmjax.validation import check_int_array

REDUCTIONS = ("mean", "sum", "none")


def _check_logits(logits, lengths, argname: str = "logits") -> None:
    dtype = getattr(logits, "dtype", None)
    if dtype is None or not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(
            f"{argname}: expected a floating array [B, T, K], got "
            f"{type(logits).__name__ if dtype is None else dtype}"
        )
    if logits.ndim != 3:
        raise ValueError(f"{argname}: expected shape [B, T, K], got {logits.shape}")
    if lengths is not None:
        check_int_array(lengths, "lengths", "[B]")
        if lengths.shape[0] != logits.shape[0]:
            raise ValueError(f"lengths: expected shape ({logits.shape[0]},), got {lengths.shape}")


def _check_blank(blank_id, num_classes: int) -> int:
    if isinstance(blank_id, bool) or not isinstance(blank_id, (int, np.integer)):
        raise TypeError(f"blank_id: expected an int, got {blank_id!r}")
    if not 0 <= blank_id < num_classes:
        raise ValueError(f"blank_id: expected a class in [0, {num_classes}), got {blank_id}")
    return int(blank_id)


def paddings(lengths: jax.Array, num_steps: int) -> jax.Array:
    """``optax``'s paddings: ``[B] -> [B, T]`` floats, 1.0 at ``t >= lengths[b]``."""
    return 1.0 - length_mask(lengths, num_steps).T.astype(jnp.float32)


def ctc_loss(
    logits: jax.Array,
    lengths: jax.Array | None,
    labels: jax.Array,
    label_lengths: jax.Array,
    *,
    blank_id: int = 0,
    reduction: str = "mean",
) -> jax.Array:
    """The CTC loss ``-log p(labels | logits)`` (module docstring) via ``optax.ctc_loss``.

    Args:
      logits: ``[B, T, K]`` unnormalised class scores (log-softmax is taken inside).
      lengths: ``[B]`` valid frames, or None for all ``T``.
      labels: ``[B, N]`` int labels (never ``blank_id`` in the valid part).
      label_lengths: ``[B]`` valid labels.
      blank_id: the blank class.
      reduction: ``"mean"`` (over the batch), ``"sum"`` or ``"none"`` (``[B]``).

    Returns:
      The reduced loss. An impossible labelling (more labels than frames
      allow) has a loss near ``-log_epsilon`` of optax (1e5), not inf.
    """
    _check_logits(logits, lengths)
    check_int_array(labels, "labels", "[B, L]")
    check_int_array(label_lengths, "label_lengths", "[B]")
    B, T, K = logits.shape
    if labels.shape[0] != B or label_lengths.shape != (B,):
        raise ValueError(
            f"labels: expected [B={B}, N] with label_lengths [{B}], got {labels.shape} and "
            f"{label_lengths.shape}"
        )
    blank_id = _check_blank(blank_id, K)
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")
    logit_pad = jnp.zeros((B, T)) if lengths is None else paddings(lengths, T)
    per_seq = optax.ctc_loss(
        logits, logit_pad, labels, paddings(label_lengths, labels.shape[1]), blank_id=blank_id
    )
    if reduction == "none":
        return per_seq
    return jnp.sum(per_seq) if reduction == "sum" else jnp.mean(per_seq)


class CTCHead(NamedTuple):
    """A linear readout to ``num_classes`` CTC classes and its loss (``ctc_head``)."""

    num_classes: int
    blank_id: int

    def init(self, key: jax.Array, input_size: int) -> ReadoutParams:
        """``w [H, K]``, ``b [K]`` (``linear_readout``'s initialisation)."""
        return linear_readout(self.num_classes).init(key, input_size)

    def apply(self, params: ReadoutParams, ys: jax.Array) -> jax.Array:
        """``ys [B, T, H]`` -> ``logits [B, T, K]``."""
        return linear_readout(self.num_classes).apply(params, ys)

    def loss(self, params, ys, lengths, labels, label_lengths, *, reduction: str = "mean"):
        """``ctc_loss(apply(params, ys), lengths, labels, label_lengths)``.

        ``ys [B, T, H]``, ``lengths [B]``, ``labels [B, L]``, ``label_lengths [B]``;
        a scalar, or ``[B]`` with ``reduction="none"`` (as ``ctc_loss``).
        """
        return ctc_loss(
            self.apply(params, ys),
            lengths,
            labels,
            label_lengths,
            blank_id=self.blank_id,
            reduction=reduction,
        )

    def decode(self, params, ys, lengths=None, *, pad_id: int = -1):
        """Greedy decoding of ``apply(params, ys)`` (``ctc_greedy_decode``).

        ``ys [B, T, H]``, ``lengths [B]`` -> ``(labels [B, T], label_lengths [B])``.
        """
        return ctc_greedy_decode(
            self.apply(params, ys), lengths, blank_id=self.blank_id, pad_id=pad_id
        )


def ctc_head(num_classes: int, *, blank_id: int = 0) -> CTCHead:
    """A CTC head over ``num_classes`` classes, the blank included.

    Usage, over an LSTM's outputs ``ys [B, T, O]`` with ``K = 5`` classes:

    >>> import jax, jax.numpy as jnp, lstmjax as lj
    >>> from lstmjax.ctc import ctc_head
    >>> cell = lj.lstm(8)
    >>> params = cell.init(jax.random.key(0), 3)
    >>> head = ctc_head(5)
    >>> hp = head.init(jax.random.key(1), cell.output_size)
    >>> xs, lengths = jnp.ones((2, 6, 3)), jnp.array([6, 4])        # [B, T, D], [B]
    >>> ys, _ = lj.rnn(cell, params, xs, lengths=lengths)
    >>> labels = jnp.array([[1, 2, 0], [3, 0, 0]])                   # [B, L], padded
    >>> label_lengths = jnp.array([2, 1])                            # [B]
    >>> loss = jax.jit(head.loss)(hp, ys, lengths, labels, label_lengths)
    >>> loss.shape, bool(loss > 0)
    ((), True)
    >>> head.apply(hp, ys).shape                                     # logits [B, T, K]
    (2, 6, 5)
    >>> decoded, decoded_lengths = head.decode(hp, ys, lengths)      # [B, T], [B]
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    if num_classes < 2:
        raise ValueError(f"num_classes: expected >= 2 (a blank and a label), got {num_classes}")
    return CTCHead(num_classes, _check_blank(blank_id, num_classes))


def ctc_greedy_decode(
    logits: jax.Array, lengths: jax.Array | None = None, *, blank_id: int = 0, pad_id: int = -1
) -> tuple[jax.Array, jax.Array]:
    """Best path decoding: ``B(argmax_k logits_t[k])`` per sequence, jit-able.

    Args:
      logits: ``[B, T, K]`` scores or log-probabilities.
      lengths: ``[B]`` valid frames, or None.
      blank_id: the blank class.
      pad_id: written after each labelling.

    Returns:
      ``(labels [B, T], label_lengths [B])``, labels left-aligned.

    >>> import jax, jax.numpy as jnp
    >>> from lstmjax.ctc import ctc_greedy_decode
    >>> best = jnp.array([[1, 1, 0, 1, 2, 0, 0]])          # a a - a b - -
    >>> labels, label_lengths = ctc_greedy_decode(jax.nn.one_hot(best, 3))
    >>> labels.tolist(), label_lengths.tolist()           # a a b, then pad_id
    ([[1, 1, 2, -1, -1, -1, -1]], [3])
    """
    _check_logits(logits, lengths)
    B, T, K = logits.shape
    blank_id = _check_blank(blank_id, K)
    best = jnp.argmax(logits, axis=-1).astype(jnp.int32)
    prev = jnp.concatenate([jnp.full((B, 1), -1, jnp.int32), best[:, :-1]], axis=1)
    keep = (best != blank_id) & (best != prev)
    if lengths is not None:
        keep = keep & length_mask(lengths, T).T
    position = jnp.where(keep, jnp.cumsum(keep, axis=1) - 1, T)
    out = jnp.full((B, T), pad_id, jnp.int32)
    out = out.at[jnp.arange(B)[:, None], position].set(best, mode="drop")
    return out, jnp.sum(keep, axis=1).astype(jnp.int32)


def ctc_prefix_beam_search(
    log_probs, lengths=None, *, beam_size: int = 8, blank_id: int = 0
) -> list[list[tuple[tuple[int, ...], float]]]:
    """Prefix beam search (Hannun et al. 2014), on the host.

    Each prefix ``l`` keeps two log-probabilities over the frames so far:
    ``p_b`` (alignments ending in blank) and ``p_nb`` (ending in ``l``'s last
    label). For frame ``t`` with ``p = p_t``::

        blank:            p_b(l)    += (p_b(l) + p_nb(l)) p[blank]
        c == last(l):     p_nb(l)   += p_nb(l) p[c];   p_nb(l + c) += p_b(l) p[c]
        other c:          p_nb(l + c) += (p_b(l) + p_nb(l)) p[c]

    then the ``beam_size`` prefixes of largest ``p_b + p_nb`` survive. With a
    beam holding every prefix it is exact: ``p_b + p_nb = p(l | x)``.

    Args:
      log_probs: ``[B, T, K]`` log-probabilities (log-softmax of the logits).
      lengths: ``[B]`` valid frames, or None.
      beam_size: the prefixes kept per frame.
      blank_id: the blank class.

    Returns:
      Per sequence, a list of ``(labelling, log p)``, most probable first.
    """
    lp = np.asarray(log_probs, np.float64)
    if lp.ndim != 3:
        raise ValueError(f"log_probs: expected shape [B, T, K], got {lp.shape}")
    B, T, K = lp.shape
    beam_size = check_positive_int(beam_size, "beam_size")
    blank_id = _check_blank(blank_id, K)
    lens = np.full(B, T) if lengths is None else np.clip(np.asarray(lengths), 0, T)
    if lens.shape != (B,):
        raise ValueError(f"lengths: expected shape ({B},), got {lens.shape}")
    return [_prefix_search(lp[b, : lens[b]], beam_size, blank_id) for b in range(B)]


def _prefix_search(lp: np.ndarray, beam_size: int, blank: int):
    add = np.logaddexp
    beams = {(): (0.0, -np.inf)}  # prefix -> (log p_b, log p_nb)
    for p in lp:
        new: dict = {}

        def bump(prefix, db=-np.inf, dnb=-np.inf, new=new):
            b, nb = new.get(prefix, (-np.inf, -np.inf))
            new[prefix] = (add(b, db), add(nb, dnb))

        for prefix, (pb, pnb) in beams.items():
            bump(prefix, db=add(pb, pnb) + p[blank])
            for c in range(len(p)):
                if c == blank:
                    continue
                if prefix and prefix[-1] == c:
                    bump(prefix, dnb=pnb + p[c])
                    bump(prefix + (c,), dnb=pb + p[c])
                else:
                    bump(prefix + (c,), dnb=add(pb, pnb) + p[c])
        # prefixes no alignment reaches yet (probability 0) are dropped
        ranked = sorted(
            (kv for kv in new.items() if add(*kv[1]) > -np.inf), key=lambda kv: -add(*kv[1])
        )
        beams = dict(ranked[:beam_size])
    ranked = sorted(((k, float(add(*v))) for k, v in beams.items()), key=lambda kv: -kv[1])
    return ranked


def edit_distance(
    refs: jax.Array, ref_lengths: jax.Array, hyps: jax.Array, hyp_lengths: jax.Array
) -> jax.Array:
    """Levenshtein distances (unit insertions, deletions, substitutions), batched and jit-able.

    ``D[i, j] = min(D[i-1, j] + 1, D[i, j-1] + 1, D[i-1, j-1] + [r_i != h_j])``
    with ``D[i, 0] = i``, ``D[0, j] = j``; one ``lax.scan`` step per reference
    position, the row's insertion chain as a cumulative minimum::

        D[i, j] = min_{k <= j} (D'[i, k] + j - k) = j + cummin_k (D'[i, k] - k)

    where ``D'`` is the row before insertions.

    Args:
      refs: ``[B, N]`` int tokens; ``ref_lengths [B]`` valid ones.
      hyps: ``[B, M]`` int tokens; ``hyp_lengths [B]`` valid ones.

    Returns:
      ``[B]`` int32, ``D[ref_lengths, hyp_lengths]``.

    >>> import jax.numpy as jnp
    >>> from lstmjax.ctc import edit_distance
    >>> refs, ref_lengths = jnp.array([[1, 2, 3], [4, 5, 0]]), jnp.array([3, 2])
    >>> hyps, hyp_lengths = jnp.array([[1, 3, 0], [4, 5, 6]]), jnp.array([2, 3])
    >>> edit_distance(refs, ref_lengths, hyps, hyp_lengths).tolist()  # a deletion, an insertion
    [1, 1]
    """
    for x, name, layout in (
        (refs, "refs", "[B, N]"),
        (ref_lengths, "ref_lengths", "[B]"),
        (hyps, "hyps", "[B, M]"),
        (hyp_lengths, "hyp_lengths", "[B]"),
    ):
        check_int_array(x, name, layout)
    B, N = refs.shape
    M = hyps.shape[1]
    if hyps.shape[0] != B or ref_lengths.shape != (B,) or hyp_lengths.shape != (B,):
        raise ValueError(
            f"hyps: expected [B={B}, M] with lengths [{B}], got {hyps.shape}, "
            f"{ref_lengths.shape} and {hyp_lengths.shape}"
        )
    j = jnp.arange(M + 1, dtype=jnp.int32)
    row0 = jnp.broadcast_to(j, (B, M + 1))

    def body(prev, r_i):
        sub = prev[:, :-1] + (r_i[:, None] != hyps).astype(jnp.int32)
        first = prev[:, :1] + 1
        before = jnp.concatenate([first, jnp.minimum(prev[:, 1:] + 1, sub)], axis=1)
        row = j + jax.lax.cummin(before - j, axis=1)
        return row, row

    _, rows = jax.lax.scan(body, row0, refs.T)
    rows = jnp.concatenate([row0[None], rows], axis=0)  # [N + 1, B, M + 1]
    i = jnp.clip(ref_lengths, 0, N)
    k = jnp.clip(hyp_lengths, 0, M)
    return rows[i, jnp.arange(B), k]


_edit_distance_jit = jax.jit(edit_distance)


def _encode(seqs: Sequence[Sequence], vocab: dict) -> tuple[np.ndarray, np.ndarray]:
    """Token ids ``[B, N]``, ``N`` rounded up to a multiple of 16 (fewer shapes to compile)."""
    lengths = np.array([len(s) for s in seqs], np.int32)
    width = 16 * (int(lengths.max(initial=0)) // 16 + 1)
    out = np.zeros((len(seqs), width), np.int32)
    for b, s in enumerate(seqs):
        out[b, : len(s)] = [vocab.setdefault(tok, len(vocab)) for tok in s]
    return out, lengths


def _errors(refs: Sequence[Sequence], hyps: Sequence[Sequence]) -> tuple[np.ndarray, np.ndarray]:
    """``(edits [B], ref_lengths [B])`` int arrays for token sequences."""
    if len(refs) != len(hyps):
        raise ValueError(
            f"hyps: expected as many hypotheses as references, got {len(hyps)} and {len(refs)}"
        )
    if not refs:
        raise ValueError("refs: expected at least one reference, got none")
    vocab: dict = {}
    r, rl = _encode(refs, vocab)
    h, hl = _encode(hyps, vocab)
    d = _edit_distance_jit(jnp.asarray(r), jnp.asarray(rl), jnp.asarray(h), jnp.asarray(hl))
    return np.asarray(d).astype(np.int64), rl.astype(np.int64)


def _error_rate(refs: Sequence[Sequence], hyps: Sequence[Sequence]) -> float:
    edits, lengths = _errors(refs, hyps)
    if lengths.sum() == 0:
        raise ValueError("refs: expected at least one token in the references, got none")
    return float(edits.sum()) / float(lengths.sum())


def _check_strings(refs, hyps) -> None:
    for name, xs in (("refs", refs), ("hyps", hyps)):
        if isinstance(xs, str) or not all(isinstance(x, str) for x in xs):
            raise TypeError(f"{name}: expected a list of str")


def char_errors(refs: Sequence[str], hyps: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per utterance ``b``: ``(edit_distance(ref_b, hyp_b) [B], len(ref_b) [B])``, int
    arrays whose sums' ratio is ``cer`` (what a paired test over utterances compares).

    >>> from lstmjax.ctc import char_errors
    >>> edits, lengths = char_errors(["kitten", "ab"], ["sitting", "ab"])
    >>> edits.tolist(), lengths.tolist()
    ([3, 0], [6, 2])
    """
    _check_strings(refs, hyps)
    return _errors(list(refs), list(hyps))


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Character error rate: ``sum_b edit_distance(ref_b, hyp_b) / sum_b len(ref_b)``.

    >>> from lstmjax.ctc import cer
    >>> cer(["kitten"], ["sitting"])                      # 3 edits / 6 characters
    0.5
    """
    _check_strings(refs, hyps)
    return _error_rate(list(refs), list(hyps))


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Word error rate: as ``cer`` over whitespace-separated words.

    >>> from lstmjax.ctc import wer
    >>> wer(["the cat sat", "hi"], ["the cat sat down", "hi"])   # 1 insertion / 4 words
    0.25
    """
    _check_strings(refs, hyps)
    return _error_rate([r.split() for r in refs], [h.split() for h in hyps])
