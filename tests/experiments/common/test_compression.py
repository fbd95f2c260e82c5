import shutil
import subprocess

import numpy as np
import pytest

from experiments.common.compression import (
    PPMD_MEMORY,
    bits_per_char,
    ppmd_block_bits,
)

TEXT = "And God said, Let there be light: and there was light.\n" * 40 + "Amen.\n"


def test_repetitive_text_compresses_below_one_bit_and_random_text_does_not():
    import random

    assert bits_per_char(TEXT, "xz -9") < 1.0
    assert bits_per_char(TEXT, "bzip2 -9") < 1.0
    rng = random.Random(0)
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4000))
    assert bits_per_char(noise, "bzip2 -9") > 4.0


@pytest.mark.parametrize(("name", "argv"), [("xz -9", ["xz", "-9"]), ("bzip2 -9", ["bzip2", "-9"])])
def test_matches_the_command_line_tool_when_installed(name, argv):
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed (the library's own path is tested above)")
    out = subprocess.run(argv + ["-c"], input=TEXT.encode(), capture_output=True, check=True)
    assert bits_per_char(TEXT, name) == pytest.approx(8 * len(out.stdout) / len(TEXT), rel=0.02)


def test_unknown_compressor_and_empty_text_are_errors():
    with pytest.raises(ValueError, match="compressor"):
        bits_per_char(TEXT, "gzip")
    with pytest.raises(ValueError, match="non-empty"):
        bits_per_char("", "xz -9")


def random_words(n: int, seed: int) -> str:
    import random

    rng = random.Random(seed)
    words = ["and", "the", "lord", "said", "unto", "moses", "israel", "children", "of"]
    return " ".join(rng.choice(words) for _ in range(n))


def test_the_prefix_trick_conditions_the_text_on_what_came_before():
    """A text the prefix holds costs a fraction of what it costs after an unrelated prefix."""
    text = random_words(2000, seed=1)
    unrelated = "".join(chr(ord("A") + (i * 7) % 26) for i in range(2000))
    # LZ77 copies the repeat from its dictionary; BWT sorts it beside the prefix's copy
    for name, ratio in (("xz -9e", 0.1), ("bzip2 -9", 0.5)):
        after_itself = bits_per_char(text, name, prefix=unrelated + text)
        after_unrelated = bits_per_char(text, name, prefix=unrelated)
        assert after_itself < ratio * after_unrelated
        # a one-character prefix: the text less the container's fixed bytes
        after_one = bits_per_char(text, name, prefix=" ")
        assert 0 < bits_per_char(text, name) - after_one < 8 * 64 / len(text)


def test_ppmd_block_costs_add_up_to_the_coded_stream_and_follow_the_prefix():
    import pyppmd

    text = random_words(1000, seed=2)
    blocks = [text[i : i + 500] for i in range(0, len(text), 500)]
    bits = ppmd_block_bits("", blocks, max_order=6)
    whole = pyppmd.compress(text.encode(), max_order=6, mem_size=PPMD_MEMORY, variant="I")
    assert bits.shape == (len(blocks),)
    # the same coder over the whole text, up to a few bytes of its end mark
    assert abs(bits.sum() - 8 * len(whole)) <= 8 * 16
    # The source's entropy: log2(9) bits per word of 39/9 letters and a space.
    # The first block pays for learning the words; after a prefix of the same
    # source (another seed) every block costs close to the entropy.
    entropy = np.log2(9) / (39 / 9 + 1)
    assert bits[0] > 1.5 * bits[1:].mean()
    conditioned = ppmd_block_bits(random_words(3000, seed=3), blocks, max_order=6)
    assert entropy < conditioned.sum() / len(text) < 1.15 * entropy < bits.sum() / len(text)


def test_ppmd_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="max_order"):
        ppmd_block_bits("", ["a"], max_order=1)
    with pytest.raises(ValueError, match="blocks"):
        ppmd_block_bits("", ["a", ""], max_order=4)
