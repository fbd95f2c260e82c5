import json
import math
import pathlib
import wave

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.common import espeak_speech as data
from experiments.common import log_mel as lm
from experiments.common.context_mlp import context_mlp, context_windows
from experiments.common.item_scores import pack, unpack
from experiments.common.speech_table import readme_lines, table_row, verdicts
from tests.experiments.experiment_module import load_experiment

speech = load_experiment("speech")
ROOT = pathlib.Path(__file__).resolve().parents[2]
RESULTS = ROOT / "experiments" / "results" / "speech.json"
SPEC = lm.mel_spec(16000, num_bands=20, f_max=8000.0)


def reference_log_mel(x, sample_rate, win, hop, n_fft, num_bands, f_min, f_max, floor):
    """Per frame, a DFT as a sum over samples, and each triangle built band by band."""
    n = np.arange(win)
    window = np.array([0.5 - 0.5 * math.cos(2 * math.pi * i / win) for i in n])
    k = np.arange(n_fft // 2 + 1)
    dft = np.exp(
        -2j * np.pi * np.outer(k, n) / n_fft
    )  # [K, win]: zero padding to n_fft is implicit
    mel = lambda f: 2595 * math.log10(1 + f / 700)  # noqa: E731
    inv = lambda m: 700 * (10 ** (m / 2595) - 1)  # noqa: E731
    step = (mel(f_max) - mel(f_min)) / (num_bands + 1)
    edges = [inv(mel(f_min) + i * step) for i in range(num_bands + 2)]
    out = []
    for start in range(0, len(x) - win + 1, hop):
        power = np.abs(dft @ (window * x[start : start + win])) ** 2
        bands = []
        for j in range(num_bands):
            lo, mid, hi = edges[j : j + 3]
            total = 0.0
            for kk in k:
                f = kk * sample_rate / n_fft
                if lo < f <= mid:
                    total += power[kk] * (f - lo) / (mid - lo)
                elif mid < f < hi:
                    total += power[kk] * (hi - f) / (hi - mid)
            bands.append(math.log(total + floor))
        out.append(bands)
    return np.array(out)


def test_log_mel_matches_a_per_frame_dft_loop():
    x = np.random.default_rng(0).standard_normal(1600)
    found = lm.log_mel(x, SPEC)
    expected = reference_log_mel(x, *SPEC)
    assert found.shape == expected.shape == (1 + (1600 - SPEC.win) // SPEC.hop, 20)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("freq", [300.0, 1000.0, 2500.0, 6000.0])
def test_a_pure_tone_peaks_in_the_band_centred_nearest_to_it(freq):
    t = np.arange(8000) / 16000
    found = lm.log_mel(np.sin(2 * np.pi * freq * t), SPEC)
    edges = lm.mel_to_hz(np.linspace(0, lm.hz_to_mel(8000.0), 22))
    centres = edges[1:-1]
    assert np.all(np.argmax(found, axis=1) == np.argmin(np.abs(centres - freq)))


def test_mel_scale_and_framing():
    assert lm.hz_to_mel(1000.0) == pytest.approx(1000.0, abs=0.1)
    np.testing.assert_allclose(lm.mel_to_hz(lm.hz_to_mel([0.0, 440.0, 7000.0])), [0, 440, 7000])
    spec = lm.mel_spec(22050)
    assert (spec.win, spec.hop, spec.n_fft) == (551, 220, 1024)
    assert lm.frames(np.ones(100), spec).shape == (1, 551)  # shorter than a window: one frame
    bank = lm.mel_filterbank(spec)
    assert bank.shape == (513, 40) and bank.max() <= 1.0 and np.all(bank.max(axis=0) > 0.5)
    with pytest.raises(ValueError, match="f_max"):
        lm.mel_spec(16000, f_max=9000.0)


def test_splits_share_no_voice_or_variant_and_are_seeded():
    spec = data.DataSpec(sizes=(200, 50, 50))
    utts = {s: data.sample_utterances(spec, s) for s in data.SPLITS}
    for a, b in (("train", "valid"), ("train", "test"), ("valid", "test")):
        for field in ("voice", "variant"):
            assert not {getattr(u, field) for u in utts[a]} & {getattr(u, field) for u in utts[b]}
    words = set(data.DIGITS + data.COMMANDS)
    for u in utts["train"]:
        assert set(u.text.split()) <= words and 1 <= len(u.text.split()) <= 4
        assert 120 <= u.speed <= 200 and 20 <= u.pitch <= 80 and 10 <= u.snr_db <= 30
    assert data.sample_utterances(spec, "test") == utts["test"]
    other = data.DataSpec(sizes=(200, 50, 50), seed=1)
    assert data.sample_utterances(other, "test") != utts["test"]
    assert other.key() != spec.key()
    with pytest.raises(ValueError, match="sizes"):
        data.DataSpec(sizes=(10, 0, 5))


def test_noise_lands_at_the_asked_snr():
    x = np.sin(np.arange(200_000) / 7.0)
    noisy = data.add_noise(x, 10.0, np.random.default_rng(0))
    snr = 10 * np.log10(np.mean(x**2) / np.mean((noisy - x) ** 2))
    assert snr == pytest.approx(10.0, abs=0.05)


def test_text_encoding_round_trips_and_names_bad_characters():
    labels, lengths = data.encode_text(["go up", "oh"], 8)
    assert lengths.tolist() == [5, 2] and labels[0, :5].tolist() == [8, 16, 1, 22, 17]
    assert data.decode_labels(labels[0, :5]) == "go up" and data.BLANK not in labels[0, :5]
    with pytest.raises(ValueError, match="texts"):
        data.encode_text(["7"], 8)
    with pytest.raises(ValueError, match="width"):
        data.encode_text(["seven"], 4)


def test_wav_reading_and_a_real_espeak_utterance(tmp_path):
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(8000)
        f.writeframes(np.array([0, 16384, -32768], "<i2").tobytes())
    x, rate = data.read_wav(path)
    assert rate == 8000 and x.tolist() == [0.0, 0.5, -1.0]
    utt = data.Utterance("three", "en-us", "f2", 150, 50, 20.0)
    x, rate = data.synthesise(utt, tmp_path / "three.wav")
    assert rate == 22050 and 0.2 < len(x) / rate < 2.0 and np.abs(x).max() > 0.05


def test_context_windows_match_a_loop():
    xs = jax.random.normal(jax.random.key(0), (2, 5, 3))
    lengths = jnp.array([5, 3])
    found = np.asarray(context_windows(xs, lengths, 1))
    x = np.asarray(xs)
    for b in range(2):
        for t in range(5):
            for k, s in enumerate((t - 1, t, t + 1)):
                inside = 0 <= s < lengths[b]
                np.testing.assert_allclose(found[b, t, 3 * k : 3 * k + 3], x[b, s] if inside else 0)
    with pytest.raises(ValueError, match="context"):
        context_mlp(-1, 4)


def test_frame_stacking():
    f = np.arange(10.0).reshape(5, 2)
    np.testing.assert_array_equal(
        speech.stack_frames(f, 2), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 0]]
    )


def test_models_have_about_the_same_budget_and_ctc_shaped_outputs():
    cfg = speech.Config()
    models = speech.build(cfg)
    assert set(models) == {"bilstm", "lstm", "mlp"}
    counts = {}
    for name, model in models.items():  # shapes only (eval_shape): nothing runs or compiles
        params = jax.eval_shape(model.init, jax.random.key(0))
        counts[name] = speech.count_params(params)
        x, lengths = jnp.ones((2, 6, 80)), jnp.array([6, 4])
        logits = jax.eval_shape(model.logits, params, x, lengths)
        chex.assert_shape(logits, (2, 6, data.NUM_CLASSES))
    assert max(counts.values()) / min(counts.values()) < 1.1, counts


def test_quick_run_synthesises_with_espeak_and_trains(tmp_path):
    cfg = speech.Config(quick=True, run_root=str(tmp_path), progress=False)
    results = speech.run(cfg)
    rows = results["seeds"]["0"]
    assert set(rows) == {"bilstm"}
    for row in rows.values():
        assert np.isfinite([row["first_loss"], row["last_loss"]]).all()
        assert row["best_step"] in (2, 4)  # selected on validation, evaluated every 2 steps
        for key in speech.METRIC_KEYS:
            assert 0.0 <= row[key] and np.isfinite(row[key])
    assert results["data"]["test"]["utterances"] == 6
    for row in rows.values():  # each test utterance's beam edits add up to the beam CER
        edits = unpack(row["beam_test_char_edits"])
        assert len(edits) == 6 and sum(edits) / row["test_ref_chars"] == pytest.approx(
            row["beam_test_cer"]
        )
    assert list(tmp_path.glob("speech/speech-*.npz"))  # the cache the next run reads
    written = json.loads((tmp_path / "speech" / "results.json").read_text())
    assert written["models"]["bilstm"]["greedy_test_cer_std"] is None  # one seed


def fake_row(cer):
    return {
        f"{d}_{s}_{m}": cer
        for d, s in (("greedy", "valid"), ("greedy", "test"), ("beam", "test"))
        for m in ("cer", "wer")
    } | {"params": 1000, "wall_s": 60.0}


def test_merge_seed_adds_seeds_and_rejects_another_configuration():
    cfg = speech.Config()
    info = {"synth_s": 60.0}
    one = speech.merge_seed({}, cfg, info, 0, {m: fake_row(0.1) for m in speech.MODELS})
    two = speech.merge_seed(one, cfg, info, 1, {m: fake_row(0.3) for m in speech.MODELS})
    assert list(two["seeds"]) == ["0", "1"]
    assert two["models"]["lstm"]["beam_test_cer_mean"] == pytest.approx(0.2)
    assert two["models"]["lstm"]["beam_test_cer_std"] == pytest.approx(math.sqrt(0.02))
    with pytest.raises(ValueError, match="results_file"):
        speech.merge_seed(two, speech.Config(num_steps=7), info, 2, {})


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--bilstm_size", "0"], "bilstm_size"),
        (["--models", "gru"], "models"),
        (["--sizes", "10", "0", "5"], "sizes"),
        (["--pitch", "50", "10"], "pitch"),
        (["--schedule", "linear"], "schedule"),
    ],
)
def test_bad_config_fails_before_training(argv, match):
    with pytest.raises(ValueError, match=match):
        speech.parse_config(argv)


def fake_results():
    seeds = {
        str(s): {"bilstm": fake_row(0.1 + d), "lstm": fake_row(0.2 + d), "mlp": fake_row(0.3 + d)}
        for s, d in enumerate((0.0, 0.01, 0.02))
    }
    return {
        "config": {
            "beam_size": 8,
            "bilstm_size": 128,
            "lstm_size": 192,
            "mlp_size": 144,
            "mlp_context": 8,
        },
        "data": {
            "synth_s": 120.0,
            **{s: {"utterances": n} for s, n in (("train", 2400), ("valid", 300), ("test", 300))},
        },
        "models": {m: {"params": 219_164} for m in ("bilstm", "lstm", "mlp")},
        "seeds": seeds,
    }


def test_row_names_models_baselines_and_wall_time():
    row = table_row(fake_results())
    assert "2,400/300/300 train/valid/test utterances" in row
    assert "BiLSTM 128x2, 219,164 params; beam 8: CER 11.0% +- 1.0%, WER 11.0% +- 1.0%" in row
    assert "LSTM 192, 219,164 params; beam 8: CER 21.0% +- 1.0%" in row
    assert "context MLP 2x144 (+-8 steps)" in row and row.endswith("| 11 min |")


def test_verdicts_compare_the_bilstm_with_each_baseline():
    assert verdicts(fake_results()) == [
        "- Test CER with beam 8: the BiLSTM's 11.0% is 10.0 points lower than the LSTM 192's "
        "21.0%.",
        "- Test CER with beam 8: the BiLSTM's 11.0% is 20.0 points lower than the context MLP "
        "2x144 (+-8 steps)'s 31.0%.",
    ]


def test_verdicts_add_the_paired_bootstrap_over_utterances_when_the_edits_were_kept():
    results = fake_results()
    rng = np.random.default_rng(0)
    for s, rows in results["seeds"].items():
        theirs = rng.integers(0, 6, 300)
        ours = theirs - (rng.uniform(size=300) < 0.5) * (s != "2")  # seed 2: the same edits
        rows["bilstm"] |= {"beam_test_char_edits": pack(ours), "test_ref_chars": 3000}
        rows["lstm"] |= {"beam_test_char_edits": pack(theirs), "test_ref_chars": 3000}
    lstm_line, mlp_line = verdicts(results)
    assert lstm_line.startswith(
        "- Test CER with beam 8: the BiLSTM's 11.0% is 10.0 points lower than the LSTM 192's "
        "21.0%; paired bootstrap over the 300 test utterances, BiLSTM minus it, per seed: "
        "seed 0 -"
    )
    assert "; seed 2 +0.0 points [+0.0, +0.0] (p 1)" in lstm_line
    assert lstm_line.endswith("; the BiLSTM lower with p < 0.05 in 2 of 3 seeds, higher in 0.")
    assert mlp_line.endswith("31.0%.")  # no seed kept the MLP's edits


def test_the_experiments_page_holds_the_lines_the_committed_results_give():
    page = (ROOT / "docs/guides/experiments.md").read_text().splitlines()
    for line in readme_lines(json.loads(RESULTS.read_text())):
        assert not line or line in page
