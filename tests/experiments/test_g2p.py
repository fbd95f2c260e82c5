import json
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.common import cmudict_g2p as data
from experiments.common.g2p_metrics import error_rates, word_errors
from experiments.common.g2p_table import paired_lines, readme_lines, table_row, verdicts
from experiments.common.item_scores import pack, unpack
from experiments.common.spelling_neighbour import nearest_neighbour_prons
from tests.experiments.experiment_module import load_experiment

g2p = load_experiment("g2p")
ROOT = pathlib.Path(__file__).resolve().parents[2]
RESULTS = ROOT / "experiments" / "results" / "g2p.json"


def levenshtein(a, b) -> int:
    """The textbook O(|a| |b|) table, an independent reference."""
    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(
                table[i - 1][j] + 1,
                table[i][j - 1] + 1,
                table[i - 1][j - 1] + (a[i - 1] != b[j - 1]),
            )
    return table[-1][-1]


def test_clean_strips_stress_merges_variants_and_drops_odd_spellings():
    raw = {
        "read": [["R", "IY1", "D"], ["R", "EH1", "D"], ["R", "IY0", "D"]],
        "x-ray": [["EH1", "K", "S", "R", "EY2"]],
        "a.m.": [["EY1", "EH1", "M"]],
        "o'neil": [["OW0", "N", "IY1", "L"]],
    }
    lexicon = data.clean(raw)
    assert lexicon.words == ["o'neil", "read"]
    assert lexicon.prons == [[("OW", "N", "IY", "L")], [("R", "IY", "D"), ("R", "EH", "D")]]


def test_clean_names_a_phoneme_outside_arpabet():
    with pytest.raises(ValueError, match="QQ"):
        data.clean({"odd": [["QQ1"]]})


def test_split_is_by_word_disjoint_and_seeded():
    words = [f"w{'a' * i}" for i in range(200)]
    lexicon = data.Lexicon(words, [[("AH",)]] * 200)
    split = data.split_lexicon(lexicon, seed=3)
    parts = [set(part.words) for part in split]
    assert [len(p) for p in parts] == [180, 10, 10]
    assert set().union(*parts) == set(words) and sum(map(len, parts)) == 200
    assert data.split_lexicon(lexicon, seed=3) == split
    assert data.split_lexicon(lexicon, seed=4).test.words != split.test.words
    with pytest.raises(ValueError, match="fractions"):
        data.split_lexicon(lexicon, seed=0, fractions=(0.9, 0.1, 0.0))


def test_encoding_round_trips_and_ends_with_eos():
    ids, lengths = data.encode_prons([("HH", "AH", "L", "OW")], 8)
    assert lengths.tolist() == [5] and ids[0, 4] == data.EOS and ids[0, 5:].tolist() == [0] * 3
    assert data.decode_ids(ids[0]) == ("HH", "AH", "L", "OW")
    letters, n = data.encode_words(["o'k"], 4)
    assert letters.tolist() == [[16, 1, 12, 0]] and n.tolist() == [3]
    with pytest.raises(ValueError, match="width"):
        data.encode_words(["toolong"], 4)
    assert (data.SRC_VOCAB, data.TGT_VOCAB, len(data.PHONEMES)) == (28, 42, 39)


phoneme_seqs = st.lists(st.sampled_from(["AA", "B", "K", "S"]), max_size=7).map(tuple)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.lists(phoneme_seqs, min_size=1, max_size=3), phoneme_seqs), min_size=1)
)
def test_error_rates_match_the_closest_reference_by_brute_force(words):
    references = [refs for refs, _ in words]
    hypotheses = [hyp for _, hyp in words]
    d, ref_len = word_errors(references, hypotheses)
    for w, (refs, hyp) in enumerate(words):
        distances = [levenshtein(r, hyp) for r in refs]
        closest = int(np.argmin(distances))
        assert d[w] == distances[closest] and ref_len[w] == len(refs[closest])
    if ref_len.sum():
        found = error_rates(references, hypotheses)
        assert found["wer"] == np.mean([min(levenshtein(r, h) for r in rs) > 0 for rs, h in words])
        assert found["per"] == pytest.approx(d.sum() / ref_len.sum())


def test_any_listed_pronunciation_counts_as_right():
    refs = [[("R", "IY", "D"), ("R", "EH", "D")], [("AH",)]]
    found = error_rates(refs, [("R", "EH", "D"), ("B", "AH", "K")])
    assert found["wer"] == 0.5 and found["per"] == 2 / 4
    assert found["wrong"].tolist() == [False, True]


def test_nearest_neighbour_matches_brute_force_over_its_candidates():
    train = data.Lexicon(
        ["cat", "cart", "cast", "dog", "dot", "catalog"],
        [
            [("K", "AE", "T")],
            [("K", "AA", "R", "T")],
            [("K", "AE", "S", "T")],
            [("D", "AO", "G")],
            [("D", "AA", "T")],
            [("K", "AE", "T", "AH", "L", "AO", "G")],
        ],
    )
    words = ["cats", "dig", "zebra", "catalogs"]
    found = nearest_neighbour_prons(train, words, prefix=2, window=1)
    # cats: "ca" words of 3-5 letters: cat (1), cart (2), cast (2).
    assert found[0] == ("K", "AE", "T")
    # dig: no "di" word, backs off to "d": dog (1), dot (2).
    assert found[1] == ("D", "AO", "G")
    assert found[3] == ("K", "AE", "T", "AH", "L", "AO", "G")
    # zebra: no "z" word, backs off to every word of 4-6 letters; ties go alphabetically.
    pool = sorted(w for w in train.words if abs(len(w) - 5) <= 1)
    best = min(pool, key=lambda w: levenshtein("zebra", w))
    assert found[2] == train.prons[train.words.index(best)][0]


def test_quick_run_on_the_real_dictionary(tmp_path):
    cfg = g2p.Config(quick=True, run_root=str(tmp_path), progress=False)
    summary = g2p.run(cfg)
    (seed,) = summary["model"]["per_seed"]
    assert seed["last_loss"] < seed["first_loss"]
    for decoder in ("greedy", "beam"):
        for split in ("valid", "test"):
            assert 0.0 <= seed[f"{decoder}_{split}_wer"] <= 1.0
            assert seed[f"{decoder}_{split}_per"] >= 0.0
    assert set(summary["baselines"]) == {"nearest_neighbour"}
    for found, key in ((seed, "beam_test"), (summary["baselines"]["nearest_neighbour"], "test")):
        wrong = unpack(found[f"{key}_words_wrong"])  # one flag per test word, as the WER
        assert len(wrong) == 200 and np.mean(wrong) == pytest.approx(found[f"{key}_wer"])
    written = json.loads((tmp_path / "g2p" / "results.json").read_text())
    assert written["data"]["train_words"] == 2000
    assert written["data"]["valid_words"] == written["data"]["test_words"] == 200


def test_full_dictionary_split_sizes():
    split = data.split_lexicon(data.load_cmudict(), seed=0)
    assert [len(part.words) for part in split] == [112_433, 6_246, 6_247]
    assert not set(split.train.words) & set(split.test.words)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--encoder_size", "0"], "encoder_size"),
        (["--beam_size", "0"], "beam_size"),
        (["--neighbour_window", "-1"], "neighbour_window"),
        (["--alpha", "-1"], "alpha"),
        (["--schedule", "linear"], "schedule"),
    ],
)
def test_bad_config_fails_before_training(argv, match):
    with pytest.raises(ValueError, match=match):
        g2p.parse_config(argv)


def fake_results(beam_wer=0.24, std=0.003):
    model = {}
    for decoder, wer in (("beam", beam_wer), ("greedy", beam_wer + 0.01)):
        model |= {
            f"{decoder}_test_wer_mean": wer,
            f"{decoder}_test_wer_std": std,
            f"{decoder}_test_per_mean": 0.055,
            f"{decoder}_test_per_std": std,
        }
    return {
        "config": {"seeds": [0, 1, 2], "beam_size": 5, "encoder_size": 128, "decoder_size": 128},
        "data": {"words": 124_926, "test_words": 6_247},
        "model": model | {"per_seed": [{"seed": s} for s in (0, 1, 2)]},
        "baselines": {"nearest_neighbour": {"test_wer": 0.93, "test_per": 0.33}},
        "wall_s": 3600.0,
    }


def test_row_names_the_model_and_baseline():
    row = table_row(fake_results())
    assert row.startswith("| grapheme-to-phoneme (CMUdict, 124,926 words, 6,247 test words")
    assert "beam 5: WER 24.0% +- 0.3%, PER 5.5% +- 0.3%; greedy: WER 25.0%" in row
    assert "nearest neighbour by spelling: WER 93.0%, PER 33.0%" in row
    assert row.endswith("| 60 min |")
    assert "beam 5: WER 24.0%, PER 5.5%;" in table_row(fake_results(std=None))


def test_verdicts_say_by_how_much_a_goal_is_missed():
    assert verdicts(fake_results(0.24)) == [
        "- The goal, test WER <= 25.0%: the beam-search mean 24.0% meets it.",
        "- The stretch goal, test WER <= 22.0%: the beam-search mean 24.0% misses it by 2.0 "
        "points.",
    ]


def test_paired_lines_give_mcnemar_per_seed_when_the_words_were_kept():
    results = fake_results()
    assert paired_lines(results) == []  # the words' flags not kept
    results["baselines"]["nearest_neighbour"]["test_words_wrong"] = pack([1] * 30 + [0] * 70)
    for row, wrong in zip(results["model"]["per_seed"], (0, 30, 30)):
        row["beam_test_words_wrong"] = pack([0] * wrong + [1] * (30 - wrong) + [0] * 70)
    (line,) = paired_lines(results)
    assert line.startswith(
        "- Beam search against the nearest neighbour by spelling, McNemar on the 100 test "
        "words (model right and neighbour wrong / the reverse, p): seed 0 0/0, p 1; "
        "seed 1 30/0, p "
    )
    assert line.endswith("right more often with p < 0.05 in 2 of 3 seeds, less often in 0.")


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed g2p results")
def test_the_experiments_page_holds_the_lines_the_committed_results_give():
    page = (ROOT / "docs/guides/experiments.md").read_text().splitlines()
    for line in readme_lines(json.loads(RESULTS.read_text())):
        assert not line or line in page
