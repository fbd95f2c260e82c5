"""Long-term memory: the LSTM against the plain tanh RNN and the GRU, same budget.

    python experiments/long_memory.py --task adding --T 400 --steps 2500 --hidden 128 \
        --cells lstm,gru,rnn --seed S

reaches LSTM test MSE 0.00033 +- 0.00010 over seeds S = 0, 1, 2, while the
tanh RNN stays at 0.164, about the 0.167 of always answering 1, and the GRU
learns it in one seed of three (docs/guides/experiments.md, "Long-term
memory", has every task's table and paired tests, generated from
``experiments/results/long_memory.json``).

Tasks (``lstmjax.data.synthetic``), each a fresh stream of batches keyed by
the step, so a checkpoint's data position is its step count:

- ``adding``: sum of two marked values among ``T`` (regression, test MSE;
  baseline: always predict 1, MSE 1/6);
- ``adding_hs``: the adding problem in Hochreiter & Schmidhuber's 1997 form
  (lengths ``T .. 1.1 T``, read at each sequence's end; test fraction of
  sequences off by more than 0.04; baseline: always 0.5, about 0.85 wrong).
  Solved when at most 3 of 2560 validation sequences are wrong (their
  Table 7 criterion); the row reports the training sequences seen until then
  (with ``--until_solved`` training stops there, as theirs did);
- ``recall``: reproduce 10 symbols (of 8) after ``T`` blanks (test accuracy
  on the recalled symbols; baseline: guess, 1/8);
- ``order``: the order of two X/Y symbols among ``T`` distractors (test
  accuracy; baseline: guess, 1/4). Solved when at most 1 of 2560
  validation sequences is misclassified (H&S 1997 Table 9 reports 1/2560).

Cells: ``lstm`` (chrono initialisation, ``chrono=T``), ``gru``, ``rnn`` (tanh,
same hidden size), and the plain RNN's fair chances at the LSTM's parameter
count: ``rnn_matched`` (tanh) and ``irnn_matched`` (ReLU, identity ``w_hh``:
Le, Jaitly & Hinton 2015). Every cell gets the same steps, batch, Adam
schedule and gradient clipping (``experiments.common.optim``); with
``--lrs`` each cell trains once per learning rate and keeps the one with the
lowest validation loss (the grid is in its row). The params with the lowest validation
loss are scored on a separate test set; model selection never sees the test
set. Every cell of a seed sees the same training batches and the same test
sequences, and each row keeps its error per test sequence (squared error,
wrong or right, or the fraction of recalled symbols wrong), so that
``experiments.common.long_memory_table`` can test the LSTM against each other
cell paired on those sequences. Each cell's run lives in ``runs/long_memory/<run-name>/<cell>/``
(metrics.jsonl, metrics.png, checkpoints); ``--resume`` continues them; the
table goes to stdout and ``results.json``, the validation curves of all cells
to ``compare.png``. Finished rows also collect, by task, ``T`` and seed, in
``--results_file`` (``experiments/results/long_memory.json``), from which
``experiments.common.long_memory_table`` writes the experiments page's table.

The script's shape is every experiment's: a frozen ``Config``, ``build(config)``
(the cells compared), ``run(config) -> results`` and ``main(argv)``.
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
import jax.numpy as jnp
import optax

import lstmjax as lj
from experiments.common import item_scores, optim
from experiments.common.config import run_config
from experiments.common.seeds import run_seeds
from lstmjax import train
from lstmjax.data import synthetic
from lstmjax.diagnostics import gradient_norm_per_step
from lstmjax.models.readout import last_step_readout, linear_readout
from lstmjax.train import cli
from lstmjax.train.atomic import write_json

EXPERIMENT = "long_memory"
RECALL_SYMBOLS, RECALL_LENGTH = 8, 10


@dataclasses.dataclass(frozen=True)
class Config:
    task: str = "adding"
    T: int = 100
    steps: int = 2000
    cells: tuple = ("lstm", "rnn")
    hidden: int = 128
    batch_size: int = 64
    lr: float = 2e-3
    lrs: tuple = ()
    clip: float = 1.0
    schedule: str = "constant"
    chrono: bool = True
    unroll: int = 4
    seed: int = 0
    eval_size: int = 512
    test_size: int = 2048
    log_every: int = 50
    eval_every: int = 250
    checkpoint_every: int = 500
    run_root: str = "runs"
    run_name: str = ""
    results_file: str = ""
    resume: bool = False
    quick: bool = False
    progress: bool = True
    mesh: str = ""
    until_solved: bool = False

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        if self.task not in TASKS:
            raise ValueError(f"task: expected one of {sorted(TASKS)}, got {self.task!r}")
        if self.until_solved and TASKS[self.task].solved_at_most_wrong is None:
            criterion = sorted(n for n, t in TASKS.items() if t.solved_at_most_wrong is not None)
            raise ValueError(
                f"until_solved: expected a task with a solved criterion ({criterion}), "
                f"got {self.task!r}"
            )
        if unknown := set(self.cells) - set(CELLS):
            raise ValueError(f"cells: expected some of {sorted(CELLS)}, got {sorted(unknown)}")
        optim.check_schedule(self.schedule)
        try:  # the command line gives the grid as strings
            object.__setattr__(self, "lrs", tuple(float(lr) for lr in self.lrs))
        except ValueError:
            raise ValueError(f"lrs: expected numbers, got {self.lrs}") from None
        if any(not lr > 0 for lr in self.lrs) or not self.lr > 0:
            raise ValueError(
                f"lr, lrs: expected positive learning rates, got {self.lr}, {self.lrs}"
            )

    @property
    def results_path(self) -> pathlib.Path:
        """Where finished rows collect: ``results_file``, else the committed
        results (a ``--quick`` run: beside its runs)."""
        if self.results_file:
            return pathlib.Path(self.results_file)
        if self.quick:
            return pathlib.Path(self.run_root) / EXPERIMENT / "results.json"
        return pathlib.Path("experiments/results/long_memory.json")

    @property
    def learning_rates(self) -> tuple:
        """The grid each cell trains over: ``lrs``, or just ``lr``."""
        return tuple(self.lrs) or (self.lr,)

    @property
    def name(self) -> str:
        return self.run_name or f"{self.task}-T{self.T}-seed{self.seed}" + "-quick" * self.quick


QUICK = dict(T=20, steps=60, hidden=16, batch_size=16, eval_size=64, test_size=64, lr=1e-2)
QUICK.update(log_every=10, eval_every=20, checkpoint_every=30, unroll=1)


def matched_hidden(hidden: int, input_size: int) -> int:
    """The plain RNN's hidden size ``H'`` whose parameter count
    ``H'^2 + H' (D + 1)`` is nearest the LSTM's ``4 (H (D + H) + H)``."""
    target = 4 * (hidden * (input_size + hidden) + hidden)
    b = input_size + 1
    return round((-b + math.sqrt(b * b + 4 * target)) / 2)


CELLS: dict[str, Callable[[Config], lj.Cell]] = {
    "lstm": lambda c: lj.lstm(c.hidden, chrono=c.T if c.chrono and c.T > 2 else None),
    "rnn": lambda c: lj.simple_rnn(c.hidden),
    "gru": lambda c: lj.gru(c.hidden),
    "rnn_matched": lambda c: lj.simple_rnn(matched_hidden(c.hidden, TASKS[c.task].input_size)),
    "irnn_matched": lambda c: lj.simple_rnn(
        matched_hidden(c.hidden, TASKS[c.task].input_size),
        nonlinearity="relu",
        recurrent_init="identity",
    ),
}


class Task(NamedTuple):
    """A task: its batches, the readout of the RNN outputs, the loss, the trivial
    baseline, each test sequence's error (what the paired tests between cells
    compare), and (for H&S's criteria) how many of ``CRITERION_SIZE``
    validation sequences may be wrong for it to count as solved."""

    input_size: int
    batch: Callable  # (key, batch_size, T) -> Batch or LengthBatch
    head: lj.Cell | object
    predict: Callable  # (head, head_params, ys, lengths) -> predictions
    loss: Callable  # (predictions, targets) -> (loss, metrics)
    metric: str
    baseline: Callable  # T -> the trivial predictor's metric
    item_error: Callable  # (predictions, targets) -> [B] error per sequence, lower is better
    item_error_name: str  # "squared error" | "wrong" (0 or 1) | "fraction wrong"
    solved_at_most_wrong: int | None = None


CRITERION_SIZE = 2560  # H&S 1997's test sets: a criterion task validates and tests on this many


def squared_error(pred, targets):
    """``[B]``: each sequence's squared error, from ``pred``, ``targets [B, 1]``."""
    return jnp.sum((pred - targets) ** 2, axis=-1)


def off_by_tolerance(pred, targets):
    """``[B]``: 1 where a sequence is off by more than H&S's 0.04, else 0."""
    return jnp.any(jnp.abs(pred - targets) > synthetic.HS97_TOLERANCE, axis=-1).astype(jnp.float32)


def misclassified(logits, labels):
    """``[B]``: 1 where the class of ``logits [B, C]`` is not ``labels [B]``, else 0."""
    return (jnp.argmax(logits, -1) != labels).astype(jnp.float32)


def symbols_wrong(logits, labels):
    """``[B]``: each sequence's fraction of recalled symbols wrong, ``logits [B, L, C]``."""
    return jnp.mean(jnp.argmax(logits, -1) != labels, axis=-1)


def mse_loss(pred, targets):
    mse = jnp.mean(squared_error(pred, targets))
    return mse, {"mse": mse}


def classification_loss(logits, labels):
    ce = jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
    return ce, {"accuracy": jnp.mean(jnp.argmax(logits, -1) == labels)}


def tolerance_loss(pred, targets):
    """MSE, and the fraction of sequences off by more than H&S's 0.04."""
    mse, metrics = mse_loss(pred, targets)
    wrong = jnp.mean(off_by_tolerance(pred, targets))
    return mse, {**metrics, "wrong": wrong}


def last_step(head, p, ys, lengths):
    return head.apply(p, ys, lengths=lengths)


TASKS = {
    "adding": Task(
        2,
        synthetic.adding,
        last_step_readout(1, bias=1.0),
        last_step,
        mse_loss,
        "mse",
        lambda T: synthetic.ADDING_BASELINE_MSE,
        item_error=squared_error,
        item_error_name="squared error",
    ),
    "adding_hs": Task(
        2,
        synthetic.adding_hs97,
        last_step_readout(1, bias=0.5),
        last_step,
        tolerance_loss,
        "wrong",
        lambda T: synthetic.hs97_baselines(T)[1],
        item_error=off_by_tolerance,
        item_error_name="wrong",
        solved_at_most_wrong=3,
    ),
    "recall": Task(
        RECALL_SYMBOLS + 2,
        lambda key, b, t: synthetic.delayed_recall(
            key, b, t, num_symbols=RECALL_SYMBOLS, length=RECALL_LENGTH
        ),
        linear_readout(RECALL_SYMBOLS),
        lambda head, p, ys, lengths: head.apply(p, ys[:, -RECALL_LENGTH:]),
        classification_loss,
        "accuracy",
        lambda T: 1.0 / RECALL_SYMBOLS,
        item_error=symbols_wrong,
        item_error_name="fraction wrong",
    ),
    "order": Task(
        8,
        synthetic.temporal_order,
        last_step_readout(4),
        last_step,
        classification_loss,
        "accuracy",
        lambda T: 0.25,
        item_error=misclassified,
        item_error_name="wrong",
        solved_at_most_wrong=1,
    ),
}


def build(cfg: Config) -> dict[str, lj.Cell]:
    """The cells compared, by name, in ``cfg.cells`` order."""
    return {name: CELLS[name](cfg) for name in cfg.cells}


def held_out_sizes(cfg: Config, task: Task) -> tuple[int, int]:
    """Validation and test sizes: H&S's 2560 for a task with a solved criterion
    (a ``--quick`` run keeps its small sets; its counts of 2560 are scaled up)."""
    if task.solved_at_most_wrong is not None and not cfg.quick:
        return CRITERION_SIZE, CRITERION_SIZE
    return cfg.eval_size, cfg.test_size


def wrong_fraction(task: Task, metrics: dict) -> float:
    return metrics["wrong"] if task.metric == "wrong" else 1.0 - metrics["accuracy"]


def sequences_until_solved(cfg: Config, task: Task, records: list[dict]) -> int | None:
    """Training sequences seen at the first validation that meets the task's
    criterion (at most ``solved_at_most_wrong`` of 2560 wrong); None if none did."""
    if task.solved_at_most_wrong is None:
        return None
    for record in sorted((r for r in records if r["split"] == "val"), key=lambda r: r["step"]):
        if solved(task, record):
            return record["step"] * cfg.batch_size
    return None


def solved(task: Task, record: dict) -> bool:
    """Whether a validation record meets the task's criterion (at most
    ``solved_at_most_wrong`` of 2560 wrong)."""
    return round(wrong_fraction(task, record) * CRITERION_SIZE) <= task.solved_at_most_wrong


def train_at(cfg: Config, seed: int, cell_name: str, cell: lj.Cell, lr: float) -> dict:
    """Trains one cell at one learning rate; returns its row of the results table."""
    task = TASKS[cfg.task]
    k_init, k_head, k_train, k_data, k_val, k_test = jax.random.split(jax.random.key(seed), 6)
    params = {
        "cell": cell.init(k_init, task.input_size),
        "head": task.head.init(k_head, cell.output_size),
    }

    def predict(params, batch):
        lengths = getattr(batch, "lengths", None)
        ys, _ = lj.rnn(cell, params["cell"], batch.inputs, lengths=lengths, unroll=cfg.unroll)
        return task.predict(task.head, params["head"], ys, lengths)

    def loss_fn(params, batch, key):
        return task.loss(predict(params, batch), batch.targets)

    optimizer = optim.make_optimizer(
        lr, max_grad_norm=cfg.clip, num_steps=cfg.steps, schedule=cfg.schedule
    )
    state = train.create_state(params, optimizer, key=k_train)
    batch_fn = jax.jit(
        lambda step: task.batch(jax.random.fold_in(k_data, step), cfg.batch_size, cfg.T)
    )
    mesh = train.parse_mesh(cfg.mesh)
    eval_step = train.make_eval_step(loss_fn, mesh=mesh)

    def held_out(key, size):
        eval_batch = min(size, 256)
        keys = jax.random.split(key, max(1, size // eval_batch))
        return [task.batch(k, eval_batch, cfg.T) for k in keys]

    val_size, test_size = held_out_sizes(cfg, task)
    val, test = held_out(k_val, val_size), held_out(k_test, test_size)
    run_name = cell_name if len(cfg.learning_rates) == 1 else f"{cell_name}-lr{lr:g}"
    start = time.perf_counter()
    result = train.fit(
        state,
        train.make_train_step(loss_fn, optimizer, mesh=mesh),
        batch_fn,
        num_steps=cfg.steps,
        run_dir=train.run_directory(cfg.run_root, EXPERIMENT, cfg.name) / run_name,
        config=run_config(cfg, cell=cell_name, lr=lr),
        log_every=cfg.log_every,
        checkpoint_every=cfg.checkpoint_every,
        eval_fn=lambda p: train.evaluate(eval_step, p, val),
        eval_every=cfg.eval_every,
        resume=cfg.resume,
        ignore=("resume", "mesh", "progress", "cells", "lrs", "results_file"),
        examples_per_step=cfg.batch_size,
        progress=cfg.progress,
        mesh=mesh,
        plot_keys=("loss", task.metric),
        stop_when=(lambda record: solved(task, record)) if cfg.until_solved else None,
    )
    scores = train.evaluate(eval_step, result.best_params, test)
    item_errors = jax.jit(lambda p, b: task.item_error(predict(p, b), b.targets))
    errors = [e for b in test for e in item_errors(result.best_params, b).tolist()]
    batch = test[0]
    sensitivity = gradient_norm_per_step(
        lambda xs: loss_fn(result.best_params, batch._replace(inputs=xs), None)[0], batch.inputs
    )
    train_records = [r for r in result.records if r["split"] == "train"]
    val_losses = [r["loss"] for r in result.records if r["split"] == "val"]
    finite = [v for v in val_losses if math.isfinite(v)]
    row = {
        "cell": cell_name,
        "hidden": cell.output_size,
        "params": sum(x.size for x in jax.tree.leaves(params["cell"])),
        "lr": lr,
        "test_" + task.metric: scores[task.metric],
        "test_loss": scores["loss"],
        "best_step": result.best_step,
        "steps_done": int(result.state.step),
        "best_val_loss": min(finite) if finite else math.nan,
        "grad_first_over_last": float(sensitivity[0] / sensitivity[-1]),
        "first_train_loss": train_records[0]["loss"],
        "last_train_loss": train_records[-1]["loss"],
        "wall_time_s": train_records[-1]["wall_time"],
        "this_process_s": time.perf_counter() - start,
        "test_item_error": task.item_error_name,
        # Per test sequence, in test order (every cell of a seed sees the same
        # sequences): what long_memory_table's paired tests compare.
        "test_item_errors": item_scores.pack(errors),
        "records": result.records,
    }
    if task.solved_at_most_wrong is not None:
        row["test_wrong_of_2560"] = round(wrong_fraction(task, scores) * CRITERION_SIZE)
        row["sequences_until_solved"] = sequences_until_solved(cfg, task, result.records)
    return row


def train_cell(cfg: Config, seed: int, cell_name: str, cell: lj.Cell) -> dict:
    """Trains one cell at every learning rate of the grid; returns the row of
    the one with the lowest validation loss, with the grid's scores. A rate
    whose validation loss never was a number (it diverged) is never chosen
    over one that learned."""
    rows = [train_at(cfg, seed, cell_name, cell, lr) for lr in cfg.learning_rates]
    best = min(rows, key=lambda row: (math.isnan(row["best_val_loss"]), row["best_val_loss"]))
    grid = [{"lr": row["lr"], "best_val_loss": row["best_val_loss"]} for row in rows]
    return {**best, "lr_grid": grid}


def _ratio(x: float) -> str:
    return f"{x:.2g}" if x > 0 else "0 (underflow)"


def format_table(cfg: Config, rows: list[dict]) -> str:
    task = TASKS[cfg.task]
    key = "test_" + task.metric
    lines = [
        f"{cfg.task}, T={cfg.T}, {cfg.steps} steps, batch {cfg.batch_size}, hidden {cfg.hidden}, "
        f"seed {cfg.seed}",
        f"| model | test {task.metric} | trivial baseline | best val step "
        "| \u2016dL/dx_1\u2016 / \u2016dL/dx_T\u2016 | train wall time |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['cell']} | {row[key]:.4g} | {task.baseline(cfg.T):.4g} | {row['best_step']} "
            f"| {_ratio(row['grad_first_over_last'])} | {row['wall_time_s']:.0f} s |"
        )
    return "\n".join(lines)


def plot_comparison(cfg: Config, rows: list[dict], path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = TASKS[cfg.task].metric
    fig, ax = plt.subplots(figsize=(6, 4))
    for row in rows:
        val = [(r["step"], r[metric]) for r in row["records"] if r["split"] == "val"]
        ax.plot(*zip(*val), label=row["cell"])
    ax.axhline(
        TASKS[cfg.task].baseline(cfg.T), color="gray", linestyle="--", label="trivial baseline"
    )
    if metric == "mse":
        ax.set_yscale("log")
    ax.set(xlabel="step", ylabel=f"validation {metric}", title=f"{cfg.task}, T={cfg.T}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# Config fields that do not change what a cell computes: runs that differ only
# in these share an entry of the results file.
PER_RUN_FIELDS = (
    "seed",
    "cells",
    "resume",
    "progress",
    "run_root",
    "run_name",
    "results_file",
    "mesh",
)


def results_key(cfg: Config) -> str:
    """The results file's entry for ``cfg``: ``"adding T=100"``; runs with a
    learning-rate grid (``--lrs``) get an entry of their own,
    ``"adding T=100 lr grid"``, beside the fixed-rate one."""
    return f"{cfg.task} T={cfg.T}" + " lr grid" * bool(cfg.lrs)


def merge_rows(results: dict, cfg: Config, rows: list[dict]) -> dict:
    """``results`` (the results file's contents, ``{}`` for none) with ``rows``
    as seed ``cfg.seed``'s cells in the entry ``results_key(cfg)``.

    Raises ``ValueError`` naming ``results_file`` if that entry holds runs of
    another configuration (steps, hidden size, learning rates, ...).
    """
    shared = {k: v for k, v in run_config(cfg).items() if k not in PER_RUN_FIELDS}
    key = results_key(cfg)
    entry = results.get(key, {"task": cfg.task, "T": cfg.T, "config": shared, "seeds": {}})
    if entry["config"] != shared:
        raise ValueError(
            f"results_file: {cfg.results_path}'s entry {key!r} holds runs of another "
            "configuration; pass another --results_file"
        )
    seed = {**entry["seeds"].get(str(cfg.seed), {}), **{row["cell"]: row for row in rows}}
    entry = {**entry, "seeds": {**entry["seeds"], str(cfg.seed): seed}}
    return {**results, key: entry}


def run(cfg: Config) -> dict:
    """Trains every cell (one seed: ``cfg.seed``); writes ``compare.png`` and
    ``results.json``, and adds the rows to ``cfg.results_path``.

    Returns:
      ``{"config": .., "results": [one row per cell, without its records]}``,
      what ``results.json`` holds.
    """
    cells = build(cfg)
    (seed_row,) = run_seeds(
        [cfg.seed],
        lambda seed: {"cells": [train_cell(cfg, seed, n, c) for n, c in cells.items()]},
    )
    rows = seed_row["cells"]
    out = train.run_directory(cfg.run_root, EXPERIMENT, cfg.name)
    plot_comparison(cfg, rows, out / "compare.png")
    summary = [{k: v for k, v in row.items() if k != "records"} for row in rows]
    results = {"config": dataclasses.asdict(cfg), "results": summary}
    write_json(out / "results.json", results)
    path = cfg.results_path
    collected = json.loads(path.read_text()) if path.exists() else {}
    write_json(path, merge_rows(collected, cfg, summary))
    return results


def parse_config(argv=None) -> Config:
    return cli.parse_config(
        Config,
        argv,
        description=__doc__.split("\n\n")[0],
        presets={"quick": QUICK},
    )


def main(argv=None) -> None:
    cfg = parse_config(argv)
    print(format_table(cfg, run(cfg)["results"]), flush=True)


if __name__ == "__main__":
    main()
