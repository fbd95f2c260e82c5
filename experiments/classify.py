"""Time-series classification with a bidirectional LSTM against MiniRocket and 1-NN DTW.

    python experiments/classify.py --seeds 0 1 2 3 4     # README: the classification rows

For each data set (``--datasets``; UEA/UCR sets bundled in aeon, see
``experiments/common/uea.py``) a bidirectional LSTM reads each series with its
true ``lengths``; the mean of its outputs over the valid steps goes through a
linear readout to the classes. Inputs are standardised per channel with the
training part's statistics.

Model selection uses the training split only: a stratified ``valid_fraction``
of it is held out (a fresh split per seed). The hyper-parameters come from a
grid (``grid_hidden`` x ``grid_learning_rate``), each point trained once with
seed ``seeds[0]`` and scored on that seed's validation part (accuracy, ties
broken by validation loss, then the smaller model); the chosen point then
trains every seed, and each run keeps the checkpoint with the lowest
validation loss. The test split is only read for the final scores.

Baselines in the same run, on the same standardised inputs and the whole
training split: MiniRocket (aeon transform, ridge with cross-validated alpha,
``experiments/common/minirocket.py``) and 1-nearest-neighbour under
multivariate DTW (full window). McNemar's test compares each LSTM seed with
each baseline on the shared test items (per seed, not a vote over seeds).
"""

from __future__ import annotations

import dataclasses
import itertools
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
from experiments.common.mcnemar import mcnemar
from experiments.common.minirocket import minirocket_predict
from experiments.common.seeds import run_seeds
from experiments.common.summary import format_mean_std, summarise
from experiments.common.uea import DATASETS, load_dataset
from lstmjax import train
from lstmjax.data.sequences import channel_stats, split_validation, standardise, subset
from lstmjax.models.classifier import cross_entropy, sequence_classifier
from lstmjax.models.pooling import POOLS
from lstmjax.train import cli
from lstmjax.train.atomic import write_json

BASELINES = ("minirocket", "dtw_1nn")


@dataclasses.dataclass(frozen=True)
class Config:
    datasets: tuple = ("JapaneseVowels", "BasicMotions", "GunPoint", "ItalyPowerDemand")
    grid_hidden: tuple = (32,)
    grid_learning_rate: tuple = (3e-3, 1e-2)
    # hidden_size and learning_rate are set per run from the grid in run()
    hidden_size: int = 64
    num_layers: int = 1
    dropout: float = 0.0
    pool: str = "mean"
    learning_rate: float = 3e-3
    batch_size: int = 32
    num_steps: int = 300
    max_epochs: int = 50
    valid_fraction: float = 0.2
    max_grad_norm: float = 1.0
    schedule: str = "constant"
    seeds: tuple = (0,)
    minirocket_kernels: int = 10_000
    test_limit: int = 0
    log_every: int = 20
    checkpoint_every: int = 200
    run_root: str = "runs"
    resume: bool = False
    quick: bool = False
    progress: bool = True
    mesh: str = ""

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        positive = (
            "hidden_size",
            "num_layers",
            "batch_size",
            "num_steps",
            "max_epochs",
            "log_every",
        )
        if self.test_limit < 0:
            raise ValueError(f"test_limit: expected >= 0 (0: all), got {self.test_limit}")
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
        unknown = [name for name in self.datasets if name not in DATASETS]
        if unknown or not self.datasets:
            raise ValueError(f"datasets: expected names from {sorted(DATASETS)}, got {unknown}")
        if not self.grid_hidden or not self.grid_learning_rate:
            raise ValueError("grid_hidden, grid_learning_rate: expected at least one value each")
        optim.check_schedule(self.schedule)

    def quick_version(self) -> Config:
        """Seconds, not minutes: the smoke test's settings."""
        return dataclasses.replace(
            self,
            datasets=("BasicMotions",),
            grid_hidden=(8,),
            grid_learning_rate=(1e-2, 3e-2),
            num_steps=30,
            log_every=10,
            checkpoint_every=30,
            seeds=(0,),
            minirocket_kernels=84,
        )


def build(cfg: Config, num_classes: int):
    """The classifier: ``num_layers`` bidirectional LSTMs, pooled, a linear readout."""
    layers = [lj.bidirectional(lj.lstm(cfg.hidden_size)) for _ in range(cfg.num_layers)]
    return sequence_classifier(
        lj.stack(layers, dropout=cfg.dropout), num_classes, pool_how=cfg.pool
    )


def predict(model, params, data) -> tuple[np.ndarray, float]:
    """``(predicted labels [N], mean cross-entropy)`` of ``model`` on ``data``."""
    logits = jax.jit(model.apply)(params, jnp.asarray(data.xs), jnp.asarray(data.lengths))
    loss = float(cross_entropy(logits, jnp.asarray(data.labels)))
    return np.asarray(jnp.argmax(logits, axis=-1)), loss


def train_one(cfg: Config, num_classes: int, seed: int, train_set, valid_set, run_dir, name):
    """Trains one run: ``(model, FitResult)``.

    It takes ``num_steps`` steps, or ``max_epochs`` passes over ``train_set`` if
    fewer (a small training set would otherwise be seen hundreds of times).
    """
    model = build(cfg, num_classes)

    def loss_fn(params, batch, key):
        xs, lengths, labels = batch
        logits = model.apply(params, xs, lengths, train=key is not None, dropout_key=key)
        error = jnp.mean(jnp.argmax(logits, axis=-1) != labels)
        return cross_entropy(logits, labels), {"error": error}

    batch_size = min(cfg.batch_size, len(train_set.labels))
    steps_per_epoch = len(train_set.labels) // batch_size
    cfg = dataclasses.replace(cfg, num_steps=min(cfg.num_steps, cfg.max_epochs * steps_per_epoch))

    def batch_fn(step: int):
        epoch, index = divmod(step, steps_per_epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(train_set.labels))
        take = order[index * batch_size : (index + 1) * batch_size]
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
    mesh = train.parse_mesh(cfg.mesh)
    result = train.fit(
        state,
        train.make_train_step(loss_fn, optimizer, mesh=mesh),
        batch_fn,
        num_steps=cfg.num_steps,
        run_dir=run_dir,
        config=run_config(cfg, seed=seed, dataset=name),
        log_every=cfg.log_every,
        checkpoint_every=cfg.checkpoint_every,
        eval_fn=lambda p: train.evaluate(eval_step, p, [valid_batch]),
        eval_every=cfg.log_every,
        resume=cfg.resume,
        examples_per_step=batch_size,
        progress=cfg.progress,
        mesh=mesh,
        plot_keys=("loss", "error"),
        ignore=(
            "resume",
            "mesh",
            "progress",
            "seeds",
            "datasets",
            "grid_hidden",
            "grid_learning_rate",
            "max_epochs",
            "test_limit",
            "minirocket_kernels",
        ),
    )
    return model, result


def splits(full_train, test, cfg: Config, seed: int):
    """``(train, valid, test)`` standardised with the training part's statistics."""
    train_set, valid_set = split_validation(full_train, cfg.valid_fraction, seed=seed)
    mean, std = channel_stats(train_set)
    return tuple(standardise(d, mean, std) for d in (train_set, valid_set, test))


def choose(cfg: Config, name: str, full_train, test, num_classes: int, out_dir) -> tuple:
    """The grid on ``seeds[0]``'s validation part: ``(rows, chosen cfg)``."""
    seed = cfg.seeds[0]
    train_set, valid_set, _ = splits(full_train, test, cfg, seed)
    rows = []
    for hidden, rate in itertools.product(cfg.grid_hidden, cfg.grid_learning_rate):
        point = dataclasses.replace(cfg, hidden_size=hidden, learning_rate=rate)
        start = time.perf_counter()
        run_dir = out_dir / "grid" / f"h{hidden}_lr{rate:g}"
        model, result = train_one(point, num_classes, seed, train_set, valid_set, run_dir, name)
        labels, loss = predict(model, result.best_params, valid_set)
        rows.append(
            {
                "hidden_size": hidden,
                "learning_rate": rate,
                "valid_accuracy": float(np.mean(labels == valid_set.labels)),
                "valid_loss": loss,
                "best_step": result.best_step,
                "wall_s": time.perf_counter() - start,
            }
        )
    best = min(rows, key=lambda r: (-r["valid_accuracy"], r["valid_loss"], r["hidden_size"]))
    chosen = dataclasses.replace(
        cfg, hidden_size=best["hidden_size"], learning_rate=best["learning_rate"]
    )
    return rows, chosen


def baselines(full_train, test) -> dict:
    """MiniRocket and 1-NN DTW on the whole training split: test predictions and walls."""
    mean, std = channel_stats(full_train)
    train_z, test_z = standardise(full_train, mean, std), standardise(test, mean, std)
    out = {}
    start = time.perf_counter()
    labels, alpha = minirocket_predict(train_z.xs, train_z.labels, test_z.xs)
    out["minirocket"] = {"predictions": labels, "alpha": alpha}
    out["minirocket"]["wall_s"] = time.perf_counter() - start
    start = time.perf_counter()
    distances = dtw_distances(test_z.xs, test_z.lengths, train_z.xs, train_z.lengths)
    out["dtw_1nn"] = {
        "predictions": nearest_neighbour_predict(distances, train_z.labels),
        "wall_s": time.perf_counter() - start,
    }
    return out


def run_dataset(cfg: Config, name: str, out_dir) -> dict:
    """Grid, seeds, baselines and McNemar tests on one data set."""
    start = time.perf_counter()
    full_train, test, classes = load_dataset(name)
    if cfg.test_limit:
        test = subset(test, np.arange(min(cfg.test_limit, len(test.labels))))
    grid, chosen = choose(cfg, name, full_train, test, len(classes), out_dir)
    lstm_predictions = {}

    def one_seed(seed: int) -> dict:
        train_set, valid_set, test_set = splits(full_train, test, chosen, seed)
        run_dir = out_dir / f"seed{seed}"
        model, result = train_one(chosen, len(classes), seed, train_set, valid_set, run_dir, name)
        lstm_predictions[seed], _ = predict(model, result.best_params, test_set)
        valid_labels, _ = predict(model, result.best_params, valid_set)
        train_losses = [r["loss"] for r in result.records if r["split"] == "train"]
        return {
            "test_accuracy": float(np.mean(lstm_predictions[seed] == test.labels)),
            "valid_accuracy": float(np.mean(valid_labels == valid_set.labels)),
            "best_step": result.best_step,
            "first_loss": train_losses[0],
            "last_loss": train_losses[-1],
        }

    per_seed = run_seeds(cfg.seeds, one_seed)
    other = baselines(full_train, test)
    summary = {
        "kind": DATASETS[name][1],
        "num_train": len(full_train.labels),
        "num_test": len(test.labels),
        "num_classes": len(classes),
        "num_channels": int(full_train.xs.shape[-1]),
        "max_length": int(full_train.xs.shape[1]),
        "grid": grid,
        "chosen": {"hidden_size": chosen.hidden_size, "learning_rate": chosen.learning_rate},
        "per_seed": per_seed,
        **summarise(per_seed, ["test_accuracy"], ci=True),
        "mcnemar": {},
    }
    for baseline, result in other.items():
        correct = result.pop("predictions") == test.labels
        summary[baseline] = {"test_accuracy": float(np.mean(correct)), **result}
        summary["mcnemar"][baseline] = [
            {"seed": seed, **mcnemar(lstm_predictions[seed] == test.labels, correct)._asdict()}
            for seed in cfg.seeds
        ]
    summary["wall_s"] = time.perf_counter() - start
    return summary


def run(cfg: Config) -> dict:
    """The whole experiment; returns (and writes to ``results.json``) the summary.

    Each data set's summary is also written to ``<dataset>.json`` as it lands.
    """
    if cfg.quick:
        cfg = cfg.quick_version()
    start = time.perf_counter()
    out_dir = pathlib.Path(cfg.run_root) / "classify"
    datasets = {}
    for name in cfg.datasets:
        datasets[name] = run_dataset(cfg, name, out_dir / name)
        write_json(out_dir / f"{name}.json", datasets[name])
    summary = {
        "config": dataclasses.asdict(cfg),
        "datasets": datasets,
        "wall_s": time.perf_counter() - start,
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
    for name, result in summary["datasets"].items():
        accuracies = [r["test_accuracy"] for r in result["per_seed"]]
        pvalues = ", ".join(f"{m['pvalue']:.2g}" for m in result["mcnemar"]["minirocket"])
        print(
            f"{name}: BiLSTM {format_mean_std(accuracies, 4)} "
            f"(hidden {result['chosen']['hidden_size']}, "
            f"lr {result['chosen']['learning_rate']:g}); "
            f"MiniRocket {result['minirocket']['test_accuracy']:.4f}; "
            f"1-NN DTW {result['dtw_1nn']['test_accuracy']:.4f}; "
            f"McNemar vs MiniRocket p per seed: {pvalues}"
        )


if __name__ == "__main__":
    main()
