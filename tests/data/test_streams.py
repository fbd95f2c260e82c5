import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmjax.data.streams import num_windows, stream_rows, tbptt_windows


@settings(max_examples=30, deadline=None)
@given(st.integers(20, 300), st.integers(1, 5), st.integers(1, 7))
def test_windows_continue_each_row_and_shift_targets(n, batch, seq_len):
    ids = np.arange(n)
    rows = stream_rows(ids, batch)
    assert rows.shape == (batch, n // batch)
    windows = list(tbptt_windows(rows, seq_len)) if num_windows(rows, seq_len) else []
    assert len(windows) == num_windows(rows, seq_len)
    for k, (inputs, targets) in enumerate(windows):
        assert inputs.shape == targets.shape == (batch, seq_len)
        np.testing.assert_array_equal(targets, inputs + 1)
        if k:
            np.testing.assert_array_equal(inputs[:, 0], windows[k - 1][0][:, -1] + 1)


def test_rows_are_contiguous_slices():
    rows = stream_rows(np.arange(10), 3)
    np.testing.assert_array_equal(rows, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])


def test_bad_sizes_are_errors():
    with pytest.raises(ValueError, match="batch_size"):
        stream_rows(np.arange(10), 0)
    with pytest.raises(ValueError, match="too short"):
        stream_rows(np.arange(3), 2)
    with pytest.raises(ValueError, match="no window"):
        list(tbptt_windows(stream_rows(np.arange(10), 2), 9))
