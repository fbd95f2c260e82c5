import numpy as np
import pytest

from experiments.common import text
from experiments.common.packages import MissingDataPackage


def test_vocab_round_trip():
    sample = "In the beginning God created\nthe heaven and the earth."
    vocab = text.build_vocab(sample)
    assert vocab.size == len(set(sample))
    ids = vocab.encode(sample)
    assert ids.dtype == np.int32 and ids.max() < vocab.size
    assert vocab.decode(ids) == sample
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.encode("Z!")


def test_split_contiguous_blocks_in_order_without_overlap():
    items = np.arange(1000)
    train, valid, test = text.split_contiguous(items, 0.1, 0.05)
    assert (len(train), len(valid), len(test)) == (850, 100, 50)
    np.testing.assert_array_equal(np.concatenate([train, valid, test]), items)
    assert train.max() < valid.min() and valid.max() < test.min()
    with pytest.raises(ValueError, match="fractions"):
        text.split_contiguous(items, 0.6, 0.5)


def test_missing_bible_names_both_packages(tmp_path):
    with pytest.raises(MissingDataPackage, match="apt-get install -y bible-kjv bible-kjv-text"):
        text.kjv_text(program="no-such-bible-program", data_dir=str(tmp_path))


def test_missing_fortunes_names_the_package(tmp_path):
    with pytest.raises(MissingDataPackage, match="apt-get install -y fortunes-min fortunes"):
        text.fortunes_text(str(tmp_path))


def test_fortunes_reads_files_without_extension_in_name_order(tmp_path):
    (tmp_path / "b").write_text("second\n%\n")
    (tmp_path / "a").write_text("first\n%\n")
    (tmp_path / "a.dat").write_bytes(b"\x00\x01")
    assert text.fortunes_text(str(tmp_path)) == "first\n%\nsecond\n%\n"


def test_auto_falls_back_to_fortunes_then_names_every_package(monkeypatch):
    monkeypatch.setattr(
        text, "kjv_text", lambda: (_ for _ in ()).throw(MissingDataPackage("bible-kjv missing"))
    )
    monkeypatch.setattr(text, "fortunes_text", lambda: "A fortune.\n%\n")
    assert text.load_text("auto") == ("fortunes", "A fortune.\n%\n")
    monkeypatch.setattr(
        text, "fortunes_text", lambda: (_ for _ in ()).throw(MissingDataPackage("fortunes missing"))
    )
    with pytest.raises(MissingDataPackage, match="bible-kjv missing.*fortunes missing"):
        text.load_text("auto")
    with pytest.raises(ValueError, match="source"):
        text.load_text("shakespeare")


def test_a_training_vocabulary_encodes_unseen_characters_as_unknown():
    vocab = text.build_vocab("abcab", unknown=True)
    assert vocab.size == 4 and vocab.chars[-1] == text.UNKNOWN and vocab.has_unknown
    np.testing.assert_array_equal(vocab.encode("cazb"), [2, 0, 3, 1])
    assert vocab.count_unknown("cazb!") == 2
    assert not text.build_vocab("abc").has_unknown
