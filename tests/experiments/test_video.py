import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.common.item_scores import unpack
from tests.experiments.experiment_module import load_experiment

video = load_experiment("video")


def test_patches_round_trip_and_keep_each_patch_together():
    frames = jnp.arange(2 * 3 * 8 * 8, dtype=jnp.float32).reshape(2, 3, 8, 8)
    patches = video.to_patches(frames, 4)
    assert patches.shape == (2, 3, 2, 2, 16)
    np.testing.assert_array_equal(patches[1, 2, 1, 0], frames[1, 2, 4:8, 0:4].reshape(16))
    np.testing.assert_array_equal(video.from_patches(patches, 4), frames)


@pytest.mark.parametrize(("name", "count"), [("convlstm", 19_120), ("fc_lstm", 19_732)])
def test_default_models_have_similar_parameter_counts(name, count):
    cfg = video.Config()
    model = video.build(cfg, name)
    params = jax.eval_shape(model.init, jax.random.key(0))
    assert video.num_params(params) == count
    context = jax.ShapeDtypeStruct((2, cfg.context, cfg.canvas, cfg.canvas), jnp.float32)
    assert jax.eval_shape(model.logits, params, context).shape == (2, cfg.horizon, 32, 32)


def test_quick_run_writes_results_and_a_strip(tmp_path):
    cfg = video.Config(quick=True, run_root=str(tmp_path), progress=False)
    results = video.run(cfg)
    row = results["seeds"]["0"]
    for name in video.MODELS:
        found = row[name]
        assert found["last_loss"] < found["first_loss"]
        assert len(found["test_mse_per_frame"]) == len(found["test_ssim_per_frame"]) == 3
        assert 0.0 <= found["test_mse"] <= 1.0 and -1.0 <= found["test_ssim"] <= 1.0
    test_rows = [row[name] for name in video.MODELS] + list(results["baselines"].values())
    for found in test_rows:  # one score per test sequence, averaging to the test score
        for metric in ("mse", "ssim"):
            per_sequence = unpack(found[f"test_{metric}_per_sequence"])
            assert len(per_sequence) == results["data"]["sequences"]["test"]
            assert np.mean(per_sequence) == pytest.approx(found[f"test_{metric}"], abs=1e-4)
    assert set(results["baselines"]) == {"copy_last", "shift"}
    assert results["data"]["images"] == {"train": 1257, "valid": 270, "test": 270}
    written = json.loads((tmp_path / "video" / "results.json").read_text())
    assert written["seeds"]["0"]["convlstm"]["test_mse"] == row["convlstm"]["test_mse"]
    assert (tmp_path / "video" / "seed0" / "strip.png").stat().st_size > 0
    with pytest.raises(ValueError, match="results_file"):
        video.merge_seed(written, cfg, {"config": {"other": 1}}, 1, {})
    # An earlier file's baselines give way to this run's (same config, more kept).
    older = written | {"baselines": {"shift": {}}}
    shared = {k: written[k] for k in ("config", "data", "baselines")}
    merged = video.merge_seed(older, cfg, shared, 1, {"convlstm": {}})
    assert merged["baselines"] == written["baselines"] and list(merged["seeds"]) == ["0", "1"]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--models", "gru"], "models"),
        (["--patch", "5"], "patch"),
        (["--kernel", "2"], "kernel"),
        (["--context", "1"], "context"),
        (["--canvas", "8"], "canvas"),
    ],
)
def test_bad_config_fails_before_training(argv, match):
    with pytest.raises(ValueError, match=match):
        video.parse_config(argv)
