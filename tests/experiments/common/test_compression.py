import shutil
import subprocess

import pytest

from experiments.common.compression import bits_per_char

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
