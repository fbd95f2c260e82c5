"""Session-based next-item recommendation on MovieLens-100k (GRU4Rec-style).

    python experiments/recommend.py --resume    # README: GRU / LSTM vs 3 baselines

Data (``experiments.common.movielens``): each user's movies ordered by
timestamp (ties by item id); the last item is the test target, the
second-to-last the validation target, everything before it trains.

Model (Hidasi et al. 2016, full softmax): item ``x_t`` in ``1 .. N`` (0 pads)
goes through an embedding, a GRU or LSTM from lstmjax and a linear layer over
all ``N + 1`` outputs::

    e_t = E[x_t]                      E [N + 1, embed_size]
    h_t = cell(h_{t-1}, e_t)          h_t [hidden_size]
    z_t = h_t W + b                   W [hidden_size, N + 1], b [N + 1]
    loss = mean over valid t of  -log softmax(z_t)[x_{t+1}]

Training sequences are cut into windows of ``max_len + 1`` items (stride
``max_len``; the state starts at zero in each window), padded, with lengths;
every position predicts the next item. A history is scored from the last
``max_len`` items before the target: ``z`` at its last valid step.

Ranking: over the full item set, excluding the padding index and the items
already in the user's history (a MovieLens user rates a movie once, so a
history item is never the target) for every method alike. Metrics
(``experiments.common.ranking``): Recall@10, Recall@20, NDCG@10, MRR@20.

Selection on validation only: each run keeps the checkpoint with the best
validation NDCG@10 (evaluated every ``eval_every`` steps); the hidden size of
each cell and the item-kNN window are picked from their grids on validation
NDCG@10 (seed ``seeds[0]``), and every grid point's score is saved. Then each
cell runs every seed at its chosen size; test metrics are mean +- sample std
over the seeds. Baselines (``experiments.common.next_item_baselines``), same
split: most popular, item-kNN, first-order Markov. A paired bootstrap over
test users compares the best recurrent model (by mean test NDCG@10; its
per-user metric averaged over seeds) with the best baseline (by test NDCG@10)
on NDCG@10 and Recall@20.
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
import optax

import lstmjax as lj
from experiments.common import next_item_baselines as baselines
from experiments.common import optim, ranking
from experiments.common.bootstrap import paired_bootstrap
from experiments.common.config import run_config
from experiments.common.movielens import Split, history_mask, load_ml100k, pad_last
from experiments.common.seeds import run_seeds
from experiments.common.summary import format_mean_std, summarise
from lstmjax import train
from lstmjax.train import cli
from lstmjax.train.atomic import write_json

CELLS = {"gru": lj.gru, "lstm": lj.lstm}


@dataclasses.dataclass(frozen=True)
class Config:
    cells: tuple = ("gru", "lstm")
    embed_size: int = 64
    hidden_grid: tuple = (128,)
    max_len: int = 50
    learning_rate: float = 3e-3
    batch_size: int = 64
    num_epochs: int = 8
    eval_every: int = 50
    max_grad_norm: float = 1.0
    schedule: str = "constant"
    knn_windows: tuple = (1, 5, 20)
    seeds: tuple = (0, 1, 2)
    bootstrap_resamples: int = 10_000
    results_file: str = "experiments/results/recommend.json"
    run_root: str = "runs"
    resume: bool = False
    quick: bool = False
    progress: bool = True
    mesh: str = ""

    def __post_init__(self):
        train.parse_mesh(self.mesh)  # --mesh data=N: data parallelism; '' one device
        for name in ("embed_size", "max_len", "batch_size", "num_epochs", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if not self.cells or any(cell not in CELLS for cell in self.cells):
            raise ValueError(f"cells: expected some of {tuple(CELLS)}, got {self.cells}")
        if not self.hidden_grid or min(self.hidden_grid) < 1:
            raise ValueError(f"hidden_grid: expected sizes >= 1, got {self.hidden_grid}")
        if not self.knn_windows or min(self.knn_windows) < 1:
            raise ValueError(f"knn_windows: expected windows >= 1, got {self.knn_windows}")
        if not self.seeds:
            raise ValueError("seeds: expected at least one seed")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate: expected > 0, got {self.learning_rate}")
        optim.check_schedule(self.schedule)

    def quick_version(self) -> Config:
        """Seconds, not minutes: the smoke test's settings (results beside the runs)."""
        return dataclasses.replace(
            self,
            cells=("gru",),
            embed_size=16,
            hidden_grid=(16,),
            max_len=20,
            batch_size=512,
            num_epochs=1,
            eval_every=5,
            knn_windows=(1,),
            seeds=(0,),
            bootstrap_resamples=200,
            results_file=str(pathlib.Path(self.run_root) / "recommend" / "results.json"),
        )


def training_windows(train_seqs, max_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows of ``max_len + 1`` items, stride ``max_len``, of every training sequence.

    Returns:
      ``(inputs [W, max_len], targets [W, max_len], lengths [W])``, int32, zero-padded:
      ``targets[w, t]`` is the item after ``inputs[w, t]``; ``lengths[w]`` counts the
      valid positions (>= 1).
    """
    inputs, targets, lengths = [], [], []
    for sequence in train_seqs:
        for start in range(0, len(sequence) - 1, max_len):
            window = sequence[start : start + max_len + 1]
            pad = max_len + 1 - len(window)
            window = np.pad(window, (0, pad))
            valid = np.arange(max_len) < max_len - pad
            inputs.append(np.where(valid, window[:-1], 0))
            targets.append(window[1:])
            lengths.append(max_len - pad)
    return (
        np.array(inputs, dtype=np.int32),
        np.array(targets, dtype=np.int32),
        np.array(lengths, dtype=np.int32),
    )


def build(cell_name: str, hidden_size: int, embed_size: int, num_items: int):
    """``(init, logits)``: ``init(key) -> params``; ``logits(params, items [B, T],
    lengths [B]) -> [B, T, N + 1]`` (the module doc's ``z_t``), jitted."""
    cell = CELLS[cell_name](hidden_size)
    vocab = num_items + 1

    def init(key):
        k_embed, k_cell, k_out = jax.random.split(key, 3)
        return {
            "embed": jax.random.normal(k_embed, (vocab, embed_size)) / np.sqrt(embed_size),
            "cell": cell.init(k_cell, embed_size),
            "out_w": jax.random.normal(k_out, (hidden_size, vocab)) / np.sqrt(hidden_size),
            "out_b": jnp.zeros(vocab),
        }

    def logits(params, items, lengths):
        hs, _ = lj.rnn(cell, params["cell"], params["embed"][items], lengths=lengths)
        return hs @ params["out_w"] + params["out_b"]

    return init, jax.jit(logits)


def next_item_scores(logits_fn, params, histories, max_len: int) -> np.ndarray:
    """``[U, N + 1]`` scores (logits at the last valid step) of each history's next item."""
    items, lengths = pad_last(histories, max_len)
    zs = logits_fn(params, jnp.asarray(items), jnp.asarray(lengths))
    return np.asarray(lj.last_valid(zs, jnp.asarray(lengths)))


def rank_targets(scores, histories, targets, num_items: int) -> np.ndarray:
    """``[U]`` ranks of ``targets`` with the history items excluded."""
    return ranking.target_ranks(scores, targets, history_mask(histories, num_items))


def train_one(cfg: Config, split: Split, cell_name: str, hidden: int, seed: int, run_dir):
    """Trains one model; returns ``(logits_fn, FitResult)``, best params by val NDCG@10."""
    init, logits_fn = build(cell_name, hidden, cfg.embed_size, split.num_items)
    inputs, targets, lengths = training_windows(split.train, cfg.max_len)
    steps_per_epoch = len(inputs) // cfg.batch_size
    num_steps = steps_per_epoch * cfg.num_epochs

    def loss_fn(params, batch, key):
        del key
        items, next_items, lens = batch
        zs = logits_fn(params, items, lens)
        mask = lj.length_mask(lens, items.shape[1]).T.astype(zs.dtype)  # [B, T]
        losses = optax.softmax_cross_entropy_with_integer_labels(zs, next_items)
        return jnp.sum(losses * mask) / jnp.sum(mask), {}

    def batch_fn(step: int):
        epoch, index = divmod(step, steps_per_epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(inputs))
        take = order[index * cfg.batch_size : (index + 1) * cfg.batch_size]
        return inputs[take], targets[take], lengths[take]

    def eval_fn(params):
        scores = next_item_scores(logits_fn, params, split.valid_history, cfg.max_len)
        log_p = jax.nn.log_softmax(jnp.asarray(scores))
        rows = np.arange(len(split.valid_target))
        found = ranking.metrics(
            rank_targets(scores, split.valid_history, split.valid_target, split.num_items)
        )
        loss = -float(jnp.mean(log_p[rows, split.valid_target]))
        return {"loss": loss, "neg_ndcg10": -found["ndcg10"], "recall20": found["recall20"]}

    optimizer = optim.make_optimizer(
        cfg.learning_rate,
        max_grad_norm=cfg.max_grad_norm,
        num_steps=num_steps,
        schedule=cfg.schedule,
    )
    state = train.create_state(init(jax.random.key(seed)), optimizer, key=jax.random.key(seed))
    eval_every = min(cfg.eval_every, num_steps)
    mesh = train.parse_mesh(cfg.mesh)
    result = train.fit(
        state,
        train.make_train_step(loss_fn, optimizer, mesh=mesh),
        batch_fn,
        num_steps=num_steps,
        run_dir=run_dir,
        config=run_config(cfg, cell=cell_name, hidden_size=hidden, seed=seed),
        log_every=eval_every,
        checkpoint_every=eval_every * max(1, num_steps // eval_every),
        eval_fn=eval_fn,
        eval_every=eval_every,
        select="neg_ndcg10",
        resume=cfg.resume,
        examples_per_step=cfg.batch_size,
        progress=cfg.progress,
        mesh=mesh,
        ignore=(
            "resume",
            "mesh",
            "progress",
            "seeds",
            "cells",
            "hidden_grid",
            "knn_windows",
            "bootstrap_resamples",
            "results_file",
        ),
    )
    return logits_fn, result


def evaluate_model(cfg: Config, split: Split, logits_fn, result) -> tuple[dict, dict]:
    """``(metrics, per-user test metrics)`` of the best checkpoint: validation and test
    metrics, its step and the first and last training loss."""
    out = {"best_step": result.best_step}
    for name, histories, targets in (
        ("valid", split.valid_history, split.valid_target),
        ("test", split.test_history, split.test_target),
    ):
        scores = next_item_scores(logits_fn, result.best_params, histories, cfg.max_len)
        ranks = rank_targets(scores, histories, targets, split.num_items)
        out |= {f"{name}_{k}": v for k, v in ranking.metrics(ranks).items()}
    train_losses = [r["loss"] for r in result.records if r["split"] == "train"]
    out |= {"first_loss": train_losses[0], "last_loss": train_losses[-1]}
    return out, ranking.per_user(ranks)


def run_baselines(cfg: Config, split: Split) -> tuple[dict, dict, list]:
    """Each baseline's validation and test metrics, the kNN grid, per-user test metrics."""

    def scored(score_fn):
        out = {}
        for name, histories, targets in (
            ("valid", split.valid_history, split.valid_target),
            ("test", split.test_history, split.test_target),
        ):
            ranks = rank_targets(score_fn(histories), histories, targets, split.num_items)
            out |= {f"{name}_{k}": v for k, v in ranking.metrics(ranks).items()}
        return out, ranking.per_user(ranks)

    knn_grid = []
    for window in cfg.knn_windows:
        found, users = scored(
            lambda h, w=window: baselines.knn_scores(split.train, split.num_items, h, w)
        )
        knn_grid.append({"window": window, **found, "per_user": users})
    best_knn = max(knn_grid, key=lambda row: row["valid_ndcg10"])
    results = {
        "most_popular": scored(
            lambda h: baselines.popularity_scores(split.train, split.num_items, len(h))
        ),
        "item_knn": ({k: v for k, v in best_knn.items() if k != "per_user"}, best_knn["per_user"]),
        "markov": scored(lambda h: baselines.markov_scores(split.train, split.num_items, h)),
    }
    grid = [{k: v for k, v in row.items() if k != "per_user"} for row in knn_grid]
    return (
        {name: found for name, (found, _) in results.items()},
        {name: users for name, (_, users) in results.items()},
        grid,
    )


def run(cfg: Config) -> dict:
    """The whole experiment; returns (and writes to ``results_file``) the summary."""
    if cfg.quick:
        cfg = cfg.quick_version()
    start = time.perf_counter()
    split = load_ml100k()
    out_dir = pathlib.Path(cfg.run_root) / "recommend"
    baseline_metrics, baseline_users, knn_grid = run_baselines(cfg, split)
    trained = {}

    def model_run(cell: str, hidden: int, seed: int) -> dict:
        key = (cell, hidden, seed)
        if key not in trained:
            run_dir = out_dir / f"{cell}_h{hidden}_seed{seed}"
            trained[key] = evaluate_model(
                cfg, split, *train_one(cfg, split, cell, hidden, seed, run_dir)
            )
        return trained[key][0]

    hidden_grid, models, model_users = [], {}, {}
    for cell in cfg.cells:
        for hidden in cfg.hidden_grid:
            found = model_run(cell, hidden, cfg.seeds[0])
            hidden_grid.append(
                {
                    "cell": cell,
                    "hidden_size": hidden,
                    "seed": cfg.seeds[0],
                    **{k: v for k, v in found.items() if k.startswith("valid_")},
                }
            )
        rows = [row for row in hidden_grid if row["cell"] == cell]
        hidden = max(rows, key=lambda row: row["valid_ndcg10"])["hidden_size"]
        per_seed = run_seeds(cfg.seeds, lambda seed, c=cell, h=hidden: model_run(c, h, seed))
        keys = [f"{split_}_{m}" for split_ in ("valid", "test") for m in ranking.METRICS]
        models[cell] = {"hidden_size": hidden, "per_seed": per_seed, **summarise(per_seed, keys)}
        model_users[cell] = {
            m: np.mean([trained[(cell, hidden, s)][1][m] for s in cfg.seeds], axis=0)
            for m in ranking.METRICS
        }

    best_model = max(models, key=lambda c: models[c]["test_ndcg10_mean"])
    best_baseline = max(baseline_metrics, key=lambda b: baseline_metrics[b]["test_ndcg10"])
    paired = {
        metric: paired_bootstrap(
            model_users[best_model][metric],
            baseline_users[best_baseline][metric],
            n_resamples=cfg.bootstrap_resamples,
        )._asdict()
        for metric in ("ndcg10", "recall20")
    }
    summary = {
        "config": dataclasses.asdict(cfg),
        "data": {
            "users": len(split.train),
            "items": split.num_items,
            "train_interactions": int(sum(len(s) for s in split.train)),
        },
        "baselines": baseline_metrics,
        "knn_grid": knn_grid,
        "hidden_grid": hidden_grid,
        "models": models,
        "paired_bootstrap": {"model": best_model, "baseline": best_baseline, **paired},
        "wall_s": time.perf_counter() - start,
        "device": str(jax.devices()[0]),
    }
    write_json(pathlib.Path(cfg.results_file), summary)
    return summary


def parse_config(argv=None) -> Config:
    return cli.parse_config(Config, argv, description=__doc__.split("\n")[0])


def main(argv=None) -> None:
    summary = run(parse_config(argv))
    for cell, found in summary["models"].items():
        cells = ", ".join(
            f"{m} {format_mean_std([r['test_' + m] for r in found['per_seed']], 4)}"
            for m in ranking.METRICS
        )
        print(f"{cell} (hidden {found['hidden_size']}): {cells}")
    for name, found in summary["baselines"].items():
        print(f"{name}: " + ", ".join(f"{m} {found['test_' + m]:.4f}" for m in ranking.METRICS))
    test = summary["paired_bootstrap"]
    for metric in ("ndcg10", "recall20"):
        print(
            f"{test['model']} minus {test['baseline']}, {metric}: "
            f"{test[metric]['mean_difference']:+.4f} "
            f"[{test[metric]['low']:+.4f}, {test[metric]['high']:+.4f}], "
            f"p {test[metric]['pvalue']:.3g}"
        )
    print(f"wall {summary['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
