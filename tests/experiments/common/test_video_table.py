import json
import pathlib
import re

import numpy as np

from experiments.common.item_scores import pack
from experiments.common.video_table import per_frame_table, readme_lines, table_row, verdicts

ROOT = pathlib.Path(__file__).resolve().parents[3]
RESULTS = ROOT / "experiments" / "results" / "video.json"
PAGE = ROOT / "docs" / "guides" / "experiments.md"


def fake_results():
    def model(mse, ssim, params):
        return {
            "params": params,
            "test_mse": mse,
            "test_ssim": ssim,
            "test_mse_per_frame": [mse - 0.01, mse + 0.01],
            "test_ssim_per_frame": [ssim + 0.1, ssim - 0.1],
        }

    def seed(shift):
        return {
            "convlstm": model(0.02 + shift, 0.6, 19_120),
            "fc_lstm": model(0.05 + shift, 0.3, 21_680),
            "wall_s": 300.0,
        }

    baseline = {
        "copy_last": model(0.06, 0.5, 0),
        "shift": model(0.04, 0.6, 0),
    }
    return {
        "config": {
            "models": ["convlstm", "fc_lstm"],
            "num_digits": 2,
            "canvas": 32,
            "context": 10,
            "horizon": 2,
            "layers": 2,
            "filters": 8,
            "kernel": 3,
            "patch": 4,
            "fc_hidden": 4,
        },
        "baselines": baseline,
        "seeds": {"1": seed(0.01), "0": seed(0.0)},
    }


def test_row_names_every_model_and_baseline_with_the_sample_std():
    row = table_row(fake_results())
    assert row.startswith("| next-frame prediction (moving scikit-learn digits, 2 on 32x32")
    assert "| 0,1 |" in row
    assert "ConvLSTM (2x8 filters, 3x3, 4x4 patches, 19,120 params): MSE 0.0250 +- 0.0071" in row
    assert "FC-LSTM (2x4 units, 21,680 params): MSE 0.0550 +- 0.0071, SSIM 0.3000 +- 0.0000" in row
    assert "shift by last motion: MSE 0.0400, SSIM 0.6000" in row and row.endswith("| 10 min |")


def test_per_frame_table_has_a_line_per_predicted_frame():
    lines = per_frame_table(fake_results())
    assert len(lines) == 2 + 2
    assert lines[2] == (
        "| 1 | 0.0150 / 0.7000 | 0.0450 / 0.4000 | 0.0500 / 0.6000 | 0.0300 / 0.7000 |"
    )


def test_verdicts_say_a_tie_is_not_a_win():
    mse, ssim = verdicts(fake_results())
    assert mse == (
        "- Test MSE (lower is better): the ConvLSTM (0.0250, seed mean) beats FC-LSTM (0.0550) "
        "and beats the best baseline, shift by last motion (0.0400)."
    )
    assert "ties the best baseline, shift by last motion (0.6000)" in ssim


def test_verdicts_add_the_paired_bootstrap_over_sequences_when_the_scores_were_kept():
    results = fake_results()
    rng = np.random.default_rng(0)
    truth = rng.uniform(0.03, 0.05, 500)
    results["baselines"]["shift"]["test_mse_per_sequence"] = pack(truth, digits=17)
    for seed in results["seeds"].values():
        seed["fc_lstm"]["test_mse_per_sequence"] = pack(truth + 0.02, digits=17)
        seed["convlstm"]["test_mse_per_sequence"] = pack(truth - 0.01, digits=17)
    mse, ssim = verdicts(results)
    assert mse.startswith(
        "- Test MSE (lower is better): the ConvLSTM (0.0250, seed mean) beats FC-LSTM (0.0550; "
        "paired bootstrap over 500 test sequences, ConvLSTM minus it, per seed: -0.0300 "
    )
    assert mse.endswith(
        "beats the best baseline, shift by last motion (0.0400; paired bootstrap over 500 "
        "test sequences, ConvLSTM minus it, per seed: -0.0100 [-0.0100, -0.0100] (p < 1e-04), "
        "-0.0100 [-0.0100, -0.0100] (p < 1e-04); better with p < 0.05 in 2 of 2 seeds, "
        "worse in 0)."
    )
    assert "paired" not in ssim  # no per-sequence SSIM kept


def test_the_experiments_page_holds_the_lines_the_committed_results_give():
    page = PAGE.read_text()
    for line in readme_lines(json.loads(RESULTS.read_text())):
        assert not line or line in page.splitlines()
    for link in re.findall(r"\]\((\.\./\.\./experiments/results/[^)]+)\)", page):
        assert (PAGE.parent / link).resolve().is_file()
