"""Spoken digit strings and short words synthesised with ``espeak-ng``, in noise.

Transcripts: half the utterances (drawn per utterance) are a string of
``2 .. 4`` digits spoken as words (``zero`` .. ``nine``, and ``oh``), the other
half ``1 .. 3`` short command words (``yes no up down left right on off stop
go``), words joined by one space.

Speakers: an ``espeak-ng`` English voice (accent) plus a voice variant
(``voice+variant``), a speed ``-s`` in words per minute and a pitch ``-p``
(0 .. 99). Voices and variants are split three ways so that no validation or
test utterance shares its voice OR its variant with training, nor test with
validation (``VOICES``, ``VARIANTS``); speed and pitch are drawn uniformly from
the same ranges everywhere.

Noise: white Gaussian noise at an SNR drawn uniformly in ``snr_db`` dB,
``noise = n sqrt(mean(x^2) / 10^(snr / 10))`` with ``n ~ N(0, 1)`` per sample.

Everything is drawn from ``numpy.random.default_rng([seed, split_index])`` (the
utterance specs) and ``default_rng([seed, split_index, i])`` (utterance ``i``'s
noise), so a dataset is a function of its ``DataSpec``. ``load_dataset``
synthesises once (``espeak-ng -w``, read with the stdlib ``wave``), computes the
log-mel features (``experiments.common.log_mel``) and caches them in an
``.npz`` named by the spec's hash; later calls read the cache.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import pathlib
import shutil
import subprocess
import tempfile
import time
import wave
from typing import NamedTuple

import numpy as np

from experiments.common.log_mel import log_mel, mel_spec

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh")
COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SPLITS = ("train", "valid", "test")
VOICES = {
    "train": ("en-gb", "en-us", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc"),
    "valid": ("en-gb-x-rp",),
    "test": ("en-gb-scotland", "en-029"),
}
VARIANTS = {
    "train": ("m1", "m2", "m3", "m4", "f1", "f2"),
    "valid": ("m5", "f3"),
    "test": ("m6", "m7", "f4", "f5"),
}
# CTC classes: 0 blank, 1 space, 2 .. 27 the letters a .. z.
BLANK = 0
ALPHABET = " abcdefghijklmnopqrstuvwxyz"
NUM_CLASSES = 1 + len(ALPHABET)


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """What a dataset is a function of (its cache key)."""

    sizes: tuple = (2400, 300, 300)  # utterances per split: train, valid, test
    speed: tuple = (120, 200)  # espeak-ng -s, words per minute, inclusive
    pitch: tuple = (20, 80)  # espeak-ng -p, inclusive
    snr_db: tuple = (10.0, 30.0)
    seed: int = 0
    num_bands: int = 40
    win_ms: float = 25.0
    hop_ms: float = 10.0
    f_max: float = 8000.0

    def __post_init__(self):
        if len(self.sizes) != 3 or min(self.sizes) < 1:
            raise ValueError(f"sizes: expected 3 split sizes >= 1, got {self.sizes}")
        for name, low in (("speed", 80), ("pitch", 0)):
            lo, hi = getattr(self, name)
            if not low <= lo <= hi:
                raise ValueError(f"{name}: expected {low} <= low <= high, got {(lo, hi)}")
        if self.snr_db[0] > self.snr_db[1]:
            raise ValueError(f"snr_db: expected low <= high, got {self.snr_db}")

    def key(self) -> str:
        """A short hash of the spec, the voice lists and the vocabulary."""
        text = json.dumps(
            [dataclasses.asdict(self), VOICES, VARIANTS, DIGITS, COMMANDS], sort_keys=True
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]


class Utterance(NamedTuple):
    """One utterance's recipe."""

    text: str
    voice: str
    variant: str
    speed: int
    pitch: int
    snr_db: float


class Split(NamedTuple):
    """One split's features and transcripts: ``features[i] [M_i, num_bands]``."""

    features: list
    texts: list
    utterances: list


def sample_utterances(spec: DataSpec, split: str) -> list[Utterance]:
    """The split's ``Utterance`` recipes (module doc), seeded by ``(seed, split)``."""
    index = SPLITS.index(split)
    rng = np.random.default_rng([spec.seed, index])
    out = []
    for _ in range(spec.sizes[index]):
        if rng.random() < 0.5:
            words = rng.choice(DIGITS, size=rng.integers(2, 5))
        else:
            words = rng.choice(COMMANDS, size=rng.integers(1, 4))
        out.append(
            Utterance(
                " ".join(words),
                str(rng.choice(VOICES[split])),
                str(rng.choice(VARIANTS[split])),
                int(rng.integers(spec.speed[0], spec.speed[1] + 1)),
                int(rng.integers(spec.pitch[0], spec.pitch[1] + 1)),
                float(rng.uniform(*spec.snr_db)),
            )
        )
    return out


def espeak_binary() -> str:
    """The ``espeak-ng`` executable's path."""
    path = shutil.which("espeak-ng")
    if path is None:
        raise FileNotFoundError(
            "espeak-ng: expected the espeak-ng program on PATH (Debian: apt-get install "
            "espeak-ng), found none"
        )
    return path


def read_wav(path) -> tuple[np.ndarray, int]:
    """A mono 16-bit WAV file -> ``(samples [N] float64 in [-1, 1), sample_rate)``."""
    with wave.open(str(path), "rb") as f:
        if f.getnchannels() != 1 or f.getsampwidth() != 2:
            raise ValueError(
                f"path: expected mono 16-bit audio, got {f.getnchannels()} channels of "
                f"{8 * f.getsampwidth()} bits in {path}"
            )
        raw = f.readframes(f.getnframes())
        return np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0, f.getframerate()


def synthesise(utt: Utterance, path) -> tuple[np.ndarray, int]:
    """Runs ``espeak-ng -v voice+variant -s speed -p pitch -w path text``; reads the WAV."""
    voice = f"{utt.voice}+{utt.variant}"
    command = [espeak_binary(), "-v", voice, "-s", str(utt.speed), "-p", str(utt.pitch)]
    subprocess.run([*command, "-w", str(path), utt.text], check=True, capture_output=True)
    return read_wav(path)


def add_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` plus white Gaussian noise at ``snr_db`` dB (module doc)."""
    power = np.mean(x**2)
    return x + rng.standard_normal(len(x)) * np.sqrt(power / 10.0 ** (snr_db / 10.0))


def synthesise_split(spec: DataSpec, split: str, workers: int = 2) -> Split:
    """Synthesises, adds noise to and featurises every utterance of ``split``."""
    utterances = sample_utterances(spec, split)
    index = SPLITS.index(split)
    with tempfile.TemporaryDirectory() as tmp:

        def one(i: int) -> np.ndarray:
            x, rate = synthesise(utterances[i], pathlib.Path(tmp) / f"{i}.wav")
            noisy = add_noise(x, utterances[i].snr_db, np.random.default_rng([spec.seed, index, i]))
            mel = mel_spec(
                rate,
                win_ms=spec.win_ms,
                hop_ms=spec.hop_ms,
                num_bands=spec.num_bands,
                f_max=spec.f_max,
            )
            return log_mel(noisy, mel)

        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            features = list(pool.map(one, range(len(utterances))))
    return Split(features, [u.text for u in utterances], utterances)


def _save(path: pathlib.Path, splits: dict, synth_s: float) -> None:
    arrays = {"synth_s": np.array(synth_s)}
    for name, split in splits.items():
        lengths = np.array([len(f) for f in split.features])
        arrays[f"{name}_features"] = np.concatenate(split.features)
        arrays[f"{name}_lengths"] = lengths
        arrays[f"{name}_utterances"] = np.array(json.dumps([u._asdict() for u in split.utterances]))
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def _load(path: pathlib.Path) -> tuple[dict, float]:
    with np.load(path) as f:
        splits = {}
        for name in SPLITS:
            ends = np.cumsum(f[f"{name}_lengths"])
            features = np.split(f[f"{name}_features"], ends[:-1])
            utterances = [Utterance(**u) for u in json.loads(str(f[f"{name}_utterances"]))]
            splits[name] = Split(features, [u.text for u in utterances], utterances)
        return splits, float(f["synth_s"])


def load_dataset(spec: DataSpec, cache_dir, workers: int = 2) -> tuple[dict, float]:
    """``({split: Split}, synthesis seconds)``, synthesised once and cached in
    ``cache_dir/speech-<spec.key()>.npz`` (the seconds are those of the first run)."""
    path = pathlib.Path(cache_dir) / f"speech-{spec.key()}.npz"
    if path.exists():
        return _load(path)
    start = time.perf_counter()
    splits = {name: synthesise_split(spec, name, workers) for name in SPLITS}
    synth_s = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(path, splits, synth_s)
    return splits, synth_s


def encode_text(texts, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Transcripts -> ``(labels [B, width], lengths [B])`` with ``ALPHABET`` ids + 1."""
    lengths = np.array([len(t) for t in texts], np.int32)
    if len(lengths) and lengths.max() > width:
        raise ValueError(f"width: expected >= the longest transcript, {lengths.max()}, got {width}")
    out = np.zeros((len(texts), width), np.int32)
    for b, text in enumerate(texts):
        for j, ch in enumerate(text):
            index = ALPHABET.find(ch)
            if index < 0:
                raise ValueError(f"texts: expected characters of {ALPHABET!r}, got {ch!r}")
            out[b, j] = index + 1
    return out, lengths


def decode_labels(labels) -> str:
    """CTC label ids (blank-free) -> text."""
    return "".join(ALPHABET[int(i) - 1] for i in labels)
