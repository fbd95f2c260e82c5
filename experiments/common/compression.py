"""Compressors' bits per character: the baselines a language model must beat.

Alone, a compressor sees only the text it codes::

    bpc = 8 * |C(text)| / len(text)

Conditioned on the text before it by the prefix trick (what a language model
trained on ``prefix`` is compared with)::

    bpc = 8 * (|C(prefix + text)| - |C(prefix)|) / len(text)

``COMPRESSORS`` are Python's bindings to the same libraries and settings as
``xz -9`` (liblzma, preset 9, .xz container; its 64 MiB dictionary reaches
back over the whole prefix), ``xz -9e`` (preset 9 extreme) and ``bzip2 -9``
(libbzip2, 900k blocks: only the last block of the prefix conditions the
text). PPMd (variant I, the ``pyppmd`` package) is the strongest of them on
text: a context model of order ``max_order`` that codes each byte with a
range coder, so the bytes it has written after each block of the text give
the block's own cost (``ppmd_block_bits``).
"""

from __future__ import annotations

import bz2
import lzma

import numpy as np

COMPRESSORS = {
    "xz -9": lambda data: lzma.compress(data, format=lzma.FORMAT_XZ, preset=9),
    "xz -9e": lambda data: lzma.compress(
        data, format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME
    ),
    "bzip2 -9": lambda data: bz2.compress(data, compresslevel=9),
}

PPMD_MEMORY = 256 << 20  # bytes: the model never fills it on these texts, so it never restarts


def _check(compressor: str, text: str) -> None:
    if compressor not in COMPRESSORS:
        raise ValueError(f"compressor: expected one of {sorted(COMPRESSORS)}, got {compressor!r}")
    if not text:
        raise ValueError("text: expected a non-empty text")


def bits_per_char(text: str, compressor: str, prefix: str = "") -> float:
    """Bits per character of ``text`` under one of ``COMPRESSORS``, coded after
    ``prefix`` by the prefix trick; with no prefix, the text's whole compressed
    size (the container's fixed bytes included) over its length."""
    _check(compressor, text)
    compress = COMPRESSORS[compressor]
    before = len(compress(prefix.encode("utf-8"))) if prefix else 0
    return 8 * (len(compress((prefix + text).encode("utf-8"))) - before) / len(text)


def ppmd_block_bits(prefix: str, blocks, max_order: int) -> np.ndarray:
    """``[len(blocks)]`` bits PPMd (variant I, order ``max_order``) spends on each
    text block, coded in order after ``prefix``.

    A block's cost is the growth of the coded stream while coding it; the range
    coder holds back a few bytes at any moment, so single blocks are exact to
    about +-32 bits while the total (the final flush in the last block) is exact.
    """
    import pyppmd

    if not 2 <= max_order <= 64:
        raise ValueError(f"max_order: expected 2 <= max_order <= 64, got {max_order}")
    if not len(blocks) or not all(blocks):
        raise ValueError("blocks: expected a non-empty list of non-empty texts")
    encoder = pyppmd.Ppmd8Encoder(max_order, PPMD_MEMORY)
    encoder.encode(prefix.encode("utf-8"))
    sizes = [len(encoder.encode(block.encode("utf-8"))) for block in blocks]
    sizes[-1] += len(encoder.flush())
    return 8.0 * np.asarray(sizes, dtype=np.float64)
