"""Anomaly detection on KDD-TSAD 135 from an LSTM's forecasting error.

    python experiments/anomaly.py --seeds 0 1 2     # README: F1 / ROC-AUC vs rolling z-score

The series' first 1200 steps are anomaly-free: the first ``train_steps`` of
them train an LSTM to predict the next value at every step of a window of
``context`` values (standardised with the training stretch's mean and std);
the rest of the normal prefix validates (checkpoint choice by validation
loss) and sets the threshold. Each later step ``t`` scores
``|y_t - y_hat_t|``, the error of the prediction from the ``context`` values
before it. Steps scoring above the largest score seen on the validation
stretch are flagged. The rolling z-score detector (window ``context``) gets
the same threshold rule. Point-wise precision, recall, F1 and ROC-AUC are
computed on the steps after the normal prefix; the LSTM's are reported as
the mean and sample standard deviation over the seeds.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys

# The repository root, so that ``experiments.common`` imports when this runs as a file.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import numpy as np

import lstmjax as lj
from experiments.common import optim, window_scaling
from experiments.common.anomaly_series import load_kdd_tsad_135
from experiments.common.config import run_config
from experiments.common.detection_metrics import precision_recall_f1, roc_auc
from experiments.common.rolling_zscore import rolling_zscore
from experiments.common.seeds import run_seeds
from experiments.common.series import windows
from experiments.common.summary import format_mean_std, summarise
from lstmjax import train
from lstmjax.models.forecaster import recursive_forecaster
from lstmjax.train import cli
from lstmjax.train.atomic import write_json


@dataclasses.dataclass(frozen=True)
class Config:
    context: int = 64
    train_steps: int = 1000
    hidden_size: int = 32
    learning_rate: float = 3e-3
    batch_size: int = 64
    num_steps: int = 600
    max_grad_norm: float = 1.0
    schedule: str = "constant"
    seeds: tuple = (0,)
    log_every: int = 50
    checkpoint_every: int = 200
    run_root: str = "runs"
    resume: bool = False
    quick: bool = False
    progress: bool = True

    def __post_init__(self):
        sizes = ("context", "train_steps", "hidden_size", "batch_size", "num_steps", "log_every")
        for name in sizes + ("checkpoint_every",):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.context < 2:
            raise ValueError(f"context: expected >= 2, got {self.context}")
        if self.learning_rate <= 0 or not self.seeds:
            raise ValueError("learning_rate > 0 and at least one seed expected")
        optim.check_schedule(self.schedule)

    def quick_version(self) -> Config:
        return dataclasses.replace(
            self, hidden_size=8, num_steps=40, log_every=10, checkpoint_every=40, seeds=(0,)
        )


def check_fits(cfg: Config, train_end: int) -> None:
    """Training and validation stretches must each hold a window, inside the normal prefix."""
    if cfg.train_steps + cfg.context + 2 > train_end or cfg.train_steps <= cfg.context + 1:
        raise ValueError(
            f"train_steps, context: the normal prefix has {train_end} steps; need "
            f"context + 1 < train_steps <= {train_end} - context - 2, got "
            f"train_steps={cfg.train_steps}, context={cfg.context}"
        )


def next_value_scores(predict, params, scaled: np.ndarray, context: int) -> np.ndarray:
    """``|y_t - y_hat_t|`` for ``t >= context`` (0 before), from the ``context`` values before t."""
    inputs, targets = windows(scaled, context, 1)
    preds = np.concatenate(
        [np.asarray(predict(params, inputs[i : i + 2048])) for i in range(0, len(inputs), 2048)]
    )
    scores = np.zeros(len(scaled))
    scores[context:] = np.abs(preds - targets[:, 0])
    return scores


def detect(labels, scores, valid_scores) -> dict:
    threshold = float(np.max(valid_scores))
    precision, recall, f1 = precision_recall_f1(labels, scores > threshold)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc(labels, scores),
        "threshold": threshold,
    }


def build(cfg: Config):
    """The next-value predictor: one LSTM layer and a per-step linear readout."""
    return recursive_forecaster(lj.stack([lj.lstm(cfg.hidden_size)]), horizon=1)


def train_seed(cfg: Config, seed: int, scaled: np.ndarray, run_dir):
    train_part = scaled[: cfg.train_steps]
    valid_part = scaled[cfg.train_steps - cfg.context : 1200]
    w, _ = windows(train_part, cfg.context + 1, 1)
    x, y = w[:, :-1].astype(np.float32), w[:, 1:].astype(np.float32)
    vw, _ = windows(valid_part, cfg.context + 1, 1)
    vx, vy = vw[:, :-1].astype(np.float32), vw[:, 1:].astype(np.float32)
    model = build(cfg)

    def loss_fn(params, batch, key):
        inputs, targets = batch
        return jnp.mean((model.apply(params, inputs) - targets) ** 2), {}

    def batch_fn(step: int):
        take = np.random.default_rng([seed, step]).integers(0, len(x), cfg.batch_size)
        return x[take], y[take]

    optimizer = optim.make_optimizer(
        cfg.learning_rate,
        max_grad_norm=cfg.max_grad_norm,
        num_steps=cfg.num_steps,
        schedule=cfg.schedule,
    )
    state = train.create_state(
        model.init(jax.random.key(seed)), optimizer, key=jax.random.key(seed)
    )
    eval_step = train.make_eval_step(loss_fn)
    result = train.fit(
        state,
        train.make_train_step(loss_fn, optimizer),
        batch_fn,
        num_steps=cfg.num_steps,
        run_dir=run_dir,
        config=run_config(cfg, seed=seed),
        log_every=cfg.log_every,
        checkpoint_every=cfg.checkpoint_every,
        eval_fn=lambda p: train.evaluate(eval_step, p, [(vx, vy)]),
        eval_every=cfg.log_every,
        resume=cfg.resume,
        examples_per_step=cfg.batch_size,
        progress=cfg.progress,
        ignore=("resume", "progress", "seeds"),
    )
    return jax.jit(lambda p, inputs: model.apply(p, inputs)[:, -1]), result


def plot(path, data, scores: dict, flagged: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.arange(len(data.values))
    fig, axes = plt.subplots(len(scores) + 1, 1, figsize=(11, 7), sharex=True)
    axes[0].plot(steps, data.values, color="black", linewidth=0.6)
    axes[0].scatter(
        steps[data.labels == 1],
        data.values[data.labels == 1],
        color="red",
        s=8,
        label="true anomaly",
        zorder=3,
    )
    axes[0].axvline(data.train_end, color="gray", linestyle=":", label="end of normal prefix")
    axes[0].legend(loc="upper right")
    axes[0].set_title(f"{data.name}: series, true anomaly, detections")
    for ax, (name, s) in zip(axes[1:], scores.items()):
        ax.plot(steps, s, linewidth=0.6, label=f"{name} score")
        hit = flagged[name]
        ax.scatter(steps[hit], s[hit], color="orange", s=8, label="detected", zorder=3)
        ax.axvspan(*np.flatnonzero(data.labels)[[0, -1]], color="red", alpha=0.2)
        ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(cfg: Config) -> dict:
    if cfg.quick:
        cfg = cfg.quick_version()
    data = load_kdd_tsad_135()
    check_fits(cfg, data.train_end)
    scaler = window_scaling.fit_scaler(data.values[: cfg.train_steps], log=False, anchored=False)
    scaled = (data.values - scaler.center) / scaler.scale
    test = slice(data.train_end, None)
    valid = slice(cfg.train_steps, data.train_end)
    labels = data.labels[test]
    out_dir = pathlib.Path(cfg.run_root) / "anomaly"
    lstm_scores = []

    def one_seed(seed: int) -> dict:
        predict, result = train_seed(cfg, seed, scaled, out_dir / f"seed{seed}")
        scores = next_value_scores(predict, result.best_params, scaled, cfg.context)
        lstm_scores.append(scores)
        losses = [r["loss"] for r in result.records if r["split"] == "train"]
        return {
            **detect(labels, scores[test], scores[valid]),
            "best_step": result.best_step,
            "first_loss": losses[0],
            "last_loss": losses[-1],
        }

    per_seed = run_seeds(cfg.seeds, one_seed)
    z = rolling_zscore(data.values, cfg.context)
    baseline = detect(labels, z[test], z[valid])
    summary = {
        "config": dataclasses.asdict(cfg),
        "per_seed": per_seed,
        **summarise(per_seed, ["precision", "recall", "f1", "roc_auc"], prefix="lstm_"),
        "rolling_zscore": baseline,
        "device": str(jax.devices()[0]),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    first, name = lstm_scores[0], f"LSTM error (seed {cfg.seeds[0]})"
    scores = {name: first, "rolling z-score": z}
    after = np.arange(len(z)) >= data.train_end
    flagged = {
        name: after & (first > per_seed[0]["threshold"]),
        "rolling z-score": after & (z > baseline["threshold"]),
    }
    plot(out_dir / "detections.png", data, scores, flagged)
    write_json(out_dir / "results.json", summary)
    return summary


def parse_config(argv=None) -> Config:
    return cli.parse_config(
        Config,
        argv,
        description=__doc__.split("\n")[0],
    )


def main(argv=None) -> None:
    s = run(parse_config(argv))
    per_seed = {k: [r[k] for r in s["per_seed"]] for k in ("f1", "roc_auc")}
    print(
        f"LSTM error: F1 {format_mean_std(per_seed['f1'])}, precision "
        f"{s['lstm_precision_mean']:.3f}, recall {s['lstm_recall_mean']:.3f}, ROC-AUC "
        f"{format_mean_std(per_seed['roc_auc'])}"
    )
    b = s["rolling_zscore"]
    print(
        f"rolling z-score: F1 {b['f1']:.3f}, precision {b['precision']:.3f}, recall "
        f"{b['recall']:.3f}, ROC-AUC {b['roc_auc']:.3f}"
    )


if __name__ == "__main__":
    main()
