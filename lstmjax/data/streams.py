"""One long token stream cut for truncated backpropagation through time.

The stream is laid out as ``B`` parallel rows, each a contiguous slice of the
text, and consumed in consecutive windows of ``S`` steps: window ``k`` of row
``b`` continues exactly where window ``k - 1`` of row ``b`` ended, so the
recurrent carry can pass from one batch to the next (stateful training):

>>> import numpy as np
>>> from lstmjax.data.streams import stream_rows, tbptt_windows
>>> ids = np.arange(20)                               # the token stream [N]
>>> rows = stream_rows(ids, 2)                        # [B, L], L = N // B
>>> rows.shape
(2, 10)
>>> for inputs, targets in tbptt_windows(rows, 4):    # each [B, S]
...     print(inputs.tolist(), targets.tolist())
[[0, 1, 2, 3], [10, 11, 12, 13]] [[1, 2, 3, 4], [11, 12, 13, 14]]
[[4, 5, 6, 7], [14, 15, 16, 17]] [[5, 6, 7, 8], [15, 16, 17, 18]]

Each window's row ``b`` continues the previous window's row ``b``; a training
loop passes the carry on: ``carry, loss = step(params, carry, inputs, targets)``.
"""

from __future__ import annotations

import numpy as np


def stream_rows(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """``[N] -> [B, N // B]``: row ``b`` is ``ids[b*L : (b+1)*L]`` (the tail is dropped)."""
    if batch_size < 1:
        raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
    length = len(ids) // batch_size
    if length < 2:
        raise ValueError(
            f"ids: a stream of {len(ids)} tokens is too short for {batch_size} rows of >= 2"
        )
    return np.asarray(ids[: batch_size * length]).reshape(batch_size, length)


def num_windows(rows: np.ndarray, seq_len: int) -> int:
    """How many whole windows of ``seq_len`` inputs (plus the next target) ``rows [B, L]`` holds."""
    return (rows.shape[1] - 1) // seq_len


def tbptt_windows(rows: np.ndarray, seq_len: int):
    """Yields ``(inputs [B, S], targets [B, S])``, consecutive, targets shifted by one."""
    if seq_len < 1:
        raise ValueError(f"seq_len: expected >= 1, got {seq_len}")
    if num_windows(rows, seq_len) < 1:
        raise ValueError(f"seq_len: rows of length {rows.shape[1]} hold no window of {seq_len}")
    for k in range(num_windows(rows, seq_len)):
        start = k * seq_len
        yield rows[:, start : start + seq_len], rows[:, start + 1 : start + seq_len + 1]
