import dataclasses
import json
import random

import chex
import jax
import numpy as np
import optax
import pytest

import lstmjax as lj
from experiments.common import text
from experiments.common.packages import MissingDataPackage
from lstmjax.models.language_model import language_model
from tests.experiments.experiment_module import load_experiment

char_lm = load_experiment("char_lm")


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    rng = random.Random(0)
    words = "and the lord said unto moses let there be light in the beginning god".split()
    path = tmp_path_factory.mktemp("text") / "generated.txt"
    path.write_text(" ".join(rng.choice(words) for _ in range(5000)))
    return path


def _cfg(text_file, root, **changes):
    changes = {"prompt": "the lord", **changes}
    return char_lm.Config(
        quick=True, text_file=str(text_file), run_root=str(root), progress=False, **changes
    )


def test_quick_run_lowers_the_loss_and_scores_the_same_data_baselines(text_file, tmp_path):
    summary = char_lm.run(_cfg(text_file, tmp_path))
    assert summary["last_train_bpc"] < summary["first_train_bpc"]
    assert set(summary["baselines"]) == {
        "kneser-ney", "witten-bell", "ppmd", "xz -9", "xz -9e", "bzip2 -9"
    }  # fmt: skip
    assert summary["sample"].startswith("the lord") and len(summary["sample"]) == 8 + 40
    run_dir = tmp_path / "char_lm" / "generated.txt-seed0"
    assert json.loads((run_dir / "results.json").read_text())["test_bpc"] > 0
    # the seed's test bits add up over the blocks the baselines are paired on
    results = json.loads((tmp_path / "char_lm" / "results.json").read_text())
    seed = results["seeds"]["0"]
    chars = results["split"]["chars"]["test"]
    assert sum(seed["test_block_bits"]) / chars == pytest.approx(seed["test_bpc"])
    assert len(seed["test_block_bits"]) == len(results["baselines"]["ppmd"]["test_block_bits"])
    dynamic = seed["dynamic"]  # chosen on validation from a grid that includes static scoring
    assert {g["adapt_lr"] for g in dynamic["grid"]} == set(char_lm.ADAPT_LRS)
    chosen = min(dynamic["grid"], key=lambda g: g["valid_bpc"])
    assert (dynamic["adapt_lr"], dynamic["decay"]) == (chosen["adapt_lr"], chosen["decay"])
    assert sum(dynamic["test_block_bits"]) / chars == pytest.approx(dynamic["test_bpc"])


def test_seeds_of_one_config_share_a_results_file_and_others_are_refused(text_file, tmp_path):
    cfg = _cfg(text_file, tmp_path).quick_version()
    built = char_lm.build(cfg)
    baselines = {"ppmd": {"test_bpc": 1.0}}  # computed once, kept for later seeds
    first = char_lm.merge_seed({}, cfg, built, {"test_bpc": 2.0})
    first["baselines"] = baselines
    both = char_lm.merge_seed(first, dataclasses.replace(cfg, seed=1), built, {"test_bpc": 3.0})
    assert both["seeds"] == {"0": {"test_bpc": 2.0}, "1": {"test_bpc": 3.0}}
    assert both["baselines"] is baselines
    with pytest.raises(ValueError, match="results_file"):
        char_lm.merge_seed(both, dataclasses.replace(cfg, hidden_size=64), built, {})


def test_char_costs_carry_the_state_across_windows_from_the_context():
    """Windowed scoring equals one pass of the model over context + ids."""
    model = language_model(5, lj.stack([lj.lstm(4), lj.lstm(3)]), embed_size=3)
    params = model.init(jax.random.key(0))
    ids = np.random.default_rng(0).integers(0, 5, 40).astype(np.int32)
    got = char_lm.make_char_costs(model, 7)(params, ids[:9], ids[9:])
    logits, _ = model.apply(params, ids[None, :-1], model.initial_carry(1))
    nats = optax.softmax_cross_entropy_with_integer_labels(logits[0], ids[1:])
    chex.assert_shape(got, (31,))
    np.testing.assert_allclose(got, np.asarray(nats[8:]) / np.log(2), rtol=1e-5)


@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_result(text_file, tmp_path):
    whole = char_lm.run(_cfg(text_file, tmp_path / "a"))  # results_file under run_root
    stopped = char_lm.run(_cfg(text_file, tmp_path / "b", stop_after=20))
    assert "test_bpc" not in stopped and stopped["steps_done"] == 20
    resumed = char_lm.run(_cfg(text_file, tmp_path / "b", resume=True))
    assert resumed["test_bpc"] == whole["test_bpc"]
    assert resumed["sample"] == whole["sample"]


def test_missing_text_packages_say_how_to_install(monkeypatch, tmp_path):
    real_kjv, real_fortunes = text.kjv_text, text.fortunes_text
    empty = str(tmp_path)  # neither the bible program/data nor fortune files are here
    monkeypatch.setattr(text, "kjv_text", lambda: real_kjv(program="no-bible", data_dir=empty))
    monkeypatch.setattr(text, "fortunes_text", lambda: real_fortunes(empty))
    cfg = char_lm.Config(quick=True, run_root=str(tmp_path / "runs"), progress=False)
    with pytest.raises(MissingDataPackage, match=r"bible-kjv bible-kjv-text.*fortunes-min"):
        char_lm.run(cfg)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--hidden_size", "0"], "hidden_size"),
        (["--seq_len", "-5"], "seq_len"),
        (["--source", "shakespeare"], "source"),
        (["--temperature", "0"], "temperature"),
    ],
)
def test_bad_config_fails_before_training(argv, match):
    with pytest.raises(ValueError, match=match):
        char_lm.parse_config(argv)


def test_prompt_outside_the_vocabulary_fails_before_training(text_file, tmp_path):
    with pytest.raises(ValueError, match="prompt"):
        char_lm.run(_cfg(text_file, tmp_path, prompt="Zion"))
    assert not (tmp_path / "char_lm").exists()


def test_eval_scores_every_character_after_each_rows_first():
    model = language_model(5, lj.stack([lj.lstm(4)]), embed_size=3)
    params = model.init(jax.random.key(0))
    ids = np.random.default_rng(0).integers(0, 5, 50).astype(np.int32)
    got = char_lm.make_eval(model, 2, 7)(params, ids)  # 24 targets per row: 3 windows + 3
    rows = ids.reshape(2, 25)
    logits, _ = model.apply(params, rows[:, :-1], model.initial_carry(2))
    nats = optax.softmax_cross_entropy_with_integer_labels(logits, rows[:, 1:]).mean()
    assert got == pytest.approx(float(nats) / np.log(2), rel=1e-5)


def test_dynamic_evaluation_scores_each_window_before_adapting_to_it():
    """The first window costs what static scoring gives; a text seen once in the
    stream costs less the second time; the trained params are not changed."""
    model = language_model(5, lj.stack([lj.lstm(8)]), embed_size=3)
    params = model.init(jax.random.key(0))
    before = jax.tree.map(np.array, params)
    pattern = np.random.default_rng(1).integers(0, 5, 20).astype(np.int32)
    ids = np.tile(pattern, 8)
    costs = char_lm.make_char_costs(model, 10)
    static = costs(params, ids[:1], ids[1:])
    dynamic = costs(params, ids[:1], ids[1:], adapt_lr=0.03)
    np.testing.assert_allclose(dynamic[:9], static[:9], rtol=1e-5)  # the first window
    assert dynamic[-20:].mean() < static[-20:].mean() - 0.04  # 2.28 vs 2.34 bits
    chex.assert_trees_all_equal(params, before)
    again = costs(params, ids[:1], ids[1:], adapt_lr=0.03)
    np.testing.assert_allclose(again, dynamic, rtol=1e-6)  # restarts from the trained params
