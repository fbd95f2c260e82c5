"""Anomaly detection from an LSTM's forecasting error, against five trivial detectors.

    python experiments/anomaly.py --seeds 0 1 2 3 4     # README: F1, ROC-AUC, UCR score

Three groups of series, reported separately (``anomaly_series``):

- ``real``: KDD-TSAD 135, real data with its real label (one 12-step event);
- ``synthetic``: ecg-diff-count-3, a generated ECG with three labelled events;
- ``injected``: two channels of a real walking recording (Daphnet), each
  with ``per_kind`` copies per kind of ONE injected event (spike, level
  shift, noise burst, frequency change; ``injected_anomalies``).

For every series the normal prefix ``values[:train_end]`` is split: its
first ``train_steps = train_end - round(valid_fraction * train_end)`` steps
train, the rest validates. An LSTM learns to predict the next value at every
step of a window of ``context`` values (standardised with the training
part's mean and std; checkpoint by validation loss), once per base series
and seed; each step ``t`` then scores ``|y_t - y_hat_t|``. The detectors
compared in the same run, each on the raw values:

- ``rolling_zscore``: ``|y_t - mean| / std`` over the ``context`` steps before t;
- ``abs_diff1``, ``abs_diff2``: ``|y_t - y_(t-1)|``, ``|y_t - 2 y_(t-1) + y_(t-2)|``;
- ``matrix_profile``: distance of the subsequence centred on t to its nearest
  subsequence of the training part (stumpy), window ``m`` = the training
  part's dominant period;
- ``isolation_forest``: scikit-learn's forest fitted on the training part's
  windows of ``m`` values, scoring the window ending at t.

One threshold rule for all: a step of the test stretch ``values[test_start:]``
is flagged when its score exceeds the largest score on the validation
stretch. Point-wise precision, recall, F1 and ROC-AUC are computed on the
test stretch, with the UCR score (``ucr_score``: is the test stretch's
highest score within max(100, event length) steps of an event?). For the
LSTM, per series, the mean over seeds (and the fraction of seeds UCR-correct).
Per group (and per kind of injected event): the mean over series with the
sample std and a 95% t-interval; for the injected group, paired comparisons
of the LSTM with each detector over the same series (paired bootstrap of the
F1 and ROC-AUC differences; McNemar on UCR correctness, per seed).
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
from experiments.common import anomaly_series, optim, window_scaling
from experiments.common.bootstrap import paired_bootstrap
from experiments.common.config import run_config
from experiments.common.detection_metrics import precision_recall_f1, roc_auc
from experiments.common.difference_scores import abs_difference
from experiments.common.injected_anomalies import KINDS, injected_series, kind_of
from experiments.common.isolation_forest import isolation_forest_scores
from experiments.common.matrix_profile import discord_scores, dominant_period
from experiments.common.mcnemar import mcnemar
from experiments.common.rolling_zscore import rolling_zscore
from experiments.common.seeds import run_seeds
from experiments.common.series import windows
from experiments.common.summary import format_mean_std, mean_std, summarise, t_interval
from experiments.common.ucr_score import events, ucr_correct
from lstmjax import train
from lstmjax.models.forecaster import recursive_forecaster
from lstmjax.train import cli
from lstmjax.train.atomic import write_json

BASELINES = ("rolling_zscore", "abs_diff1", "abs_diff2", "matrix_profile", "isolation_forest")
GROUPS = ("real", "synthetic", "injected")
INJECTION_BASES = ("trunk_vert", "ankle_vert")
METRICS = ("precision", "recall", "f1", "roc_auc", "ucr")


@dataclasses.dataclass(frozen=True)
class Config:
    context: int = 64
    valid_fraction: float = 1 / 6
    hidden_size: int = 32
    learning_rate: float = 3e-3
    batch_size: int = 64
    num_steps: int = 600
    max_grad_norm: float = 1.0
    schedule: str = "constant"
    per_kind: int = 5
    inject_seed: int = 0
    matrix_profile: bool = True
    seeds: tuple = (0,)
    log_every: int = 50
    checkpoint_every: int = 200
    run_root: str = "runs"
    resume: bool = False
    quick: bool = False
    progress: bool = True
    mesh: str = ""

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        sizes = ("context", "hidden_size", "batch_size", "num_steps", "log_every", "per_kind")
        for name in sizes + ("checkpoint_every",):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.context < 2:
            raise ValueError(f"context: expected >= 2, got {self.context}")
        if not 0 < self.valid_fraction < 1:
            raise ValueError(f"valid_fraction: expected in (0, 1), got {self.valid_fraction}")
        if self.learning_rate <= 0 or not self.seeds:
            raise ValueError("learning_rate > 0 and at least one seed expected")
        optim.check_schedule(self.schedule)

    def quick_version(self) -> Config:
        """Tiny training, one injected copy per kind, no matrix profile (stumpy's numba
        compilation alone takes about a minute)."""
        return dataclasses.replace(
            self,
            hidden_size=8,
            num_steps=40,
            log_every=10,
            checkpoint_every=40,
            seeds=(0,),
            per_kind=1,
            matrix_profile=False,
        )


def split(cfg: Config, series) -> int:
    """``train_steps``; training and validation stretches must each hold a window."""
    train_steps = series.train_end - round(cfg.valid_fraction * series.train_end)
    if train_steps <= cfg.context + 1 or train_steps + cfg.context + 2 > series.train_end:
        raise ValueError(
            f"valid_fraction, context: {series.name}'s normal prefix has {series.train_end} "
            f"steps; need context + 1 < train_steps <= {series.train_end} - context - 2, got "
            f"train_steps={train_steps}, context={cfg.context}"
        )
    return train_steps


def next_value_scores(predict, params, scaled: np.ndarray, context: int) -> np.ndarray:
    """``|y_t - y_hat_t|`` for ``t >= context`` (0 before), from the ``context`` values before t."""
    inputs, targets = windows(scaled, context, 1)
    preds = np.concatenate(
        [np.asarray(predict(params, inputs[i : i + 2048])) for i in range(0, len(inputs), 2048)]
    )
    scores = np.zeros(len(scaled))
    scores[context:] = np.abs(preds - targets[:, 0])
    return scores


def detect(series, scores: np.ndarray, train_steps: int) -> dict:
    """The threshold rule and the metrics of one detector's ``scores [N]`` on ``series``."""
    valid, test = slice(train_steps, series.train_end), slice(series.test_start, None)
    threshold = float(np.max(scores[valid]))
    labels = series.labels[test]
    precision, recall, f1 = precision_recall_f1(labels, scores[test] > threshold)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc(labels, scores[test]),
        "ucr": float(ucr_correct(labels, scores[test])),
        "threshold": threshold,
    }


def baseline_scores(cfg: Config, values: np.ndarray, train_steps: int, window: int) -> dict:
    """``{detector: scores [N]}`` of the trivial detectors (see the module docstring)."""
    scores = {
        "rolling_zscore": rolling_zscore(values, cfg.context),
        "abs_diff1": abs_difference(values, 1),
        "abs_diff2": abs_difference(values, 2),
        "isolation_forest": isolation_forest_scores(values, train_steps, window),
    }
    if cfg.matrix_profile:
        scores["matrix_profile"] = discord_scores(values, train_steps, window)
    return {name: scores[name] for name in BASELINES if name in scores}


def build(cfg: Config):
    """The next-value predictor: one LSTM layer and a per-step linear readout."""
    return recursive_forecaster(lj.stack([lj.lstm(cfg.hidden_size)]), horizon=1)


def train_seed(cfg: Config, seed: int, scaled: np.ndarray, bounds: tuple[int, int], run_dir):
    """Trains on ``scaled[:train_steps]``, validates on ``scaled[train_steps:train_end]``."""
    train_steps, train_end = bounds
    train_part = scaled[:train_steps]
    valid_part = scaled[train_steps - cfg.context : train_end]
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
    mesh = train.parse_mesh(cfg.mesh)
    result = train.fit(
        state,
        train.make_train_step(loss_fn, optimizer, mesh=mesh),
        batch_fn,
        num_steps=cfg.num_steps,
        run_dir=run_dir,
        config=run_config(cfg, seed=seed, train_steps=train_steps, train_end=train_end),
        log_every=cfg.log_every,
        checkpoint_every=cfg.checkpoint_every,
        eval_fn=lambda p: train.evaluate(eval_step, p, [(vx, vy)]),
        eval_every=cfg.log_every,
        resume=cfg.resume,
        examples_per_step=cfg.batch_size,
        progress=cfg.progress,
        mesh=mesh,
        ignore=("resume", "mesh", "progress", "seeds", "per_kind", "inject_seed", "matrix_profile"),
    )
    return jax.jit(lambda p, inputs: model.apply(p, inputs)[:, -1]), result


def plot(path, data, train_steps: int, scores: dict, thresholds: dict) -> None:
    """The series with its label, and each detector's score with its flagged steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.arange(len(data.values))
    fig, axes = plt.subplots(len(scores) + 1, 1, figsize=(11, 2 + 1.6 * len(scores)), sharex=True)
    axes[0].plot(steps, data.values, color="black", linewidth=0.6)
    axes[0].scatter(
        steps[data.labels == 1],
        data.values[data.labels == 1],
        color="red",
        s=8,
        label="true anomaly",
        zorder=3,
    )
    axes[0].axvline(train_steps, color="gray", linestyle="--", label="end of training part")
    axes[0].axvline(data.train_end, color="gray", linestyle=":", label="end of normal prefix")
    axes[0].legend(loc="upper right")
    axes[0].set_title(f"{data.name}: series, true anomaly, detections")
    after = steps >= data.test_start
    for ax, (name, s) in zip(axes[1:], scores.items()):
        ax.plot(steps, s, linewidth=0.6, label=f"{name} score")
        hit = after & (s > thresholds[name])
        ax.scatter(steps[hit], s[hit], color="orange", s=8, label="detected", zorder=3)
        for begin, end in events(data.labels):
            ax.axvspan(begin, end, color="red", alpha=0.2)
        ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def series_groups(cfg: Config) -> list[tuple[str, object, list]]:
    """``(group, base series, series to score)``: the LSTM trains once per base."""
    out = [
        ("real", anomaly_series.load_kdd_tsad_135(), None),
        ("synthetic", anomaly_series.load_ecg_diff_count_3(), None),
    ]
    for channel in INJECTION_BASES:
        base = anomaly_series.load_daphnet_walk(channel)
        out.append(
            ("injected", base, injected_series(base, per_kind=cfg.per_kind, seed=cfg.inject_seed))
        )
    return [(group, base, items or [base]) for group, base, items in out]


def score_base(cfg: Config, group: str, base, items: list, out_dir) -> tuple[list, dict]:
    """Trains the LSTM on ``base`` for each seed and scores every detector on ``items``.

    Returns ``(rows, training)``: one row per item (``{"name", "group", "events",
    "detectors": {name: metrics}}``, the LSTM's with ``per_seed`` metrics and their
    mean, std and 95% interval) and ``{"train_steps", "window", "per_seed"}``.
    """
    train_steps = split(cfg, base)
    window = dominant_period(base.values[:train_steps])
    scaler = window_scaling.fit_scaler(base.values[:train_steps], log=False, anchored=False)
    lstm_metrics = {item.name: [] for item in items}
    first_scores = {}

    def one_seed(seed: int) -> dict:
        predict, result = train_seed(
            cfg,
            seed,
            (base.values - scaler.center) / scaler.scale,
            (train_steps, base.train_end),
            out_dir / base.name / f"seed{seed}",
        )
        for item in items:
            scaled = (item.values - scaler.center) / scaler.scale
            scores = next_value_scores(predict, result.best_params, scaled, cfg.context)
            lstm_metrics[item.name].append({"seed": seed, **detect(item, scores, train_steps)})
            if seed == cfg.seeds[0] and group == "real":
                first_scores[item.name] = scores
        losses = [r["loss"] for r in result.records if r["split"] == "train"]
        return {"best_step": result.best_step, "first_loss": losses[0], "last_loss": losses[-1]}

    per_seed = run_seeds(cfg.seeds, one_seed)
    rows = []
    for item in items:
        scores = baseline_scores(cfg, item.values, train_steps, window)
        seeds = lstm_metrics[item.name]
        lstm = {"per_seed": seeds, **summarise(seeds, METRICS, ci=True)}
        detectors = {"lstm": lstm} | {k: detect(item, s, train_steps) for k, s in scores.items()}
        rows.append(
            {
                "name": item.name,
                "group": group,
                "events": events(item.labels),
                "detectors": detectors,
            }
        )
        if item.name in first_scores:
            name = f"lstm (seed {cfg.seeds[0]})"
            thresholds = {name: seeds[0]["threshold"]} | {
                k: detectors[k]["threshold"] for k in scores
            }
            all_scores = {name: first_scores[item.name]} | scores
            plot(out_dir / f"{item.name}.png", item, train_steps, all_scores, thresholds)
    return rows, {"train_steps": train_steps, "window": window, "per_seed": per_seed}


def item_value(detector: dict, metric: str) -> float:
    """One series' value of ``metric``: the LSTM's mean over seeds, a baseline's own."""
    return detector.get(f"{metric}_mean", detector.get(metric))


def group_summary(rows: list[dict], detector_names: list[str]) -> dict:
    """Per detector: each metric's mean over the group's series, sample std and t-interval."""
    out = {}
    for name in detector_names:
        stats = {"n_series": len(rows)}
        for metric in METRICS:
            values = [item_value(r["detectors"][name], metric) for r in rows]
            stats[f"{metric}_mean"], stats[f"{metric}_std"] = mean_std(values)
            interval = t_interval(values)
            stats[f"{metric}_ci95"] = None if interval is None else list(interval)
        out[name] = stats
    return out


def paired_comparisons(rows: list[dict], baselines: list[str], seeds) -> dict:
    """The LSTM vs each baseline over the same series (needs >= 2 series).

    ``f1``, ``roc_auc``: the paired bootstrap of ``mean(lstm - baseline)`` (the
    LSTM's value per series being its mean over seeds); ``ucr_mcnemar``: McNemar's
    test on UCR correctness, once per seed.
    """
    out = {}
    for name in baselines:
        comparison = {}
        for metric in ("f1", "roc_auc"):
            lstm = [item_value(r["detectors"]["lstm"], metric) for r in rows]
            other = [item_value(r["detectors"][name], metric) for r in rows]
            comparison[metric] = paired_bootstrap(lstm, other)._asdict()
        other_ucr = [bool(r["detectors"][name]["ucr"]) for r in rows]
        comparison["ucr_mcnemar"] = []
        for i, seed in enumerate(seeds):
            lstm_ucr = [bool(r["detectors"]["lstm"]["per_seed"][i]["ucr"]) for r in rows]
            comparison["ucr_mcnemar"].append(
                {"seed": seed, **mcnemar(lstm_ucr, other_ucr)._asdict()}
            )
        out[name] = comparison
    return out


def run(cfg: Config) -> dict:
    if cfg.quick:
        cfg = cfg.quick_version()
    start = time.perf_counter()
    plan = series_groups(cfg)
    for _, base, _ in plan:
        split(cfg, base)
    out_dir = pathlib.Path(cfg.run_root) / "anomaly"
    rows, training = [], {}
    for group, base, items in plan:
        base_rows, training[base.name] = score_base(cfg, group, base, items, out_dir)
        rows.extend(base_rows)
    names = list(rows[0]["detectors"])
    groups = {}
    for group in GROUPS:
        members = [r for r in rows if r["group"] == group]
        groups[group] = {"series": [r["name"] for r in members]} | group_summary(members, names)
    injected = [r for r in rows if r["group"] == "injected"]
    by_kind = {
        kind: group_summary([r for r in injected if kind_of(r["name"]) == kind], names)
        for kind in KINDS
    }
    summary = {
        "config": dataclasses.asdict(cfg),
        "groups": groups,
        "injected_by_kind": by_kind,
        "paired_injected": paired_comparisons(injected, names[1:], cfg.seeds),
        "series": rows,
        "training": training,
        "device": str(jax.devices()[0]),
        "wall_s": time.perf_counter() - start,
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
    s = run(parse_config(argv))
    for group in GROUPS:
        stats = s["groups"][group]
        print(f"{group} ({len(stats['series'])} series):")
        for name in s["series"][0]["detectors"]:
            d = stats[name]
            print(
                f"  {name:17s} F1 {d['f1_mean']:.3f}  ROC-AUC {d['roc_auc_mean']:.3f}  "
                f"UCR {d['ucr_mean']:.3f}"
            )
    real = s["series"][0]["detectors"]["lstm"]["per_seed"]
    print(f"LSTM on {s['series'][0]['name']}: F1 {format_mean_std([r['f1'] for r in real])}")


if __name__ == "__main__":
    main()
