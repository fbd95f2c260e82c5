"""A character-level stacked-LSTM language model on the King James Bible.

    python experiments/char_lm.py --num_steps 6000 --schedule cosine --learning_rate 3e-3 --seed N

The text is Debian's ``bible-kjv`` (``bible -p /usr/lib 'Gen1:1-Rev22:21'``),
falling back to Debian's ``fortunes`` (``--source``, or ``--text_file`` for
any UTF-8 file). It splits into contiguous blocks: the first 90% trains, the
next 5% validates (checkpoint and every baseline's setting), the last 5%
tests; the vocabulary is the training block's characters plus an unknown
symbol. Training is truncated BPTT over one long stream laid out as
``batch_size`` rows: the carry passes from each window of ``seq_len``
characters to the next and is reset at every epoch's first window.

The test text is scored per character as one stream after the validation
block, statically and with dynamic evaluation (``make_char_costs``), next to
same-data baselines (``experiments.common.text_baselines``: Kneser-Ney and
Witten-Bell n-grams, PPMd, xz and bzip2 by the prefix trick), per block of
2000 characters for the paired bootstrap. One seed (``--seed``) per run: a
run is long; finished seeds of one configuration collect in
``--results_file`` (``experiments/results/char_lm.json``), from which
``experiments.common.char_lm_table`` writes the experiments page's lines.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import sys
import time
from typing import NamedTuple

# The repository root, so that ``experiments.common`` imports when this runs as a file.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lstmjax as lj
from experiments.common import optim
from experiments.common.config import run_config
from experiments.common.seeds import run_seeds
from experiments.common.text import SOURCES, CharVocab, build_vocab, load_text, split_contiguous
from experiments.common.text_baselines import block_sums, same_data_baselines
from lstmjax import train
from lstmjax.data.streams import num_windows, stream_rows, tbptt_windows
from lstmjax.models.language_model import (
    LanguageModel,
    language_model,
    next_token_loss,
    sample,
)
from lstmjax.models.stateful_step import (
    StreamBatch,
    create_stateful_state,
    make_stateful_train_step,
)
from lstmjax.train import cli
from lstmjax.train.atomic import write_json


@dataclasses.dataclass(frozen=True)
class Config:
    source: str = "auto"
    text_file: str = ""
    hidden_size: int = 256
    num_layers: int = 2
    embed_size: int = 32
    dropout: float = 0.0
    batch_size: int = 32
    seq_len: int = 100
    learning_rate: float = 2e-3
    max_grad_norm: float = 1.0
    schedule: str = "constant"
    num_steps: int = 2000
    valid_fraction: float = 0.05
    test_fraction: float = 0.05
    valid_chars: int = 50_000
    eval_rows: int = 16
    warmup_chars: int = 10_000
    prompt: str = "And God said"
    sample_chars: int = 300
    temperature: float = 0.7
    seed: int = 0
    log_every: int = 50
    checkpoint_every: int = 250
    run_root: str = "runs"
    resume: bool = False
    stop_after: int = 0
    results_file: str = "experiments/results/char_lm.json"
    quick: bool = False
    progress: bool = True
    mesh: str = ""

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        if self.source not in SOURCES:
            raise ValueError(f"source: expected one of {SOURCES}, got {self.source!r}")
        sizes = ("hidden_size", "num_layers", "embed_size", "batch_size", "seq_len", "num_steps")
        counts = ("valid_chars", "eval_rows", "warmup_chars", "log_every", "checkpoint_every")
        for name in sizes + counts:
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.temperature <= 0 or self.learning_rate <= 0 or not 0 <= self.dropout < 1:
            raise ValueError("temperature > 0, learning_rate > 0 and dropout in [0, 1) expected")
        if self.stop_after < 0:
            raise ValueError(f"stop_after: expected >= 0 (0: never), got {self.stop_after}")
        optim.check_schedule(self.schedule)

    def quick_version(self) -> Config:
        return dataclasses.replace(
            self,
            hidden_size=32,
            num_layers=2,
            embed_size=8,
            batch_size=8,
            seq_len=32,
            num_steps=40,
            valid_chars=2000,
            sample_chars=40,
            log_every=10,
            checkpoint_every=20,
            warmup_chars=200,
            results_file=str(pathlib.Path(self.run_root) / "char_lm" / "results.json"),
        )


def read_text(cfg: Config) -> tuple[str, str]:
    if cfg.text_file:
        return pathlib.Path(cfg.text_file).name, pathlib.Path(cfg.text_file).read_text("utf-8")
    return load_text(cfg.source)


class Splits(NamedTuple):
    """The text's contiguous ``train``, ``valid`` and ``test`` blocks."""

    train: str
    valid: str
    test: str


class Built(NamedTuple):
    """What ``build`` makes: the text's name, its blocks, the vocabulary of the
    training block (plus an unknown symbol), the model."""

    name: str
    splits: Splits
    vocab: CharVocab
    model: LanguageModel


def build(cfg: Config) -> Built:
    """The language model over stacked LSTMs, and the text's blocks; the
    vocabulary comes from the training block alone."""
    name, text = read_text(cfg)
    splits = Splits(*split_contiguous(text, cfg.valid_fraction, cfg.test_fraction))
    vocab = build_vocab(splits.train, unknown=True)
    if not cfg.prompt or set(cfg.prompt) - set(vocab.chars[:-1]):
        raise ValueError(f"prompt: expected a non-empty string of {name}'s training characters")
    encoder = lj.stack(
        [lj.lstm(cfg.hidden_size) for _ in range(cfg.num_layers)], dropout=cfg.dropout
    )
    return Built(
        name, splits, vocab, language_model(vocab.size, encoder, embed_size=cfg.embed_size)
    )


def make_eval(model, rows: int, seq_len: int):
    """``(params, ids) -> bits per char`` over ``ids`` as ``rows`` stateful streams."""

    @jax.jit
    def window_nll(params, carry, inputs, targets):
        logits, carry = model.apply(params, inputs, carry)
        nll = optax.softmax_cross_entropy_with_integer_labels(logits, targets).sum()
        return nll, carry

    def bpc(params, ids) -> float:
        """Every character of each row after its first is a target, the last
        partial window included."""
        stream = stream_rows(ids, rows)
        carry, total, count = model.initial_carry(rows), 0.0, 0
        length = min(seq_len, stream.shape[1] - 1)
        for inputs, targets in tbptt_windows(stream, length):
            nll, carry = window_nll(params, carry, inputs, targets)
            total, count = total + float(nll), count + targets.size
        done = num_windows(stream, length) * length
        if done < stream.shape[1] - 1:
            nll, _ = window_nll(params, carry, stream[:, done:-1], stream[:, done + 1 :])
            total, count = total + float(nll), count + stream[:, done + 1 :].size
        return total / count / math.log(2)

    return bpc


def make_char_costs(model, seq_len: int):
    """``(params, context [C], ids [N], *, adapt_lr=0, decay=0) -> [N]`` bits of
    each character of ``ids``, read as one stream after ``context`` (C >= 1),
    windows of ``seq_len``.

    The carry starts at zero at ``context``'s first character and runs on
    through ``ids``, so every character of ``ids`` is scored with what came
    before it, as the n-gram and compressor baselines score it.

    With ``adapt_lr > 0`` this is dynamic evaluation (Mikolov et al. 2010;
    Krause et al. 2018, their SGD form): after scoring each window ``w`` the
    params take one step on that window's bits, pulled back towards the
    trained params ``theta_0``::

        theta <- theta - adapt_lr * grad_theta sum_{t in w} bits_t + decay * (theta_0 - theta)

    A character is still scored before the model has seen it (the way PPMd
    adapts while it codes); ``theta`` restarts at ``theta_0`` on every call.
    """

    def window_loss(params, carry, inputs, targets):
        logits, carry = model.apply(params, inputs[None], carry)
        bits = optax.softmax_cross_entropy_with_integer_labels(logits[0], targets) / math.log(2)
        return bits.sum(), (bits, carry)

    @jax.jit
    def static_window(params, params0, carry, inputs, targets):
        _, (bits, carry) = window_loss(params, carry, inputs, targets)
        return bits, carry, params

    @jax.jit
    def adapting_window(params, params0, carry, inputs, targets, adapt_lr, decay):
        grad_fn = jax.value_and_grad(window_loss, has_aux=True)
        (_, (bits, carry)), grads = grad_fn(params, carry, inputs, targets)
        params = jax.tree.map(
            lambda p, g, p0: p - adapt_lr * g + decay * (p0 - p), params, grads, params0
        )
        return bits, carry, params

    def costs(params, context, ids, *, adapt_lr: float = 0.0, decay: float = 0.0):
        if len(context) < 1 or len(ids) < 1:
            raise ValueError("context, ids: expected non-empty id arrays")
        if adapt_lr < 0 or not 0 <= decay < 1:
            raise ValueError(f"adapt_lr, decay: expected >= 0 and [0, 1), got {adapt_lr}, {decay}")
        stream = np.r_[context, ids].astype(np.int32)
        carry, bits, current = model.initial_carry(1), [], params
        for start in range(0, len(stream) - 1, seq_len):
            stop = min(start + seq_len, len(stream) - 1)
            inputs, targets = stream[start:stop], stream[start + 1 : stop + 1]
            if adapt_lr > 0:
                rates = (np.float32(adapt_lr), np.float32(decay))
                out, carry, current = adapting_window(
                    current, params, carry, inputs, targets, *rates
                )
            else:
                out, carry, current = static_window(current, params, carry, inputs, targets)
            bits.append(np.asarray(out))
        return np.concatenate(bits)[-len(ids) :]

    return costs


# Dynamic evaluation's grid, chosen on validation (adapt_lr 0: static scoring).
ADAPT_LRS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3)
ADAPT_DECAYS = (0.0, 1e-2)


def dynamic_scores(cfg: Config, model, params, train_ids, valid_ids, test_ids) -> dict:
    """Dynamic evaluation with ``(adapt_lr, decay)`` from the grid with the fewest
    bits on the first ``valid_chars`` validation characters; that setting's test
    bits, per block."""
    context, costs = train_ids[-cfg.warmup_chars :], make_char_costs(model, cfg.seq_len)
    grid = []
    for lr in ADAPT_LRS:
        for decay in ADAPT_DECAYS if lr >= 1e-3 else (0.0,):
            bits = costs(params, context, valid_ids[: cfg.valid_chars], adapt_lr=lr, decay=decay)
            grid.append({"adapt_lr": lr, "decay": decay, "valid_bpc": float(bits.mean())})
    best = min(grid, key=lambda g: g["valid_bpc"])
    rates = {k: best[k] for k in ("adapt_lr", "decay")}
    test_bits = costs(params, valid_ids[-cfg.warmup_chars :], test_ids, **rates)
    return {
        **rates,
        "grid": grid,
        "test_bpc": float(test_bits.mean()),
        "test_block_bits": block_sums(test_bits).tolist(),
    }


def train_seed(cfg: Config, built: Built, seed: int, run_dir: pathlib.Path) -> dict:
    """Trains (or resumes) one seed; scores the test text when the run is complete."""
    name, (train_text, valid_text, test_text), vocab, model = built
    train_ids, valid_ids, test_ids = (vocab.encode(t) for t in (train_text, valid_text, test_text))
    rows = stream_rows(train_ids, cfg.batch_size)
    windows_per_epoch = num_windows(rows, cfg.seq_len)
    if windows_per_epoch < 1:
        raise ValueError(f"seq_len: the training rows ({rows.shape[1]} chars) hold no window")

    def loss_fn(params, batch, carry, key):
        logits, carry = model.apply(
            params, batch.inputs, carry, train=cfg.dropout > 0, dropout_key=key
        )
        loss = next_token_loss(logits, batch.targets)
        return loss, ({"bpc": loss / math.log(2)}, carry)

    def batch_fn(step: int) -> StreamBatch:
        k = step % windows_per_epoch
        start = k * cfg.seq_len
        inputs = rows[:, start : start + cfg.seq_len]
        targets = rows[:, start + 1 : start + cfg.seq_len + 1]
        return StreamBatch(inputs, targets, np.bool_(k == 0))

    bpc = make_eval(model, cfg.eval_rows, 4 * cfg.seq_len)
    valid_subset = valid_ids[: cfg.valid_chars]
    optimizer = optim.make_optimizer(
        cfg.learning_rate,
        max_grad_norm=cfg.max_grad_norm,
        num_steps=cfg.num_steps,
        schedule=cfg.schedule,
    )
    zero_carry = model.initial_carry(cfg.batch_size)
    state = create_stateful_state(
        model.init(jax.random.key(seed)),
        optimizer,
        key=jax.random.key(seed),
        carry=zero_carry,
    )
    start = time.perf_counter()
    mesh = train.parse_mesh(cfg.mesh)
    result = train.fit(
        state,
        make_stateful_train_step(loss_fn, optimizer, zero_carry, mesh=mesh),
        batch_fn,
        num_steps=cfg.num_steps,
        run_dir=run_dir,
        config=run_config(cfg),
        log_every=cfg.log_every,
        checkpoint_every=cfg.checkpoint_every,
        eval_fn=lambda p: {"bpc": bpc(p, valid_subset)},
        select="bpc",
        resume=cfg.resume,
        stop_after=cfg.stop_after or None,
        examples_per_step=cfg.batch_size * cfg.seq_len,
        progress=cfg.progress,
        mesh=mesh,
        plot_keys=("loss", "bpc"),
        ignore=("resume", "mesh", "stop_after", "progress", "results_file"),
    )
    train_records = [r for r in result.records if r["split"] == "train"]
    train_bpcs = [r["bpc"] for r in train_records]
    summary = {
        "text": name,
        "chars": {"train": len(train_text), "valid": len(valid_text), "test": len(test_text)},
        "vocab_size": vocab.size,
        "steps_done": int(result.state.step),
        "best_step": result.best_step,
        "first_train_bpc": train_bpcs[0],
        "last_train_bpc": train_bpcs[-1],
        "train_wall_s": train_records[-1]["wall_time"],  # over every session of the run
        "this_process_s": time.perf_counter() - start,
        "device": str(jax.devices()[0]),
    }
    if int(result.state.step) == cfg.num_steps:
        costs = make_char_costs(model, 4 * cfg.seq_len)
        valid_bits = costs(result.best_params, train_ids[-cfg.warmup_chars :], valid_ids)
        test_bits = costs(result.best_params, valid_ids[-cfg.warmup_chars :], test_ids)
        summary["valid_bpc"] = float(valid_bits.mean())
        summary["test_bpc"] = float(test_bits.mean())
        summary["test_block_bits"] = block_sums(test_bits).tolist()
        summary["dynamic"] = dynamic_scores(
            cfg, model, result.best_params, train_ids, valid_ids, test_ids
        )
        summary["unknown_chars"] = {
            "valid": vocab.count_unknown(valid_text),
            "test": vocab.count_unknown(test_text),
        }
        tokens = sample(
            model,
            result.best_params,
            jnp.asarray(vocab.encode(cfg.prompt)),
            cfg.sample_chars,
            temperature=cfg.temperature,
            key=jax.random.key(seed + 1),
        )
        summary["sample"] = cfg.prompt + vocab.decode(np.asarray(tokens))
    return summary


# Config fields that do not change what a seed computes: seeds that differ only
# in these share one results file.
PER_RUN_FIELDS = ("seed", "resume", "stop_after", "progress", "run_root", "results_file", "mesh")


def merge_seed(results: dict, cfg: Config, built: Built, row: dict) -> dict:
    """``results`` (the results file's contents, ``{}`` for none) with ``row`` as
    seed ``cfg.seed``'s entry; the same-data baselines computed once per split.

    Raises ``ValueError`` naming ``results_file`` if the file holds seeds of
    another configuration or text.
    """
    shared = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in PER_RUN_FIELDS}
    split = {"text": built.name, "chars": {k: len(v) for k, v in built.splits._asdict().items()}}
    if results and (results.get("config") != shared or results.get("split") != split):
        raise ValueError(
            f"results_file: {cfg.results_file} holds seeds of another configuration or text; "
            "pass another --results_file"
        )
    merged = dict(results) or {"config": shared, "split": split, "seeds": {}}
    if "baselines" not in merged:
        merged["baselines"] = same_data_baselines(*built.splits, built.vocab)
    merged["seeds"] = {**merged["seeds"], str(cfg.seed): row}
    return merged


def run(cfg: Config) -> dict:
    """Trains ``cfg.seed`` (or resumes it); writes the run's ``results.json`` and,
    once the seed is complete, its entry in ``cfg.results_file``. Returns the
    seed's summary, with the results file's baselines once complete."""
    if cfg.quick:
        cfg = cfg.quick_version()
    built = build(cfg)
    run_dir = pathlib.Path(cfg.run_root) / "char_lm" / f"{built.name}-seed{cfg.seed}"
    (row,) = run_seeds([cfg.seed], lambda seed: train_seed(cfg, built, seed, run_dir))
    summary = {"config": dataclasses.asdict(cfg), **row}
    write_json(run_dir / "results.json", summary)
    if "test_bpc" not in row:
        return summary
    results_file = pathlib.Path(cfg.results_file)
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    merged = merge_seed(results, cfg, built, row)
    write_json(results_file, merged)
    return {**summary, "baselines": merged["baselines"]}


def parse_config(argv=None) -> Config:
    return cli.parse_config(
        Config,
        argv,
        description=__doc__.split("\n")[0],
    )


def main(argv=None) -> None:
    s = run(parse_config(argv))
    if "test_bpc" not in s:
        print(f"stopped at step {s['steps_done']}; finish with --resume")
        return
    baselines = ", ".join(f"{c} {v['test_bpc']:.3f}" for c, v in s["baselines"].items())
    print(
        f"{s['text']} seed {s['config']['seed']}: test bits/char {s['test_bpc']:.3f} "
        f"(best step {s['best_step']}); same-data baselines: {baselines}; "
        f"all seeds: {s['config']['results_file']}"
    )
    print(f"sample (T={s['config']['temperature']}):\n{s['sample']}")


if __name__ == "__main__":
    main()
