"""Plain text that ships in Debian packages, as character ids.

- ``"kjv"``: the King James Bible from Debian's ``bible-kjv`` (the ``bible``
  program) and ``bible-kjv-text`` (its data, ``/usr/lib/bible.data``), as
  ``bible -p /usr/lib 'Gen1:1-Rev22:21'`` prints it (about 4.3 million chars).
- ``"fortunes"``: the fortune cookie files of Debian's ``fortunes-min`` /
  ``fortunes``, concatenated in name order.
- ``"auto"``: ``"kjv"`` when installed, else ``"fortunes"``.

Text becomes ids through a character vocabulary, and the id stream splits
into contiguous train / valid / test blocks, in that order.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import numpy as np

from experiments.common.packages import MissingDataPackage, apt_hint

BIBLE_PACKAGES = ("bible-kjv", "bible-kjv-text")
FORTUNE_PACKAGES = ("fortunes-min", "fortunes")
BIBLE_RANGE = "Gen1:1-Rev22:21"
SOURCES = ("auto", "kjv", "fortunes")


def kjv_text(program: str = "bible", data_dir: str = "/usr/lib") -> str:
    """The whole King James Bible as printed by Debian's ``bible`` program."""
    executable = shutil.which(program)
    if executable is None or not (Path(data_dir) / "bible.data").exists():
        raise MissingDataPackage(
            f"the King James Bible ships in the Debian packages {' and '.join(BIBLE_PACKAGES)} "
            f"(program {program!r}, data {data_dir}/bible.data), not installed: "
            f"{apt_hint(*BIBLE_PACKAGES)}"
        )
    done = subprocess.run(
        [executable, "-p", data_dir, BIBLE_RANGE], capture_output=True, text=True, check=True
    )
    return done.stdout


def fortunes_text(directory: str = "/usr/share/games/fortunes") -> str:
    """Every fortune file (names without an extension) in ``directory``, in name order."""
    root = Path(directory)
    files = (
        sorted(p for p in root.glob("*") if p.is_file() and not p.suffix) if root.exists() else []
    )
    if not files:
        raise MissingDataPackage(
            f"the fortunes text ships in the Debian packages {' or '.join(FORTUNE_PACKAGES)} "
            f"(files in {directory}), not installed: {apt_hint(*FORTUNE_PACKAGES)}"
        )
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def load_text(source: str = "auto") -> tuple[str, str]:
    """``(name, text)`` for one of ``SOURCES``."""
    if source not in SOURCES:
        raise ValueError(f"source: expected one of {SOURCES}, got {source!r}")
    if source == "kjv":
        return "kjv", kjv_text()
    if source == "fortunes":
        return "fortunes", fortunes_text()
    try:
        return "kjv", kjv_text()
    except MissingDataPackage as bible_error:
        try:
            return "fortunes", fortunes_text()
        except MissingDataPackage as fortune_error:
            raise MissingDataPackage(f"{bible_error}; fallback: {fortune_error}") from None


UNKNOWN = "\ufffd"


class CharVocab(NamedTuple):
    """The characters of a text, sorted; id ``i`` is ``chars[i]``.

    A vocabulary built with ``unknown=True`` ends with ``UNKNOWN`` (U+FFFD),
    the id every character outside it encodes to: a vocabulary taken from the
    training block alone still encodes validation and test text, and a model
    pays for a character it never saw in training at the unknown symbol's
    probability.
    """

    chars: str

    @property
    def size(self) -> int:
        return len(self.chars)

    @property
    def has_unknown(self) -> bool:
        return self.chars.endswith(UNKNOWN)

    def encode(self, text: str) -> np.ndarray:
        """``str -> [N]`` int32 ids; a character outside the vocabulary encodes to
        ``UNKNOWN``'s id, or raises if the vocabulary has none."""
        index = {c: i for i, c in enumerate(self.chars)}
        unknown = set(text) - set(index)
        if unknown and not self.has_unknown:
            raise ValueError(f"text: characters outside the vocabulary: {sorted(unknown)[:10]}")
        other = len(self.chars) - 1
        return np.fromiter((index.get(c, other) for c in text), dtype=np.int32, count=len(text))

    def count_unknown(self, text: str) -> int:
        """How many characters of ``text`` are outside the vocabulary."""
        known = set(self.chars) - {UNKNOWN} if self.has_unknown else set(self.chars)
        return sum(c not in known for c in text)

    def decode(self, ids) -> str:
        """``[N]`` ids -> ``str``."""
        return "".join(self.chars[int(i)] for i in ids)


def build_vocab(text: str, *, unknown: bool = False) -> CharVocab:
    """The vocabulary of every character in ``text``, plus ``UNKNOWN`` last if ``unknown``."""
    chars = "".join(sorted(set(text) - {UNKNOWN}))
    return CharVocab(chars + UNKNOWN if unknown else chars)


def split_contiguous(items, valid_fraction: float, test_fraction: float):
    """``(train, valid, test)``: consecutive blocks of ``items``, in that order.

    The last ``test_fraction`` is the test block, the ``valid_fraction`` before
    it the validation block, everything before that the training block.
    """
    if valid_fraction <= 0 or test_fraction <= 0 or valid_fraction + test_fraction >= 1:
        raise ValueError(
            "valid_fraction, test_fraction: expected positive fractions summing below 1, "
            f"got {valid_fraction}, {test_fraction}"
        )
    n = len(items)
    test_start = n - int(round(n * test_fraction))
    valid_start = test_start - int(round(n * valid_fraction))
    return items[:valid_start], items[valid_start:test_start], items[test_start:]
