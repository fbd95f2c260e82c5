"""JapaneseVowels (UEA archive), bundled in the aeon package.

Nine male speakers utter the vowels /ae/; each utterance is 7 to 29 frames of
12 LPC cepstrum coefficients. 270 training and 370 test utterances; the
label is the speaker. Loaded as ``SequenceSet``s padded to ``T = 29``::

    train, test = load_japanese_vowels()
    train.xs [270, 29, 12], train.lengths [270], train.labels [270] in 0..8
"""

from __future__ import annotations

import numpy as np

from experiments.common.packages import import_data_module
from lstmjax.data.sequences import SequenceSet, pad_sequences

NUM_CLASSES = 9
NUM_CHANNELS = 12
MAX_LENGTH = 29


def from_channels_first(sequences, labels, num_steps: int = MAX_LENGTH) -> SequenceSet:
    """aeon's list of ``[D, T_i]`` arrays and string labels ``"1".."9"`` -> ``SequenceSet``."""
    xs, lengths = pad_sequences([np.asarray(s, dtype=np.float32).T for s in sequences], num_steps)
    return SequenceSet(xs, lengths, np.asarray(labels).astype(np.int32) - 1)


def load_japanese_vowels():
    """The train and test splits as ``(train, test)`` ``SequenceSet``s (labels 0..8)."""
    datasets = import_data_module("aeon.datasets", "aeon", "JapaneseVowels")
    return tuple(
        from_channels_first(*datasets.load_japanese_vowels(split=split))
        for split in ("train", "test")
    )
