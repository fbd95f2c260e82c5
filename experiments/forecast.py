"""Multi-step forecasting of yearly sunspots and monthly airline passengers.

    python experiments/forecast.py --dataset sunspots --seeds 0 1 2
    python experiments/forecast.py --dataset airline --seeds 0 1 2

An LSTM reads the last ``context`` values (airline: log values relative to
the window's last one; sunspots: standardised values) and forecasts the next
``horizon``: one step at a time, feeding each prediction back (the default,
``--mode recursive``, trained on next-value prediction at every step), or all
at once from its last state (``--mode direct``). The last ``horizon`` values
are the test tail; the ``horizon`` values before them are the validation tail
that picks the checkpoint (lowest validation MAE) and picked the defaults
(mode, hidden size, context); training windows end before it. MAE, RMSE
and MASE on the test tail are reported next to a seasonal-naive forecast and a
statsmodels (S)ARIMA fitted in the same run: the airline model
SARIMA(0,1,1)(0,1,1)12 on log passengers, and ARIMA(9,0,0) with a constant on
sunspots. The LSTM's scores are reported as the mean and sample standard
deviation over the seeds.
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
from experiments.common import optim, window_scaling
from experiments.common.config import run_config
from experiments.common.forecast_metrics import mae, mase, rmse
from experiments.common.seasonal_naive import seasonal_naive
from experiments.common.seeds import run_seeds
from experiments.common.series import SERIES, load_series, split_tail, windows
from experiments.common.summary import format_mean_std, summarise
from lstmjax import train
from lstmjax.models.forecaster import forecaster, recursive_forecaster
from lstmjax.train import cli
from lstmjax.train.atomic import write_json

# (horizon, context, mode) per series when the config leaves them unset, and the scaling:
# airline grows multiplicatively (logs, relative to each window's last value);
# sunspots cycle around a stable level (standardised over the history).
DEFAULTS = {"sunspots": (22, 22, "recursive"), "airline": (24, 36, "recursive")}
MODES = ("direct", "recursive")
SCALING = {
    "sunspots": {"log": False, "anchored": False},
    "airline": {"log": True, "anchored": True},
}


@dataclasses.dataclass(frozen=True)
class Config:
    dataset: str = "airline"
    mode: str = ""
    horizon: int = 0
    context: int = 0
    hidden_size: int = 16
    num_layers: int = 1
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    num_steps: int = 1000
    max_grad_norm: float = 1.0
    schedule: str = "constant"
    seeds: tuple = (0,)
    log_every: int = 50
    checkpoint_every: int = 500
    run_root: str = "runs"
    resume: bool = False
    quick: bool = False
    progress: bool = True
    mesh: str = ""

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        if self.dataset not in SERIES:
            raise ValueError(f"dataset: expected one of {sorted(SERIES)}, got {self.dataset!r}")
        if self.mode not in ("",) + MODES:
            raise ValueError(
                f"mode: expected one of {MODES} (or empty: the default), got {self.mode!r}"
            )
        for name in ("horizon", "context"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: expected >= 0 (0: the dataset's default)")
        for name in ("hidden_size", "num_layers", "num_steps", "log_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.learning_rate <= 0 or not self.seeds:
            raise ValueError("learning_rate > 0 and at least one seed expected")
        optim.check_schedule(self.schedule)

    def resolved(self) -> Config:
        """The config with the dataset's horizon and context filled in (and ``--quick``)."""
        horizon, context, mode = DEFAULTS[self.dataset]
        cfg = dataclasses.replace(
            self,
            horizon=self.horizon or horizon,
            context=self.context or context,
            mode=self.mode or mode,
        )
        if cfg.quick:
            cfg = dataclasses.replace(
                cfg, hidden_size=8, num_steps=60, log_every=10, checkpoint_every=60, seeds=(0,)
            )
        return cfg


def check_fits(cfg: Config, length: int) -> None:
    """Raises before training when the series cannot hold test, validation and training."""
    needed = cfg.context + 3 * cfg.horizon
    if needed > length:
        raise ValueError(
            f"horizon, context: {cfg.dataset} has {length} values; a test tail and a "
            f"validation tail of horizon {cfg.horizon} plus one training window of context "
            f"{cfg.context} need {needed}"
        )


def build(cfg: Config):
    """The forecaster of ``cfg.mode`` (of a resolved config) over stacked LSTMs."""
    encoder = lj.stack([lj.lstm(cfg.hidden_size) for _ in range(cfg.num_layers)])
    if cfg.mode == "direct":
        return forecaster(encoder, cfg.horizon)
    return recursive_forecaster(encoder, cfg.horizon)


def train_seed(cfg: Config, seed: int, history: np.ndarray, scaler, run_dir):
    """Fits one seed on ``history`` minus its validation tail: ``(model, predict, FitResult)``."""
    fit_history, valid_tail = split_tail(history, cfg.horizon)
    model = build(cfg)
    if cfg.mode == "direct":
        x, y = window_scaling.encode(scaler, *windows(fit_history, cfg.context, cfg.horizon))
    else:
        w, _ = windows(fit_history, cfg.context + 1, 1)
        x, y = window_scaling.encode(scaler, w[:, :-1], w[:, 1:])
    valid_context = fit_history[None, -cfg.context :]
    valid_x = window_scaling.encode(scaler, valid_context)

    def loss_fn(params, batch, key):
        inputs, targets = batch
        return jnp.mean((model.apply(params, inputs) - targets) ** 2), {}

    predict = jax.jit(model.forecast)

    def eval_fn(params):
        forecast = window_scaling.decode(scaler, valid_context, predict(params, valid_x))
        return {"mae": mae(valid_tail, forecast[0])}

    optimizer = optim.make_optimizer(
        cfg.learning_rate,
        max_grad_norm=cfg.max_grad_norm,
        num_steps=cfg.num_steps,
        schedule=cfg.schedule,
        weight_decay=cfg.weight_decay,
    )
    state = train.create_state(
        model.init(jax.random.key(seed)), optimizer, key=jax.random.key(seed)
    )
    mesh = train.parse_mesh(cfg.mesh)
    result = train.fit(
        state,
        train.make_train_step(loss_fn, optimizer, mesh=mesh),
        lambda step: (x, y),
        num_steps=cfg.num_steps,
        run_dir=run_dir,
        config=run_config(cfg, seed=seed),
        log_every=cfg.log_every,
        checkpoint_every=cfg.checkpoint_every,
        eval_fn=eval_fn,
        eval_every=cfg.log_every,
        select="mae",
        resume=cfg.resume,
        progress=cfg.progress,
        mesh=mesh,
        ignore=("resume", "mesh", "progress", "seeds"),
    )
    return model, predict, result


def arima_forecast(name: str, history: np.ndarray, horizon: int) -> np.ndarray:
    """The statsmodels baseline for each series (see module doc)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    if name == "airline":
        fitted = SARIMAX(np.log(history), order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(
            disp=False
        )
        return np.exp(fitted.forecast(horizon))
    fitted = SARIMAX(history, order=(9, 0, 0), trend="c").fit(disp=False, maxiter=200)
    return np.asarray(fitted.forecast(horizon))


def scores(actual, forecast, history, period) -> dict:
    return {
        "mae": mae(actual, forecast),
        "rmse": rmse(actual, forecast),
        "mase": mase(actual, forecast, history, period),
    }


def plot(path, series, history, tail, forecasts: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = max(0, len(history) - 4 * len(tail))
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(np.arange(start, len(history)), history[start:], color="black", label="history")
    steps = np.arange(len(history), len(history) + len(tail))
    ax.plot(steps, tail, color="black", linestyle="--", label="actual (test)")
    for label, forecast in forecasts.items():
        ax.plot(steps, forecast, label=label)
    ax.set_title(f"{series.name}: forecasts of the held-out tail")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(cfg: Config) -> dict:
    """The whole experiment; returns (and writes to ``results.json``) the summary."""
    cfg = cfg.resolved()
    series = load_series(cfg.dataset)
    check_fits(cfg, len(series.values))
    history, tail = split_tail(series.values, cfg.horizon)
    scaler = window_scaling.fit_scaler(history[: -cfg.horizon], **SCALING[cfg.dataset])
    out_dir = pathlib.Path(cfg.run_root) / "forecast" / cfg.dataset
    forecasts = []

    def one_seed(seed: int) -> dict:
        _, predict, result = train_seed(cfg, seed, history, scaler, out_dir / f"seed{seed}")
        context = history[None, -cfg.context :]
        scaled = predict(result.best_params, window_scaling.encode(scaler, context))
        forecast = window_scaling.decode(scaler, context, np.asarray(scaled))[0]
        forecasts.append(forecast)
        losses = [r["loss"] for r in result.records if r["split"] == "train"]
        return {
            **scores(tail, forecast, history, series.period),
            "best_step": result.best_step,
            "valid_mae": min(r["mae"] for r in result.records if r["split"] == "val"),
            "first_loss": losses[0],
            "last_loss": losses[-1],
        }

    per_seed = run_seeds(cfg.seeds, one_seed)
    start = time.perf_counter()
    naive = seasonal_naive(history, cfg.horizon, series.period)
    arima = arima_forecast(cfg.dataset, history, cfg.horizon)
    summary = {
        "config": dataclasses.asdict(cfg),
        "per_seed": per_seed,
        **summarise(per_seed, ["mase", "mae", "rmse"], prefix="lstm_"),
        "seasonal_naive": scores(tail, naive, history, series.period),
        "arima": scores(tail, arima, history, series.period),
        "baselines_wall_s": time.perf_counter() - start,
        "device": str(jax.devices()[0]),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    lstm_mean = np.mean(forecasts, axis=0)
    curves = {"LSTM (seed mean)": lstm_mean, "seasonal naive": naive, "(S)ARIMA": arima}
    plot(out_dir / "forecast.png", series, history, tail, curves)
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
    name = s["config"]["dataset"]
    mases = [r["mase"] for r in s["per_seed"]]
    print(f"{name}: LSTM MASE {format_mean_std(mases)} (MAE {s['lstm_mae_mean']:.2f})")
    for base in ("seasonal_naive", "arima"):
        b = s[base]
        print(f"{name}: {base} MASE {b['mase']:.3f} (MAE {b['mae']:.2f}, RMSE {b['rmse']:.2f})")


if __name__ == "__main__":
    main()
