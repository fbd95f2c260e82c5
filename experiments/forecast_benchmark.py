"""Rolling-origin forecasting benchmark: a global LSTM against classic baselines.

    python experiments/forecast_benchmark.py --seeds 0 1 2

25 monthly and quarterly series that ship in packages
(``experiments/common/benchmark_series.py``) are forecast ``h`` steps ahead
(monthly 12, quarterly 8) from 5 test origins each, ``s`` steps apart
(monthly 3, quarterly 2), the last one ending the series; 3 inner validation
origins lie before the first test origin, their targets too
(``experiments/common/rolling_origin.py``).

The LSTM is one global model per frequency and origin: at origin index ``k``
it trains on the windows of every series of that frequency cut at the
series' own ``k``-th origin (each series drawn equally often), each window
scaled relative to its last value on logs where the series is positive
(``window_scaling``: ``x = (log v - log v[-1]) / s``, ``s`` the std of the
series' one-step log changes before the origin). Its hyper-parameters (hidden
size, context = multiple of ``h``, recursive or direct forecasting) are chosen
per frequency by the mean MASE over the validation origins, series and seeds;
the grid and every score are logged in ``results.json``, and only the chosen
configuration is run at the test origins. Training is a fixed number of Adam
steps (no checkpoint selection).

Baselines at the same test origins (``classic_forecasters``): seasonal
naive, ETS (Holt-Winters with additive trend and season on logs), Theta and
(S)ARIMA with its order chosen by AIC before the first test origin.
Errors: MASE (scaled by the in-sample seasonal-naive error of each origin's
history) and sMAPE, aggregated relative to seasonal naive in M4's OWA style
(arithmetic ratio of means, and the geometric mean of per-series ratios:
``relative_errors``). The LSTM (MASE and sMAPE of each item averaged over the
seeds) is compared with the strongest baseline (lowest OWA) by a paired
bootstrap over series of the per-series mean difference (origins of one series
are resampled together, as they overlap).

The airline 1960 holdout (history to Dec 1959, the 12 months of 1960) is
AirPassengers' last test origin; its MAPE is reported for every method and
for the airline model SARIMA(0,1,1)(0,1,1)12 on log passengers (Box & Jenkins).

Finished units (an LSTM fit, a series' baselines) are appended to
``units.jsonl`` in the run directory; ``--resume`` skips them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import pathlib
import sys
import time

# One BLAS thread: statsmodels' many small fits run several times faster on the
# shared 2-core machine than with a thread pool fighting for the cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

# The repository root, so that ``experiments.common`` imports when this runs as a file.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lstmjax as lj
from experiments.common import classic_forecasters as classic
from experiments.common import optim, window_scaling
from experiments.common.benchmark_series import load_group
from experiments.common.bootstrap import paired_bootstrap
from experiments.common.forecast_metrics import mae, mape, mase, smape
from experiments.common.relative_errors import geometric_relative, owa
from experiments.common.rolling_origin import rolling_origins, split_at
from experiments.common.seasonal_naive import seasonal_naive
from experiments.common.series import windows
from experiments.common.summary import mean_std, summarise
from lstmjax import train
from lstmjax.models.forecaster import forecaster, recursive_forecaster
from lstmjax.train import cli
from lstmjax.train.atomic import write_json

# frequency -> (horizon h, origin step s)
FREQUENCIES = {"monthly": (12, 3), "quarterly": (8, 2)}
MODES = ("recursive", "direct")
BASELINES = ("seasonal_naive", "ets", "theta", "sarima")
QUICK_SERIES = {"monthly": ["AirPassengers", "ldeaths"], "quarterly": ["UKgas", "austres"]}
CHUNK = 50  # training steps per compiled call


@dataclasses.dataclass(frozen=True)
class Config:
    """The benchmark's settings; the LSTM grid is ``modes x hidden_sizes x
    context_multiples`` (context = multiple * h; at most 2, as the first origin
    leaves at least ``2 h`` values of history)."""

    seeds: tuple = (0,)
    frequencies: tuple = tuple(FREQUENCIES)
    n_test: int = 5
    n_val: int = 3
    hidden_sizes: tuple = (16, 32)
    context_multiples: tuple = (1, 2)
    modes: tuple = MODES
    num_layers: int = 1
    num_steps: int = 600
    batch_size: int = 128
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    max_grad_norm: float = 1.0
    schedule: str = "constant"
    bootstrap_resamples: int = 10_000
    run_root: str = "runs"
    resume: bool = False
    quick: bool = False
    progress: bool = True
    mesh: str = ""

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        for name in ("n_test", "num_layers", "num_steps", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.n_val < 1 or not self.seeds:
            raise ValueError("n_val >= 1 and at least one seed expected")
        if not self.hidden_sizes or min(self.hidden_sizes) < 1:
            raise ValueError(f"hidden_sizes: expected sizes >= 1, got {self.hidden_sizes}")
        if not self.context_multiples or not set(self.context_multiples) <= {1, 2}:
            raise ValueError(
                f"context_multiples: expected 1 and/or 2, got {self.context_multiples}"
            )
        if not self.frequencies or not set(self.frequencies) <= set(FREQUENCIES):
            raise ValueError(
                f"frequencies: expected some of {tuple(FREQUENCIES)}, got {self.frequencies}"
            )
        if not self.modes or not set(self.modes) <= set(MODES):
            raise ValueError(f"modes: expected some of {MODES}, got {self.modes}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate: expected > 0, got {self.learning_rate}")
        optim.check_schedule(self.schedule)

    def resolved(self) -> Config:
        """``--quick``: 2 monthly series, 2 test origins, one small configuration, 40 steps."""
        if not self.quick:
            return self
        return dataclasses.replace(
            self,
            seeds=(0,),
            frequencies=("monthly",),
            n_test=2,
            n_val=1,
            hidden_sizes=(8,),
            context_multiples=(1,),
            modes=("recursive",),
            num_steps=40,
            batch_size=32,
            bootstrap_resamples=1000,
        )


def grid(cfg: Config) -> list[tuple[str, int, int]]:
    """Every LSTM configuration ``(mode, hidden size, context multiple)`` of the grid."""
    return [
        (mode, hidden, multiple)
        for mode in cfg.modes
        for hidden in cfg.hidden_sizes
        for multiple in cfg.context_multiples
    ]


def config_name(mode: str, hidden: int, multiple: int) -> str:
    """``"direct-h32-c1x"``: mode, hidden size, context in horizons."""
    return f"{mode}-h{hidden}-c{multiple}x"


def build(cfg: Config, mode: str, hidden: int, horizon: int):
    """The forecaster (``mode``) over ``cfg.num_layers`` stacked LSTMs of ``hidden`` units."""
    encoder = lj.stack([lj.lstm(hidden) for _ in range(cfg.num_layers)])
    if mode == "direct":
        return forecaster(encoder, horizon)
    return recursive_forecaster(encoder, horizon)


@functools.cache
def _compiled(cfg: Config, mode: str, hidden: int, horizon: int):
    """``(model, optimizer, train_chunk, forecast)``, compiled once per shape."""
    model = build(cfg, mode, hidden, horizon)
    optimizer = optim.make_optimizer(
        cfg.learning_rate,
        max_grad_norm=cfg.max_grad_norm,
        num_steps=cfg.num_steps,
        schedule=cfg.schedule,
        weight_decay=cfg.weight_decay,
    )

    def loss_fn(params, x, y):
        return jnp.mean((model.apply(params, x) - y) ** 2)

    mesh = train.parse_mesh(cfg.mesh)

    @jax.jit
    def train_chunk(params, opt_state, xs, ys):
        def step(carry, batch):
            params, opt_state = carry
            if mesh is not None:  # --mesh: each step's batch rows split, the rest replicated
                params, opt_state = train.keep_replicated((params, opt_state), mesh)
                batch = train.split_rows(batch, mesh)
            loss, grads = jax.value_and_grad(loss_fn)(params, *batch)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss

        (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), (xs, ys))
        return params, opt_state, losses

    return model, optimizer, train_chunk, jax.jit(model.forecast)


def _scaler(history: np.ndarray) -> window_scaling.WindowScaler:
    """Anchored scaling of one history, on logs where it is positive, with the scale
    ``s = sqrt(mean_t (z_t - z_(t-1))^2)`` (the RMS one-step change: unlike their std
    it stays large on smooth trending series, whose windows would otherwise blow up)."""
    log = bool(np.all(history > 0))
    z = np.log(history) if log else np.asarray(history, np.float64)
    scale = float(np.sqrt(np.mean(np.diff(z) ** 2)) + 1e-12)
    return window_scaling.WindowScaler(log, True, 0.0, scale)


def training_windows(history: np.ndarray, mode: str, context: int, horizon: int):
    """Scaled ``(x [M, C], y)`` of one history (``y [M, C]`` next values when recursive,
    ``[M, h]`` when direct); ``None`` when the history holds no window."""
    span = context + (1 if mode == "recursive" else horizon)
    if len(history) < span:
        return None
    scaler = _scaler(history)
    if mode == "direct":
        return window_scaling.encode(scaler, *windows(history, context, horizon))
    w, _ = windows(history, context + 1, 1)
    return window_scaling.encode(scaler, w[:, :-1], w[:, 1:])


def fit_global(cfg, mode, hidden, multiple, horizon, histories, seed):
    """Trains one LSTM on the windows of all ``histories``; returns their forecasts
    ``[n_series, h]`` and the mean loss of the first and of the last 10 steps.

    Each step's batch draws series uniformly, then one window of that series uniformly.
    """
    context = multiple * horizon
    model, optimizer, train_chunk, forecast = _compiled(cfg, mode, hidden, horizon)
    parts = [training_windows(h, mode, context, horizon) for h in histories]
    parts = [p for p in parts if p is not None]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    weights = np.concatenate([np.full(len(p[0]), 1 / len(p[0])) for p in parts])
    rng = np.random.default_rng(seed)
    params = model.init(jax.random.key(seed))
    opt_state = optimizer.init(params)
    losses = []
    for start in range(0, cfg.num_steps, CHUNK):
        steps = min(CHUNK, cfg.num_steps - start)
        index = rng.choice(len(x), size=(steps, cfg.batch_size), p=weights / weights.sum())
        params, opt_state, chunk = train_chunk(params, opt_state, x[index], y[index])
        losses.extend(np.asarray(chunk).tolist())
    contexts = np.stack([h[-context:] for h in histories])
    out = []
    for i, history in enumerate(histories):
        scaler = _scaler(history)
        scaled = forecast(params, window_scaling.encode(scaler, contexts[i : i + 1]))
        out.append(window_scaling.decode(scaler, contexts[i : i + 1], np.asarray(scaled))[0])
    return np.stack(out), float(np.mean(losses[:10])), float(np.mean(losses[-10:]))


class Units:
    """Finished units in ``units.jsonl`` (``--resume`` reads them back)."""

    def __init__(self, path: pathlib.Path, cfg: Config):
        self.path = path
        self.done = {}
        header = {"config": _run_config(cfg)}
        if cfg.resume and path.exists():
            lines = [json.loads(line) for line in path.read_text().splitlines() if line]
            if not lines or lines[0] != header:
                raise ValueError(f"--resume: {path} was written by another configuration")
            self.done = {line["key"]: line["value"] for line in lines[1:]}
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(header) + "\n")

    def get(self, key: str, compute):
        if key not in self.done:
            self.done[key] = compute()
            with self.path.open("a") as f:
                f.write(json.dumps({"key": key, "value": self.done[key]}) + "\n")
        return self.done[key]


def _run_config(cfg: Config) -> dict:
    skip = ("resume", "progress", "seeds", "bootstrap_resamples", "mesh")
    config = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in skip}
    return json.loads(json.dumps(config))


def _log(cfg: Config, text: str) -> None:
    if cfg.progress:
        print(text, flush=True)


def baseline_forecasts(series, origins, horizon) -> dict:
    """Every baseline's forecasts at the test origins, and the choices they made."""
    values, period = series.values, series.period
    log = bool(np.all(values > 0))
    before = values[: origins.test[0]]
    strength = classic.seasonal_strength(before, period, log)
    seasonal = strength > classic.SEASONAL_THRESHOLD
    spec = classic.select_sarima(before, period, seasonal, log)
    forecasts = {name: [] for name in BASELINES}
    for origin in origins.test:
        history, _ = split_at(values, origin, horizon)
        forecasts["seasonal_naive"].append(seasonal_naive(history, horizon, period))
        forecasts["ets"].append(classic.ets_forecast(history, horizon, period, seasonal, log))
        forecasts["theta"].append(classic.theta_forecast(history, horizon, period, seasonal, log))
        forecasts["sarima"].append(classic.sarima_forecast(history, horizon, spec, log))
    return {
        "log": log,
        "seasonal_strength": strength,
        "seasonal": bool(seasonal),
        "sarima": {"order": spec.order, "seasonal_order": spec.seasonal_order, "trend": spec.trend},
        "forecasts": {k: np.asarray(v).tolist() for k, v in forecasts.items()},
    }


def item_errors(series, origins, horizon, forecasts) -> dict:
    """``{"mase": [n_test], "smape": [n_test]}`` of one forecaster's ``[n_test, h]``."""
    out = {"mase": [], "smape": []}
    for origin, forecast in zip(origins, forecasts):
        history, target = split_at(series.values, origin, horizon)
        out["mase"].append(mase(target, forecast, history, series.period))
        out["smape"].append(smape(target, forecast))
    return out


def lstm_runs(cfg, units, frequency, group, origins, seeds, configs, split):
    """``{config name: [seed][origin] unit}`` at the ``split`` origins (``"validation"``
    or ``"test"``); a unit holds ``forecasts [series][h]``, its losses and wall time."""
    horizon, _ = FREQUENCIES[frequency]
    out = {}
    for mode, hidden, multiple in configs:
        name = config_name(mode, hidden, multiple)
        out[name] = []
        for seed in seeds:
            per_origin = []
            for k in range(len(getattr(origins[0], split))):
                histories = [s.values[: getattr(o, split)[k]] for s, o in zip(group, origins)]
                key = f"{frequency}/{split}{k}/{name}/seed{seed}"

                def compute(
                    histories=histories, mode=mode, hidden=hidden, multiple=multiple, seed=seed
                ):
                    start = time.perf_counter()
                    forecasts, first, last = fit_global(
                        cfg, mode, hidden, multiple, horizon, histories, seed
                    )
                    wall = time.perf_counter() - start
                    return {
                        "forecasts": forecasts.tolist(),
                        "first_loss": first,
                        "last_loss": last,
                        "wall_s": wall,
                    }

                unit = units.get(key, compute)
                _log(cfg, f"{key}: loss {unit['first_loss']:.3f} -> {unit['last_loss']:.3f}")
                per_origin.append(unit)
            out[name].append(per_origin)
    return out


def _mase_over(group, origins, split, horizon, runs) -> float:
    """Mean MASE of ``runs`` ([seed][origin] units) over seeds, origins and series."""
    scores = []
    for per_origin in runs:
        for k, unit in enumerate(per_origin):
            for i, series in enumerate(group):
                origin = getattr(origins[i], split)[k]
                history, target = split_at(series.values, origin, horizon)
                scores.append(mase(target, unit["forecasts"][i], history, series.period))
    return float(np.mean(scores))


def run_frequency(cfg: Config, units: Units, frequency: str) -> dict:
    """Selection on validation origins, then the test origins, for one frequency."""
    horizon, step = FREQUENCIES[frequency]
    group = load_group(frequency, QUICK_SERIES[frequency] if cfg.quick else None)
    origins = [rolling_origins(len(s.values), horizon, step, cfg.n_test, cfg.n_val) for s in group]
    candidates = grid(cfg)
    start = time.perf_counter()
    val_runs = lstm_runs(cfg, units, frequency, group, origins, cfg.seeds, candidates, "validation")
    val_mase = {
        name: _mase_over(group, origins, "validation", horizon, runs)
        for name, runs in val_runs.items()
    }
    chosen = min(val_mase, key=val_mase.get)
    chosen_spec = candidates[list(val_mase).index(chosen)]
    _log(cfg, f"{frequency}: validation MASE {val_mase}; chosen {chosen}")
    (test_runs,) = lstm_runs(
        cfg, units, frequency, group, origins, cfg.seeds, [chosen_spec], "test"
    ).values()
    lstm_wall = time.perf_counter() - start
    start = time.perf_counter()
    rows = []
    for i, series in enumerate(group):
        base = units.get(
            f"{frequency}/{series.name}/baselines",
            lambda series=series, o=origins[i]: baseline_forecasts(series, o, horizon),
        )
        _log(cfg, f"{frequency}/{series.name}: baselines done (SARIMA {base['sarima']})")
        test = origins[i].test
        errors = {
            name: item_errors(series, test, horizon, base["forecasts"][name]) for name in BASELINES
        }
        per_seed = [
            item_errors(series, test, horizon, [unit["forecasts"][i] for unit in per_origin])
            for per_origin in test_runs
        ]
        errors["lstm"] = {
            m: np.mean([s[m] for s in per_seed], axis=0).tolist() for m in per_seed[0]
        }
        rows.append(
            {
                "name": series.name,
                "frequency": frequency,
                "length": len(series.values),
                "period": series.period,
                "horizon": horizon,
                "origins": {"validation": list(origins[i].validation), "test": list(test)},
                **{k: base[k] for k in ("log", "seasonal_strength", "seasonal", "sarima")},
                "errors": errors,
                "lstm_per_seed": per_seed,
                "lstm_forecasts": [
                    [unit["forecasts"][i] for unit in per_origin] for per_origin in test_runs
                ],
                "baseline_forecasts": base["forecasts"],
            }
        )
    baseline_wall = time.perf_counter() - start
    losses = [unit["last_loss"] < unit["first_loss"] for per in test_runs for unit in per]
    return {
        "rows": rows,
        "selection": {
            "grid": [config_name(*spec) for spec in candidates],
            "validation_mase": val_mase,
            "chosen": chosen,
            "horizon": horizon,
            "context": chosen_spec[2] * horizon,
        },
        "test_loss_decreased": f"{sum(losses)}/{len(losses)}",
        "lstm_wall_s": lstm_wall,
        "baselines_wall_s": baseline_wall,
    }


def aggregate(rows: list[dict], seeds) -> dict:
    """Per method: OWA, relative MASE/sMAPE, geometric relative MASE, mean MASE/sMAPE;
    the LSTM's OWA per seed with its mean and sample std."""

    def stack(method, metric):
        return np.array([row["errors"][method][metric] for row in rows])

    ref_mase, ref_smape = stack("seasonal_naive", "mase"), stack("seasonal_naive", "smape")
    out = {}
    for method in ("lstm",) + BASELINES:
        m, s = stack(method, "mase"), stack(method, "smape")
        out[method] = {
            **owa(m, s, ref_mase, ref_smape),
            "geo_rel_mase": geometric_relative(m, ref_mase),
            "mean_mase": float(m.mean()),
            "mean_smape": float(s.mean()),
        }
    per_seed = []
    for k, seed in enumerate(seeds):
        m = np.array([row["lstm_per_seed"][k]["mase"] for row in rows])
        s = np.array([row["lstm_per_seed"][k]["smape"] for row in rows])
        per_seed.append({"seed": seed, **owa(m, s, ref_mase, ref_smape)})
    out["lstm_per_seed"] = per_seed
    out["lstm_seed_spread"] = summarise(per_seed, ["owa", "rel_mase", "rel_smape"])
    out["n_series"], out["n_items"] = len(rows), int(ref_mase.size)
    return out


def paired(rows: list[dict], baseline: str, cfg: Config) -> dict:
    """The LSTM minus ``baseline``: bootstrap over series of per-series mean MASE / sMAPE
    differences, and how many series each wins."""
    out = {"baseline": baseline}
    for metric in ("mase", "smape"):
        a = np.array([np.mean(row["errors"]["lstm"][metric]) for row in rows])
        b = np.array([np.mean(row["errors"][baseline][metric]) for row in rows])
        test = paired_bootstrap(a, b, n_resamples=cfg.bootstrap_resamples, seed=0)
        out[metric] = {**test._asdict(), "lstm_wins": int(np.sum(a < b)), "n_series": len(a)}
    return out


def airline_1960(rows: list[dict]) -> dict | None:
    """MAPE of each method on AirPassengers' last test origin (Jan-Dec 1960)."""
    row = next((r for r in rows if r["name"] == "AirPassengers"), None)
    if row is None:
        return None
    series = load_group("monthly", ["AirPassengers"])[0]
    history, target = split_at(series.values, row["origins"]["test"][-1], 12)
    spec = classic.SarimaSpec((0, 1, 1), (0, 1, 1, 12), "n")
    forecasts = {name: row["baseline_forecasts"][name][-1] for name in BASELINES}
    forecasts["airline_model"] = classic.sarima_forecast(history, 12, spec, log=True)
    out = {name: {"mape": mape(target, f), "mae": mae(target, f)} for name, f in forecasts.items()}
    seeds = [mape(target, per_origin[-1]) for per_origin in row["lstm_forecasts"]]
    mean, std = mean_std(seeds)
    out["lstm"] = {"mape_per_seed": seeds, "mape_mean": mean, "mape_std": std}
    out["history_end"], out["n_history"] = "1959-12", len(history)
    return out


def run(cfg: Config) -> dict:
    """The whole benchmark; returns (and writes to ``results.json``) the summary."""
    cfg = cfg.resolved()
    start = time.perf_counter()
    out_dir = pathlib.Path(cfg.run_root) / "forecast_benchmark"
    units = Units(out_dir / "units.jsonl", cfg)
    frequencies = {f: run_frequency(cfg, units, f) for f in cfg.frequencies}
    rows = [row for f in frequencies.values() for row in f["rows"]]
    groups = {"all": rows} | {f: r["rows"] for f, r in frequencies.items()}
    aggregates = {name: aggregate(group, cfg.seeds) for name, group in groups.items()}
    strongest = min(BASELINES, key=lambda name: aggregates["all"][name]["owa"])
    summary = {
        "config": json.loads(json.dumps(dataclasses.asdict(cfg))),
        "selection": {f: r["selection"] for f, r in frequencies.items()},
        "aggregate": aggregates,
        "strongest_baseline": strongest,
        "paired": paired(rows, strongest, cfg),
        "airline_1960": airline_1960(rows),
        "test_loss_decreased": {f: r["test_loss_decreased"] for f, r in frequencies.items()},
        "lstm_wall_s": sum(r["lstm_wall_s"] for r in frequencies.values()),
        "baselines_wall_s": sum(r["baselines_wall_s"] for r in frequencies.values()),
        "wall_s": time.perf_counter() - start,
        "device": str(jax.devices()[0]),
        "series": rows,
    }
    write_json(out_dir / "results.json", summary)
    return summary


def parse_config(argv=None) -> Config:
    return cli.parse_config(Config, argv, description=__doc__.split("\n")[0])


def main(argv=None) -> None:
    s = run(parse_config(argv))
    for group, stats in s["aggregate"].items():
        cells = ", ".join(f"{name} OWA {stats[name]['owa']:.3f}" for name in ("lstm",) + BASELINES)
        print(f"{group} ({stats['n_series']} series): {cells}")
    p = s["paired"]
    print(
        f"LSTM - {p['baseline']}: MASE {p['mase']['mean_difference']:+.3f} "
        f"[{p['mase']['low']:+.3f}, {p['mase']['high']:+.3f}] p {p['mase']['pvalue']:.3g}"
    )


if __name__ == "__main__":
    main()
