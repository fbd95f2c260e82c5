"""Next-frame prediction on moving digits: ConvLSTM encoder-forecaster vs a fully connected LSTM.

    python experiments/video.py --resume    # ConvLSTM, FC-LSTM, copy-last, shift

Data (``experiments.common.moving_digits``): two of scikit-learn's digit
images (16x16 after 2x upscaling) bounce on a 32x32 canvas, 20 frames: the
first ``context`` (10) are seen, the next ``horizon`` (10) predicted (Moving
MNIST, Srivastava et al. 2015). The images split by image into disjoint
train / validation / test sets (``split_seed``). Training sequences are drawn
fresh for every step from the training images, seeded by ``(seed, step)``;
``valid_sequences`` and ``test_sequences`` fixed sequences come from the
validation and test images, seeded by ``data_seed`` (the same for every seed).

ConvLSTM encoder-forecaster (Shi et al. 2015), ``lstmjax.conv_lstm`` cells:
frames ``[B, T, 32, 32]`` become ``patch x patch`` patches stacked as
channels, ``[B, T, 32/patch, 32/patch, patch^2]`` (Shi et al. did the same
with 4x4 patches of 64x64 frames). An encoder of ``layers`` stacked ConvLSTMs
(``filters`` channels, ``kernel`` x ``kernel``) reads the context; each
layer's final ``(H, C)`` starts the matching layer of a forecaster of the same
shape (its own weights), which runs ``horizon`` steps on a constant-one input
frame (no frames in: its input convolution is a learned, border-aware bias).
A 1x1 convolution of all forecaster layers' outputs, concatenated, gives
``patch^2`` logits per position, put back into pixels: per-pixel logits
``z [B, horizon, 32, 32]``.

FC-LSTM (Srivastava et al. 2015's encoder-predictor): the same scheme with
``lstmjax.lstm`` cells over flattened frames ``[B, T, 1024]``, ``layers``
stacked layers of ``fc_hidden`` units in the encoder and the forecaster
(3: 19,732 parameters against the ConvLSTM's 19,120 at the defaults; both
counts go into the results), a linear readout to 1024 logits.

Loss: per-pixel sigmoid cross-entropy against the true frame values in
``[0, 1]``, ``mean over b, k, pixels of -[x log sigmoid(z) + (1 - x) log(1 -
sigmoid(z))]``; a prediction is ``sigmoid(z)``. Adam with global-norm
clipping and a cosine schedule.

Metrics (``experiments.common.ssim``), on the test sequences, per predicted
frame ``k = 1 .. horizon`` and averaged over them: the MSE per pixel and SSIM
(11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, data range 1).
Baselines (``experiments.common.frame_baselines``), same sequences: copy the
last frame; shift the last frame on by the integer translation that best maps
the frame before onto it (within ``max_shift`` pixels).

Selection on validation only: each run keeps the checkpoint with the lowest
validation MSE (every ``eval_every`` steps); the hyper-parameters are fixed in
``Config`` (sized for a 2-core CPU, no search). Test metrics are mean +-
sample std over ``seeds`` (init and training sequences). After each seed both
models' metrics are merged into ``results_file`` and ``strip.png`` (one test
sequence: context, truth, each model's and baseline's predictions) is written
into the seed's run directory.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

# The repository root, so that ``experiments.common`` imports when this runs as a file.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lstmjax as lj
from experiments.common import frame_baselines, item_scores, optim
from experiments.common import moving_digits as digits
from experiments.common.config import log_every_dividing, run_config
from experiments.common.seeds import run_seeds
from experiments.common.ssim import frame_mse, ssim
from experiments.common.summary import format_mean_std
from lstmjax import train
from lstmjax.train import cli
from lstmjax.train.atomic import write_json

MODELS = ("convlstm", "fc_lstm")
BASELINES = ("copy_last", "shift")
SPLITS = ("valid", "test")


@dataclasses.dataclass(frozen=True)
class Config:
    models: tuple = MODELS
    canvas: int = 32
    scale: int = 2
    num_digits: int = 2
    context: int = 10
    horizon: int = 10
    min_speed: float = 1.0
    max_speed: float = 2.0
    valid_fraction: float = 0.15
    test_fraction: float = 0.15
    split_seed: int = 0
    data_seed: int = 0
    valid_sequences: int = 250
    test_sequences: int = 1000
    patch: int = 4
    filters: int = 8
    layers: int = 2
    kernel: int = 3
    fc_hidden: int = 3
    learning_rate: float = 3e-3
    batch_size: int = 16
    num_steps: int = 800
    eval_every: int = 100
    max_grad_norm: float = 1.0
    schedule: str = "cosine"
    eval_batch: int = 250
    max_shift: int = 3
    seeds: tuple = (0, 1, 2)
    results_file: str = "experiments/results/video.json"
    run_root: str = "runs"
    mesh: str = ""
    resume: bool = False
    quick: bool = False
    progress: bool = True

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        positive = (
            "canvas",
            "scale",
            "num_digits",
            "context",
            "horizon",
            "valid_sequences",
            "test_sequences",
            "patch",
            "filters",
            "layers",
            "kernel",
            "fc_hidden",
            "batch_size",
            "num_steps",
            "eval_every",
            "eval_batch",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if not self.models or any(m not in MODELS for m in self.models):
            raise ValueError(f"models: expected some of {MODELS}, got {self.models}")
        if self.context < 2:
            raise ValueError(f"context: expected >= 2 (the shift baseline), got {self.context}")
        if self.canvas % self.patch:
            raise ValueError(f"patch: expected a divisor of canvas {self.canvas}, got {self.patch}")
        if 8 * self.scale > self.canvas:
            raise ValueError(
                f"canvas: expected >= the digit size {8 * self.scale}, got {self.canvas}"
            )
        if self.kernel % 2 == 0:
            raise ValueError(f"kernel: expected an odd size, got {self.kernel}")
        if not self.seeds:
            raise ValueError("seeds: expected at least one seed")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate: expected > 0, got {self.learning_rate}")
        if self.max_shift < 0:
            raise ValueError(f"max_shift: expected >= 0, got {self.max_shift}")
        optim.check_schedule(self.schedule)

    def quick_version(self) -> Config:
        """Seconds, not minutes: the smoke test's settings (results beside the runs)."""
        return dataclasses.replace(
            self,
            context=4,
            horizon=3,
            valid_sequences=16,
            test_sequences=16,
            filters=4,
            layers=1,
            fc_hidden=4,
            batch_size=8,
            num_steps=20,
            eval_every=10,
            eval_batch=16,
            seeds=(0,),
            results_file=str(pathlib.Path(self.run_root) / "video" / "results.json"),
        )


class Data(NamedTuple):
    """The split images ``[N, size, size]`` and the fixed validation / test sequences
    ``[N, context + horizon, canvas, canvas]``."""

    train_images: np.ndarray
    valid_images: np.ndarray
    test_images: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def sequences(cfg: Config, images: np.ndarray, num: int, rng: np.random.Generator) -> np.ndarray:
    """``[num, context + horizon, canvas, canvas]`` moving-digit sequences."""
    return digits.moving_digits(
        images,
        num,
        rng,
        canvas=cfg.canvas,
        num_frames=cfg.context + cfg.horizon,
        num_digits=cfg.num_digits,
        min_speed=cfg.min_speed,
        max_speed=cfg.max_speed,
    )


def load_data(cfg: Config) -> Data:
    """The module doc's split and fixed held-out sequences."""
    images = digits.load_digit_images(cfg.scale)
    train_images, valid_images, test_images = digits.split_images(
        images, cfg.split_seed, cfg.valid_fraction, cfg.test_fraction
    )
    rng = np.random.default_rng([cfg.data_seed, 1])
    valid = sequences(cfg, valid_images, cfg.valid_sequences, rng)
    test = sequences(
        cfg, test_images, cfg.test_sequences, np.random.default_rng([cfg.data_seed, 2])
    )
    return Data(train_images, valid_images, test_images, valid, test)


def to_patches(frames: jax.Array, patch: int) -> jax.Array:
    """``[B, T, H, W] -> [B, T, H / patch, W / patch, patch^2]`` (row-major within a patch)."""
    b, t, h, w = frames.shape
    x = frames.reshape(b, t, h // patch, patch, w // patch, patch)
    return x.transpose(0, 1, 2, 4, 3, 5).reshape(b, t, h // patch, w // patch, patch * patch)


def from_patches(x: jax.Array, patch: int) -> jax.Array:
    """The inverse of ``to_patches``: ``[B, T, h, w, patch^2] -> [B, T, h patch, w patch]``."""
    b, t, h, w, _ = x.shape
    x = x.reshape(b, t, h, w, patch, patch).transpose(0, 1, 2, 4, 3, 5)
    return x.reshape(b, t, h * patch, w * patch)


class Model(NamedTuple):
    """``init(key) -> params``; ``logits(params, context [B, context, H, W])
    -> [B, horizon, H, W]``; both jitted."""

    init: Callable
    logits: Callable


def _glorot(key, fan_in: int, fan_out: int) -> jax.Array:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, (fan_in, fan_out), minval=-limit, maxval=limit)


def build_encoder_forecaster(cfg: Config, make_cell: Callable, input_size: int, hidden: int):
    """``(init, run)``: encoder and forecaster stacks of ``cfg.layers`` cells from
    ``make_cell()``; ``run(params, xs [B, T, ..., input_size], ones [B, horizon, ..., 1])
    -> [B, horizon, ..., layers * hidden]``, every forecaster layer's outputs concatenated."""
    encoder = [make_cell() for _ in range(cfg.layers)]
    forecaster = [make_cell() for _ in range(cfg.layers)]

    def init(key):
        keys = jax.random.split(key, 2 * cfg.layers)
        sizes = [input_size] + [hidden] * (cfg.layers - 1)
        return {
            "encoder": [c.init(k, n) for c, k, n in zip(encoder, keys[: cfg.layers], sizes)],
            "forecaster": [
                c.init(k, n) for c, k, n in zip(forecaster, keys[cfg.layers :], [1] + sizes[1:])
            ],
        }

    def run(params, xs, ones):
        finals = []
        for cell, p in zip(encoder, params["encoder"]):
            xs, final = lj.rnn(cell, p, xs)
            finals.append(final)
        outputs = []
        for cell, p, final in zip(forecaster, params["forecaster"], finals):
            ones, _ = lj.rnn(cell, p, ones, initial_carry=final)
            outputs.append(ones)
        return jnp.concatenate(outputs, axis=-1)

    return init, run


def build(cfg: Config, name: str) -> Model:
    """The module doc's ConvLSTM (``"convlstm"``) or FC-LSTM (``"fc_lstm"``)."""
    if name not in MODELS:
        raise ValueError(f"name: expected one of {MODELS}, got {name!r}")
    side = cfg.canvas // cfg.patch
    if name == "convlstm":
        hidden, readout = cfg.filters, cfg.patch * cfg.patch
        cells = lambda: lj.conv_lstm(  # noqa: E731
            cfg.filters, spatial_shape=(side, side), kernel_size=cfg.kernel
        )
        input_size, ones_shape = readout, (cfg.horizon, side, side, 1)
    else:
        hidden, readout = cfg.fc_hidden, cfg.canvas * cfg.canvas
        cells = lambda: lj.lstm(cfg.fc_hidden)  # noqa: E731
        input_size, ones_shape = readout, (cfg.horizon, 1)
    init_stacks, run = build_encoder_forecaster(cfg, cells, input_size, hidden)

    def init(key):
        k_stacks, k_out = jax.random.split(key)
        return {
            "stacks": init_stacks(k_stacks),
            "out_w": _glorot(k_out, cfg.layers * hidden, readout),
            "out_b": jnp.zeros(readout),
        }

    def logits(params, context):
        b = context.shape[0]
        if name == "convlstm":
            xs = to_patches(context, cfg.patch)
        else:
            xs = context.reshape(b, cfg.context, -1)
        hs = run(params["stacks"], xs, jnp.ones((b,) + ones_shape, context.dtype))
        z = hs @ params["out_w"] + params["out_b"]
        if name == "convlstm":
            return from_patches(z, cfg.patch)
        return z.reshape(b, cfg.horizon, cfg.canvas, cfg.canvas)

    return Model(jax.jit(init), jax.jit(logits))


def num_params(params) -> int:
    return int(sum(np.size(leaf) for leaf in jax.tree.leaves(params)))


def predict(model: Model, params, frames: np.ndarray, cfg: Config) -> np.ndarray:
    """``[N, horizon, H, W]`` predicted frames ``sigmoid(z)`` from ``frames``' contexts."""
    out = []
    for start in range(0, len(frames), cfg.eval_batch):
        chunk = jnp.asarray(frames[start : start + cfg.eval_batch, : cfg.context])
        out.append(np.asarray(jax.nn.sigmoid(model.logits(params, chunk))))
    return np.concatenate(out)


def frame_metrics(truth: np.ndarray, predicted: np.ndarray, prefix: str) -> dict:
    """MSE and SSIM per predicted frame (``_per_frame``, ``[horizon]``, over sequences)
    and averaged over the frames; ``truth, predicted [N, horizon, H, W]``. On the
    test split also per sequence (``_per_sequence``, ``[N]``, over its frames, to 4
    digits), in test order, the same for every model and baseline: what
    video_table's paired tests compare."""
    out = {}
    for metric, fn in (("mse", frame_mse), ("ssim", ssim)):
        scores = fn(truth, predicted)  # [N, horizon]
        per_frame = scores.mean(axis=0)
        out[f"{prefix}_{metric}"] = float(per_frame.mean())
        out[f"{prefix}_{metric}_per_frame"] = per_frame.tolist()
        if prefix == "test":
            out[f"test_{metric}_per_sequence"] = item_scores.pack(scores.mean(axis=1))
    return out


def train_one(cfg: Config, data: Data, name: str, seed: int, run_dir):
    """Trains one model; returns ``(model, FitResult)``, best params by validation MSE."""
    model = build(cfg, name)
    logits_fn = model.logits

    def loss_fn(params, batch, key):
        del key
        z = logits_fn(params, batch[:, : cfg.context])
        return jnp.mean(optax.sigmoid_binary_cross_entropy(z, batch[:, cfg.context :])), {}

    def batch_fn(step: int):
        rng = np.random.default_rng([seed, step])
        return sequences(cfg, data.train_images, cfg.batch_size, rng)

    def eval_fn(params):
        predicted = predict(model, params, data.valid, cfg)
        found = frame_metrics(data.valid[:, cfg.context :], predicted, "valid")
        return {"mse": found["valid_mse"], "ssim": found["valid_ssim"]}

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
        config=run_config(cfg, model=name, seed=seed),
        log_every=log_every,
        checkpoint_every=eval_every,
        eval_fn=eval_fn,
        eval_every=eval_every,
        select="mse",
        resume=cfg.resume,
        examples_per_step=cfg.batch_size,
        progress=cfg.progress,
        mesh=mesh,
        plot_keys=("loss", "mse"),
        ignore=(
            "resume",
            "mesh",
            "progress",
            "seeds",
            "models",
            "results_file",
            "test_sequences",
            "eval_batch",
            "max_shift",
        ),
    )
    return model, result


def evaluate_model(cfg: Config, data: Data, model: Model, result) -> tuple[dict, np.ndarray]:
    """``(metrics, test predictions)`` of the best checkpoint: validation and test
    metrics, its step, the parameter count and the first and last training loss."""
    out = {"best_step": result.best_step, "params": num_params(result.best_params)}
    for split in SPLITS:
        frames = getattr(data, split)
        predicted = predict(model, result.best_params, frames, cfg)
        out |= frame_metrics(frames[:, cfg.context :], predicted, split)
    train_losses = [r["loss"] for r in result.records if r["split"] == "train"]
    return out | {"first_loss": train_losses[0], "last_loss": train_losses[-1]}, predicted


def baseline_predictions(cfg: Config, frames: np.ndarray) -> dict:
    """``{baseline: [N, horizon, H, W]}`` from ``frames``' contexts."""
    context = frames[:, : cfg.context]
    return {
        "copy_last": frame_baselines.copy_last(context, cfg.horizon),
        "shift": frame_baselines.shift_extrapolation(context, cfg.horizon, cfg.max_shift),
    }


def run_baselines(cfg: Config, data: Data) -> tuple[dict, dict]:
    """``(metrics, test predictions)`` of each baseline on validation and test."""
    metrics = {name: {} for name in BASELINES}
    for split in SPLITS:
        frames = getattr(data, split)
        for name, predicted in baseline_predictions(cfg, frames).items():
            metrics[name] |= frame_metrics(frames[:, cfg.context :], predicted, split)
    return metrics, baseline_predictions(cfg, data.test)


ROW_LABELS = {
    "truth": "truth",
    "convlstm": "ConvLSTM",
    "fc_lstm": "FC-LSTM",
    "copy_last": "copy last",
    "shift": "shift",
}


def write_strip(path: pathlib.Path, cfg: Config, data: Data, rows: dict, index: int = 0) -> None:
    """A PNG of test sequence ``index``: its context, then one row per entry of ``rows``
    (``{name: [N, horizon, H, W]}``, the truth first)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = [("context", data.test[index, : cfg.context])]
    lines += [(ROW_LABELS[name], frames[index]) for name, frames in rows.items()]
    columns = max(cfg.context, cfg.horizon)
    fig, axes = plt.subplots(
        len(lines), columns, figsize=(0.6 * columns + 0.9, 0.6 * len(lines)), squeeze=False
    )
    for row, (label, frames) in enumerate(lines):
        for col in range(columns):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col < len(frames):
                ax.imshow(frames[col], cmap="gray", vmin=0.0, vmax=1.0)
            else:
                ax.axis("off")
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    fig.subplots_adjust(left=0.13, right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.05)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


# Config fields that do not change what a seed computes: seeds that differ only
# in these share one results file.
PER_RUN_FIELDS = ("seeds", "resume", "progress", "run_root", "results_file", "mesh")


def merge_seed(results: dict, cfg: Config, shared: dict, seed: int, row: dict) -> dict:
    """``results`` (the results file's contents, ``{}`` for none) with ``row`` as
    seed ``seed``'s entry and ``shared`` (config, data, baselines: functions of
    the config alone) as this run computed them.

    Raises ``ValueError`` naming ``results_file`` if the file holds seeds of
    another configuration.
    """
    if results and results.get("config") != shared["config"]:
        raise ValueError(
            f"results_file: {cfg.results_file} holds seeds of another configuration; "
            "pass another --results_file"
        )
    return {**results, **shared, "seeds": {**results.get("seeds", {}), str(seed): row}}


def run(cfg: Config) -> dict:
    """Every seed in turn: trains each model, writes the seed's ``strip.png`` and
    merges its metrics into ``results_file``; returns that file's contents."""
    if cfg.quick:
        cfg = cfg.quick_version()
    data = load_data(cfg)
    baselines, baseline_test = run_baselines(cfg, data)
    out_dir = pathlib.Path(cfg.run_root) / "video"
    config = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in PER_RUN_FIELDS}
    shared = {
        "config": json.loads(json.dumps(config)),
        "data": {
            "images": {
                "train": len(data.train_images),
                "valid": len(data.valid_images),
                "test": len(data.test_images),
            },
            "sequences": {"valid": len(data.valid), "test": len(data.test)},
        },
        "baselines": baselines,
    }
    results_file = pathlib.Path(cfg.results_file)

    def seed_run(seed: int) -> dict:
        row, strip = {}, {"truth": data.test[:, cfg.context :]}
        for name in cfg.models:
            start = time.perf_counter()
            model, result = train_one(cfg, data, name, seed, out_dir / f"{name}_seed{seed}")
            row[name], strip[name] = evaluate_model(cfg, data, model, result)
            row[name]["wall_s"] = time.perf_counter() - start
        write_strip(out_dir / f"seed{seed}" / "strip.png", cfg, data, strip | baseline_test)
        return row

    results = {}
    for seed in cfg.seeds:
        (row,) = run_seeds([seed], seed_run)
        del row["seed"]
        found = json.loads(results_file.read_text()) if results_file.exists() else {}
        results = merge_seed(found, cfg, shared, seed, row)
        write_json(results_file, results)
    return results | {"device": str(jax.devices()[0])}


def parse_config(argv=None) -> Config:
    return cli.parse_config(Config, argv, description=__doc__.split("\n")[0])


def main(argv=None) -> None:
    results = run(parse_config(argv))
    seeds = results["seeds"].values()
    for name in results["config"]["models"]:
        cells = ", ".join(
            f"test {m.upper()} {format_mean_std([s[name][f'test_{m}'] for s in seeds], 4)}"
            for m in ("mse", "ssim")
        )
        print(f"{ROW_LABELS[name]}: {cells}")
    for name, found in results["baselines"].items():
        print(
            f"{ROW_LABELS[name]}: test MSE {found['test_mse']:.4f}, SSIM {found['test_ssim']:.4f}"
        )
    print(f"wall {sum(s['wall_s'] for s in seeds):.0f} s over the seeds in the file")


if __name__ == "__main__":
    main()
