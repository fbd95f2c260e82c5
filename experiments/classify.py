"""Speaker classification on JapaneseVowels with a bidirectional LSTM.

    python experiments/classify.py --seeds 0 1 2     # README: test accuracy vs 1-NN DTW

A bidirectional LSTM reads each utterance (7-29 frames of 12 cepstral
coefficients) with its true ``lengths``; the mean of its outputs over the valid
frames goes through a linear readout to the 9 speakers. 10% of the training
set (stratified) is held out for model selection (the checkpoint with the
lowest validation loss); the test split is only read for the final score.
The baseline, computed in the same run, is 1-nearest-neighbour under
multivariate DTW on the same standardised inputs, over the whole training
split (published 1-NN DTW: ~0.95-0.96). The test accuracy is reported as the
mean and sample standard deviation over the seeds.
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
from experiments.common import optim
from experiments.common.config import run_config
from experiments.common.dtw import dtw_distances, nearest_neighbour_predict
from experiments.common.japanese_vowels import NUM_CLASSES, load_japanese_vowels
from experiments.common.seeds import run_seeds
from experiments.common.summary import format_mean_std, summarise
from lstmjax import train
from lstmjax.data.sequences import channel_stats, split_validation, standardise, subset
from lstmjax.models.classifier import cross_entropy, sequence_classifier
from lstmjax.models.pooling import POOLS
from lstmjax.train import cli
from lstmjax.train.atomic import write_json


@dataclasses.dataclass(frozen=True)
class Config:
    hidden_size: int = 64
    num_layers: int = 1
    dropout: float = 0.0
    pool: str = "mean"
    learning_rate: float = 3e-3
    batch_size: int = 32
    num_steps: int = 800
    valid_fraction: float = 0.1
    max_grad_norm: float = 1.0
    schedule: str = "constant"
    seeds: tuple = (0,)
    dtw_test_limit: int = 0
    log_every: int = 20
    checkpoint_every: int = 200
    run_root: str = "runs"
    resume: bool = False
    quick: bool = False
    progress: bool = True

    def __post_init__(self):
        positive = ("hidden_size", "num_layers", "batch_size", "num_steps", "log_every")
        if self.dtw_test_limit < 0:
            raise ValueError(f"dtw_test_limit: expected >= 0 (0: all), got {self.dtw_test_limit}")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.pool not in POOLS:
            raise ValueError(f"pool: expected one of {POOLS}, got {self.pool!r}")
        if not 0.0 < self.valid_fraction < 0.5:
            raise ValueError(f"valid_fraction: expected in (0, 0.5), got {self.valid_fraction}")
        if not 0.0 <= self.dropout < 1.0 or self.learning_rate <= 0:
            raise ValueError("dropout in [0, 1) and learning_rate > 0 expected")
        if not self.seeds:
            raise ValueError("seeds: expected at least one seed")
        optim.check_schedule(self.schedule)

    def quick_version(self) -> Config:
        """Seconds, not minutes: the smoke test's settings."""
        return dataclasses.replace(
            self,
            hidden_size=16,
            num_steps=40,
            log_every=10,
            checkpoint_every=40,
            seeds=(0,),
            dtw_test_limit=40,
        )


def build(cfg: Config):
    """The classifier: ``num_layers`` bidirectional LSTMs, pooled, a linear readout."""
    layers = [lj.bidirectional(lj.lstm(cfg.hidden_size)) for _ in range(cfg.num_layers)]
    return sequence_classifier(
        lj.stack(layers, dropout=cfg.dropout), NUM_CLASSES, pool_how=cfg.pool
    )


def accuracy(model, params, data) -> float:
    logits = jax.jit(model.apply)(params, jnp.asarray(data.xs), jnp.asarray(data.lengths))
    return float(np.mean(np.argmax(logits, axis=-1) == data.labels))


def train_one(cfg: Config, seed: int, train_set, valid_set, run_dir):
    """Trains one seed: ``(model, FitResult)``."""
    model = build(cfg)

    def loss_fn(params, batch, key):
        xs, lengths, labels = batch
        logits = model.apply(params, xs, lengths, train=key is not None, dropout_key=key)
        error = jnp.mean(jnp.argmax(logits, axis=-1) != labels)
        return cross_entropy(logits, labels), {"error": error}

    steps_per_epoch = len(train_set.labels) // cfg.batch_size

    def batch_fn(step: int):
        epoch, index = divmod(step, steps_per_epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(train_set.labels))
        take = order[index * cfg.batch_size : (index + 1) * cfg.batch_size]
        return train_set.xs[take], train_set.lengths[take], train_set.labels[take]

    optimizer = optim.make_optimizer(
        cfg.learning_rate,
        max_grad_norm=cfg.max_grad_norm,
        num_steps=cfg.num_steps,
        schedule=cfg.schedule,
    )
    params = model.init(jax.random.key(seed), train_set.xs.shape[-1])
    state = train.create_state(params, optimizer, key=jax.random.key(seed + 10_000))
    eval_step = train.make_eval_step(loss_fn)
    valid_batch = (valid_set.xs, valid_set.lengths, valid_set.labels)
    result = train.fit(
        state,
        train.make_train_step(loss_fn, optimizer),
        batch_fn,
        num_steps=cfg.num_steps,
        run_dir=run_dir,
        config=run_config(cfg, seed=seed),
        log_every=cfg.log_every,
        checkpoint_every=cfg.checkpoint_every,
        eval_fn=lambda p: train.evaluate(eval_step, p, [valid_batch]),
        eval_every=cfg.log_every,
        resume=cfg.resume,
        examples_per_step=cfg.batch_size,
        progress=cfg.progress,
        plot_keys=("loss", "error"),
        ignore=("resume", "progress", "seeds"),
    )
    return model, result


def run(cfg: Config) -> dict:
    """The whole experiment; returns (and writes to ``results.json``) the summary."""
    if cfg.quick:
        cfg = cfg.quick_version()
    full_train, test = load_japanese_vowels()
    out_dir = pathlib.Path(cfg.run_root) / "classify"

    def one_seed(seed: int) -> dict:
        train_set, valid_set = split_validation(full_train, cfg.valid_fraction, seed=seed)
        mean, std = channel_stats(train_set)
        train_set, valid_set, test_set = (
            standardise(d, mean, std) for d in (train_set, valid_set, test)
        )
        model, result = train_one(cfg, seed, train_set, valid_set, out_dir / f"seed{seed}")
        train_losses = [r["loss"] for r in result.records if r["split"] == "train"]
        return {
            "test_accuracy": accuracy(model, result.best_params, test_set),
            "valid_accuracy": accuracy(model, result.best_params, valid_set),
            "best_step": result.best_step,
            "first_loss": train_losses[0],
            "last_loss": train_losses[-1],
        }

    per_seed = run_seeds(cfg.seeds, one_seed)
    start = time.perf_counter()
    mean, std = channel_stats(full_train)
    train_z, test_z = standardise(full_train, mean, std), standardise(test, mean, std)
    if cfg.dtw_test_limit:
        test_z = subset(test_z, np.arange(min(cfg.dtw_test_limit, len(test_z.labels))))
    distances = dtw_distances(test_z.xs, test_z.lengths, train_z.xs, train_z.lengths)
    dtw_acc = float(np.mean(nearest_neighbour_predict(distances, train_z.labels) == test_z.labels))
    summary = {
        "config": dataclasses.asdict(cfg),
        "per_seed": per_seed,
        **summarise(per_seed, ["test_accuracy"]),
        "dtw_1nn_test_accuracy": dtw_acc,
        "dtw_wall_s": time.perf_counter() - start,
        "device": str(jax.devices()[0]),
    }
    write_json(out_dir / "results.json", summary)
    return summary


def parse_config(argv=None) -> Config:
    return cli.parse_config(
        Config,
        argv,
        description=__doc__.split("\n")[0],
    )


def main(argv=None) -> None:
    summary = run(parse_config(argv))
    for r in summary["per_seed"]:
        print(f"seed {r['seed']}: test accuracy {r['test_accuracy']:.4f} ({r['wall_s']:.0f} s)")
    accuracies = [r["test_accuracy"] for r in summary["per_seed"]]
    print(
        f"BiLSTM test accuracy {format_mean_std(accuracies, 4)}; "
        f"1-NN DTW {summary['dtw_1nn_test_accuracy']:.4f}"
    )


if __name__ == "__main__":
    main()
