"""A compressor's bits per character: the baseline a language model must beat.

``bpc = 8 * len(compress(text.encode("utf-8"))) / len(text)``, with Python's
bindings to the same libraries and settings as ``xz -9`` (liblzma, preset 9,
.xz container) and ``bzip2 -9`` (libbzip2, 900k blocks).
"""

from __future__ import annotations

import bz2
import lzma

COMPRESSORS = {
    "xz -9": lambda data: lzma.compress(data, format=lzma.FORMAT_XZ, preset=9),
    "bzip2 -9": lambda data: bz2.compress(data, compresslevel=9),
}


def bits_per_char(text: str, compressor: str) -> float:
    """Compressed bits over characters of ``text`` under one of ``COMPRESSORS``."""
    if compressor not in COMPRESSORS:
        raise ValueError(f"compressor: expected one of {sorted(COMPRESSORS)}, got {compressor!r}")
    if not text:
        raise ValueError("text: expected a non-empty text")
    return 8 * len(COMPRESSORS[compressor](text.encode("utf-8"))) / len(text)
