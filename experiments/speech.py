"""Speech recognition with CTC on speech synthesised by espeak-ng: BiLSTM vs LSTM vs frame MLP.

    nice -n 10 python experiments/speech.py --run_root /work/runs/speech --resume

Data (``experiments.common.espeak_speech``): spoken digit strings (2-4 digits)
and short command words (1-3), synthesised by ``espeak-ng`` with English voices
and variants, random speed and pitch, white noise at a random SNR; validation
and test voices AND variants are disjoint from training (and from each other).
Synthesised once per ``DataSpec`` and cached as ``.npz`` under ``run_root``.

Features (``experiments.common.log_mel``): 40 log-mel bands (HTK mel scale,
0-8 kHz) of 25 ms Hann windows every 10 ms, normalised per band with the
training set's mean and std, then ``stack`` consecutive frames concatenated
(``[B, T, 40] -> [B, T / stack, 40 stack]``, a 20 ms step for ``stack=2``).

Models, each followed by the same CTC head (``lstmjax.ctc.ctc_head``: a linear
layer to 28 classes, blank 0, space, a-z) and trained on the CTC loss of the
transcript's characters:

- ``bilstm``: ``lstmjax`` bidirectional LSTM, ``bilstm_size`` per direction;
- ``lstm``: a unidirectional LSTM of ``lstm_size`` (about the BiLSTM's params);
- ``mlp``: a non-recurrent frame model (``experiments.common.context_mlp``),
  two ReLU layers of ``mlp_size`` over ``mlp_context`` frames either side
  (about the BiLSTM's params).

Training: Adam with global-norm clipping and a cosine schedule, batches of
``batch_size`` utterances by a per-epoch permutation seeded by ``(seed,
epoch)``, every batch padded to one width. Selection on validation only: each
run keeps the checkpoint with the lowest validation greedy CER (every
``eval_every`` steps); the hyper-parameters are fixed in ``Config``.

Metrics (``lstmjax.ctc``): CER and WER of greedy decoding (validation and test)
and of prefix beam search of width ``beam_size`` (test) on the best checkpoint.
Each seed (init and batch order; the data is fixed by ``data_seed``) is merged
into ``results_file`` as it completes, with the mean +- sample std over the
seeds there. With ``--resume`` an interrupted seed continues from its last
checkpoint; a finished seed run again is only re-evaluated, and its entry
replaced (its ``wall_s`` then counts that evaluation alone).
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

# The repository root, so that ``experiments.common`` imports when this runs as a file.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax
import numpy as np

import lstmjax as lj
from experiments.common import espeak_speech as data
from experiments.common import item_scores, optim
from experiments.common.config import log_every_dividing, run_config
from experiments.common.context_mlp import context_mlp
from experiments.common.summary import format_mean_std, summarise
from lstmjax import train
from lstmjax.ctc import (
    cer,
    char_errors,
    ctc_greedy_decode,
    ctc_head,
    ctc_loss,
    ctc_prefix_beam_search,
    wer,
)
from lstmjax.train import cli
from lstmjax.train.atomic import write_json

MODELS = ("bilstm", "lstm", "mlp")
METRIC_KEYS = tuple(
    f"{decoder}_{split}_{metric}"
    for decoder, split in (("greedy", "valid"), ("greedy", "test"), ("beam", "test"))
    for metric in ("cer", "wer")
)
# Config fields that do not change what a seed computes.
PER_RUN_FIELDS = ("seeds", "resume", "progress", "run_root", "results_file", "mesh", "workers")


@dataclasses.dataclass(frozen=True)
class Config:
    sizes: tuple = (2400, 300, 300)
    data_seed: int = 0
    speed: tuple = (120, 200)
    pitch: tuple = (20, 80)
    snr_db: tuple = (10.0, 30.0)
    num_bands: int = 40
    stack: int = 2
    models: tuple = MODELS
    bilstm_size: int = 128
    lstm_size: int = 192
    mlp_size: int = 144
    mlp_context: int = 8
    learning_rate: float = 3e-3
    batch_size: int = 32
    num_steps: int = 500
    eval_every: int = 125
    max_grad_norm: float = 1.0
    schedule: str = "cosine"
    beam_size: int = 8
    eval_batch: int = 100
    workers: int = 2
    seeds: tuple = (0, 1, 2)
    results_file: str = "experiments/results/speech.json"
    run_root: str = "runs"
    mesh: str = ""
    resume: bool = False
    quick: bool = False
    progress: bool = True

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        for name in (
            "num_bands",
            "stack",
            "bilstm_size",
            "lstm_size",
            "mlp_size",
            "batch_size",
            "num_steps",
            "eval_every",
            "beam_size",
            "eval_batch",
            "workers",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.mlp_context < 0:
            raise ValueError(f"mlp_context: expected >= 0, got {self.mlp_context}")
        unknown = [m for m in self.models if m not in MODELS]
        if unknown or not self.models:
            raise ValueError(f"models: expected some of {MODELS}, got {self.models}")
        if not self.seeds:
            raise ValueError("seeds: expected at least one seed")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate: expected > 0, got {self.learning_rate}")
        optim.check_schedule(self.schedule)
        self.data_spec()  # checks sizes, speed, pitch, snr_db

    def data_spec(self) -> data.DataSpec:
        return data.DataSpec(
            sizes=self.sizes,
            speed=self.speed,
            pitch=self.pitch,
            snr_db=self.snr_db,
            seed=self.data_seed,
            num_bands=self.num_bands,
        )

    def quick_version(self) -> Config:
        """Seconds, not minutes: the smoke test's settings (results beside the runs); the
        BiLSTM only (compiling is most of the time; the other models share its training
        and evaluation code)."""
        return dataclasses.replace(
            self,
            sizes=(16, 6, 6),
            models=("bilstm",),
            bilstm_size=8,
            lstm_size=8,
            mlp_size=8,
            mlp_context=1,
            batch_size=8,
            num_steps=4,
            eval_every=2,
            beam_size=2,
            eval_batch=8,
            seeds=(0,),
            results_file=str(pathlib.Path(self.run_root) / "speech" / "results.json"),
        )


class Batches(NamedTuple):
    """A split as padded arrays: ``x [N, T, D]``, ``lengths [N]``, ``labels [N, L]``,
    ``label_lengths [N]`` and the transcripts."""

    x: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray
    label_lengths: np.ndarray
    texts: list


def stack_frames(features: np.ndarray, stack: int) -> np.ndarray:
    """``[M, D]`` -> ``[ceil(M / stack), stack D]``: consecutive frames concatenated
    (the last group zero-padded)."""
    M, D = features.shape
    groups = -(-M // stack)
    padded = np.pad(features, ((0, groups * stack - M), (0, 0)))
    return padded.reshape(groups, stack * D)


def prepare(splits: dict, stack: int) -> dict:
    """``{split: Batches}``: features normalised per band by the training split's
    mean and std, frames stacked, every split padded to one width (a multiple of 16)."""
    train_frames = np.concatenate(splits["train"].features)
    mean, std = train_frames.mean(0), train_frames.std(0) + 1e-5
    stacked = {
        name: [stack_frames((f - mean) / std, stack) for f in split.features]
        for name, split in splits.items()
    }
    width = 16 * -(-max(len(f) for fs in stacked.values() for f in fs) // 16)
    label_width = 8 * -(-max(len(t) for s in splits.values() for t in s.texts) // 8)
    out = {}
    for name, feats in stacked.items():
        x = np.zeros((len(feats), width, feats[0].shape[1]), np.float32)
        for i, f in enumerate(feats):
            x[i, : len(f)] = f
        lengths = np.array([len(f) for f in feats], np.int32)
        labels, label_lengths = data.encode_text(splits[name].texts, label_width)
        out[name] = Batches(x, lengths, labels, label_lengths, list(splits[name].texts))
    return out


class CTCModel(NamedTuple):
    """An encoder and a CTC head: ``init(key, D)``, ``logits(params, x [B, T, D],
    lengths [B]) -> [B, T, K]``."""

    init: Callable
    logits: Callable


class RecurrentEncoder(NamedTuple):
    """An ``lstmjax`` stack over padded sequences: ``apply(params, xs [B, T, D],
    lengths [B]) -> ys [B, T, O]`` (the final carries dropped)."""

    net: lj.Stack

    @property
    def output_size(self) -> int:
        return self.net.output_size

    def init(self, key, input_size: int):
        return self.net.init(key, input_size)

    def apply(self, params, xs, lengths):
        return self.net.apply(params, xs, lengths=lengths)[0]


def encoder(cfg: Config, name: str):
    """The encoder of model ``name``: ``init(key, D)``, ``apply(params, xs, lengths)
    -> [B, T, O]`` and ``output_size``."""
    if name == "mlp":
        return context_mlp(cfg.mlp_context, cfg.mlp_size)
    if name == "bilstm":
        return RecurrentEncoder(lj.stack([lj.bidirectional(lj.lstm(cfg.bilstm_size))]))
    return RecurrentEncoder(lj.stack([lj.lstm(cfg.lstm_size)]))


def build(cfg: Config) -> dict:
    """``{name: CTCModel}`` for ``cfg.models`` (module doc)."""
    head = ctc_head(data.NUM_CLASSES, blank_id=data.BLANK)
    input_size = cfg.num_bands * cfg.stack
    models = {}
    for name in cfg.models:
        enc = encoder(cfg, name)

        def init(key, enc=enc):
            k1, k2 = jax.random.split(key)
            return {"encoder": enc.init(k1, input_size), "head": head.init(k2, enc.output_size)}

        def logits(params, x, lengths, enc=enc):
            return head.apply(params["head"], enc.apply(params["encoder"], x, lengths))

        models[name] = CTCModel(init, logits)
    return models


def count_params(params) -> int:
    """The number of scalars in ``params`` (arrays or shape structs)."""
    return sum(math.prod(np.shape(x)) for x in jax.tree.leaves(params))


def batched(batches: Batches, size: int):
    """``(x, lengths, rows)`` chunks of ``size`` utterances, the last padded to ``size``
    with copies of the first (one compiled shape); ``rows`` the real ones."""
    n = len(batches.lengths)
    for start in range(0, n, size):
        rows = np.arange(start, min(start + size, n))
        take = np.concatenate([rows, np.full(size - len(rows), rows[0])])
        yield batches.x[take], batches.lengths[take], len(rows)


def make_decoder(model: CTCModel) -> Callable:
    """Jitted ``decode(params, x [B, T, D], lengths [B]) -> (labels [B, T], label_lengths
    [B], log_probs [B, T, K])``: the greedy labelling and the log-probabilities a prefix
    beam search reads (one compiled function for both)."""

    def decode(params, x, lengths):
        logits = model.logits(params, x, lengths)
        labels, label_lengths = ctc_greedy_decode(logits, lengths, blank_id=data.BLANK)
        return labels, label_lengths, jax.nn.log_softmax(logits, axis=-1)

    return jax.jit(decode)


def transcribe(decode: Callable, params, batches: Batches, cfg: Config, decoder: str) -> list:
    """Each utterance's decoded text, ``"greedy"`` or by prefix beam search (``"beam"``)."""
    out = []
    for x, lengths, real in batched(batches, cfg.eval_batch):
        labels, label_lengths, log_probs = map(np.asarray, decode(params, x, lengths))
        if decoder == "greedy":
            out += [data.decode_labels(labels[b, : label_lengths[b]]) for b in range(real)]
        else:
            beams = ctc_prefix_beam_search(
                log_probs[:real], lengths[:real], beam_size=cfg.beam_size, blank_id=data.BLANK
            )
            out += [data.decode_labels(best[0][0]) for best in beams]
    return out


def score(refs: list[str], hyps: list[str]) -> dict:
    """``{"cer", "wer"}``; an empty hypothesis counts as all deletions."""
    return {"cer": cer(refs, hyps), "wer": wer(refs, hyps)}


def train_one(cfg: Config, prepared: dict, name: str, seed: int, run_dir):
    """Trains model ``name``; returns ``(params count, decode, FitResult)``, best
    params by validation greedy CER."""
    model = build(cfg)[name]
    decode = make_decoder(model)
    tr = prepared["train"]
    steps_per_epoch = max(1, len(tr.lengths) // cfg.batch_size)

    def loss_fn(params, batch, key):
        del key
        x, lengths, labels, label_lengths = batch
        logits = model.logits(params, x, lengths)
        return ctc_loss(logits, lengths, labels, label_lengths, blank_id=data.BLANK), {}

    def batch_fn(step: int):
        epoch, index = divmod(step, steps_per_epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(tr.lengths))
        take = order[index * cfg.batch_size : (index + 1) * cfg.batch_size]
        return tr.x[take], tr.lengths[take], tr.labels[take], tr.label_lengths[take]

    def eval_fn(params):
        valid = prepared["valid"]
        return score(valid.texts, transcribe(decode, params, valid, cfg, "greedy"))

    optimizer = optim.make_optimizer(
        cfg.learning_rate,
        max_grad_norm=cfg.max_grad_norm,
        num_steps=cfg.num_steps,
        schedule=cfg.schedule,
    )
    params = model.init(jax.random.key(seed))
    state = train.create_state(params, optimizer, key=jax.random.key(seed))
    eval_every = min(cfg.eval_every, cfg.num_steps)
    log_every = log_every_dividing(eval_every)
    mesh = train.parse_mesh(cfg.mesh)
    result = train.fit(
        state,
        train.make_train_step(loss_fn, optimizer, mesh=mesh),
        batch_fn,
        num_steps=cfg.num_steps,
        run_dir=run_dir,
        config=run_config(cfg, seed=seed, model=name),
        log_every=log_every,
        checkpoint_every=eval_every,
        eval_fn=eval_fn,
        eval_every=eval_every,
        select="cer",
        resume=cfg.resume,
        examples_per_step=cfg.batch_size,
        progress=cfg.progress,
        mesh=mesh,
        ignore=(*PER_RUN_FIELDS, "models", "beam_size", "eval_batch"),
    )
    return count_params(params), decode, result


def evaluate_model(cfg: Config, prepared: dict, decode: Callable, result) -> dict:
    """Greedy CER / WER on validation and test, beam on test, of the best checkpoint;
    each test utterance's beam-search character edits (in test order, the same
    for every model: what speech_table's paired test compares) and the test
    reference characters; its step and the first and last training loss."""
    out = {"best_step": result.best_step}
    for decoder, split in (("greedy", "valid"), ("greedy", "test"), ("beam", "test")):
        batches = prepared[split]
        hyps = transcribe(decode, result.best_params, batches, cfg, decoder)
        out |= {f"{decoder}_{split}_{m}": v for m, v in score(batches.texts, hyps).items()}
    edits, lengths = char_errors(batches.texts, hyps)  # the beam search's, on test
    out |= {"beam_test_char_edits": item_scores.pack(edits), "test_ref_chars": int(lengths.sum())}
    train_losses = [r["loss"] for r in result.records if r["split"] == "train"]
    return out | {"first_loss": train_losses[0], "last_loss": train_losses[-1]}


def data_summary(cfg: Config, splits: dict, prepared: dict, synth_s: float) -> dict:
    """Split sizes, frames, voices and variants, and the synthesis time."""
    out = {"synth_s": synth_s, "frames_per_step_ms": 10 * cfg.stack}
    for name, split in splits.items():
        out[name] = {
            "utterances": len(split.texts),
            "mean_seconds": float(np.mean([len(f) for f in split.features]) / 100),
            "voices": list(data.VOICES[name]),
            "variants": list(data.VARIANTS[name]),
        }
    out["padded_steps"] = int(prepared["train"].x.shape[1])
    return out


def merge_seed(results: dict, cfg: Config, data_info: dict, seed: int, rows: dict) -> dict:
    """``results`` (the results file's contents, ``{}`` for none) with seed ``seed``'s
    ``{model: row}`` merged in, and every model's mean +- sample std over the seeds.

    Raises ``ValueError`` naming ``results_file`` if it holds another configuration.
    """
    shared = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in PER_RUN_FIELDS}
    shared = json.loads(json.dumps(shared))  # tuples as lists, as read back
    if results and results.get("config") != shared:
        raise ValueError(
            f"results_file: {cfg.results_file} holds seeds of another configuration; "
            "pass another --results_file"
        )
    seeds = {**results.get("seeds", {}), str(seed): rows}
    models = {}
    for name in cfg.models:
        per_seed = [s[name] for s in seeds.values() if name in s]
        models[name] = {"params": per_seed[0]["params"], **summarise(per_seed, METRIC_KEYS)}
    order = sorted(seeds, key=int)
    return {
        "config": shared,
        "data": data_info,
        "seeds": {k: seeds[k] for k in order},
        "models": models,
        "device": str(jax.devices()[0]),
    }


def run(cfg: Config) -> dict:
    """The whole experiment; merges each seed into ``results_file`` as it completes
    and returns the merged results."""
    if cfg.quick:
        cfg = cfg.quick_version()
    out_dir = pathlib.Path(cfg.run_root) / "speech"
    splits, synth_s = data.load_dataset(cfg.data_spec(), out_dir, cfg.workers)
    prepared = prepare(splits, cfg.stack)
    data_info = data_summary(cfg, splits, prepared, synth_s)
    results_file = pathlib.Path(cfg.results_file)
    for seed in cfg.seeds:
        rows = {}
        for name in cfg.models:
            start = time.perf_counter()
            n, decode, result = train_one(cfg, prepared, name, seed, out_dir / f"seed{seed}" / name)
            rows[name] = {
                "params": n,
                **evaluate_model(cfg, prepared, decode, result),
                "wall_s": time.perf_counter() - start,
            }
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
        write_json(results_file, merge_seed(results, cfg, data_info, seed, rows))
    return json.loads(results_file.read_text())


def parse_config(argv=None) -> Config:
    return cli.parse_config(Config, argv, description=__doc__.split("\n")[0])


def main(argv=None) -> None:
    results = run(parse_config(argv))
    for name, found in results["models"].items():
        rows = [s[name] for s in results["seeds"].values() if name in s]
        cells = ", ".join(
            f"{key} {format_mean_std([r[key] for r in rows], 4)}"
            for key in ("greedy_test_cer", "greedy_test_wer", "beam_test_cer", "beam_test_wer")
        )
        print(f"{name} ({found['params']:,} params): {cells}")


if __name__ == "__main__":
    main()
