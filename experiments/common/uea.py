"""The UEA/UCR classification sets that ship in aeon, as ``SequenceSet``s.

JapaneseVowels: nine male speakers utter the vowels /ae/; each utterance is
7 to 29 frames of 12 LPC cepstrum coefficients, 270 training and 370 test
utterances, the label is the speaker.

    train, test, classes = load_dataset("BasicMotions")
    train.xs [40, 100, 6], train.lengths [40], train.labels [40] in 0..3

``DATASETS`` names the ones with a train/test split in aeon's bundled data:
the multivariate JapaneseVowels (7-29 frames, padded to 29) and BasicMotions,
and the univariate GunPoint, ItalyPowerDemand, ArrowHead and OSULeaf (equal
lengths). Labels become ``0..C-1`` in the sorted order of the training
split's class names, which ``classes`` lists.
"""

from __future__ import annotations

import numpy as np

from experiments.common.packages import import_data_module
from lstmjax.data.sequences import SequenceSet, pad_sequences

JAPANESE_VOWELS_LENGTH = 29  # the longest utterance, in frames

# name -> (aeon loader, "multivariate" or "univariate")
DATASETS = {
    "JapaneseVowels": ("load_japanese_vowels", "multivariate"),
    "BasicMotions": ("load_basic_motions", "multivariate"),
    "GunPoint": ("load_gunpoint", "univariate"),
    "ItalyPowerDemand": ("load_italy_power_demand", "univariate"),
    "ArrowHead": ("load_arrow_head", "univariate"),
    "OSULeaf": ("load_osuleaf", "univariate"),
}


def load_dataset(name: str):
    """``(train, test, classes)``: the splits with labels in ``0..len(classes)-1``."""
    if name not in DATASETS:
        raise ValueError(f"dataset: expected one of {sorted(DATASETS)}, got {name!r}")
    loader = getattr(import_data_module("aeon.datasets", "aeon", name), DATASETS[name][0])
    (train_x, train_y), (test_x, test_y) = (loader(split=s) for s in ("train", "test"))
    classes = sorted(set(np.asarray(train_y).tolist()))
    index = {c: i for i, c in enumerate(classes)}
    num_steps = JAPANESE_VOWELS_LENGTH if name == "JapaneseVowels" else None
    return (
        _to_set(train_x, train_y, index, num_steps),
        _to_set(test_x, test_y, index, num_steps),
        classes,
    )


def _to_set(sequences, labels, index: dict, num_steps: int | None) -> SequenceSet:
    """aeon's ``[D, T_i]`` series (a list or a 3-d array) -> a padded ``SequenceSet``."""
    frames = [np.asarray(s, dtype=np.float32).T for s in sequences]
    xs, lengths = pad_sequences(frames, num_steps)
    return SequenceSet(xs, lengths, np.asarray([index[y] for y in labels], dtype=np.int32))
