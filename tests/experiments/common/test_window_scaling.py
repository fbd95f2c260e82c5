import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.common import window_scaling


@settings(max_examples=20, deadline=None)
@given(st.booleans(), st.booleans(), st.integers(0, 1000))
def test_window_scaling_round_trips(log, anchored, seed):
    rng = np.random.default_rng(seed)
    series = np.exp(np.cumsum(rng.normal(0.01, 0.1, 80))) * 100
    scaler = window_scaling.fit_scaler(series[:60], log=log, anchored=anchored)
    inputs, targets = series[None, 40:60], series[None, 60:70]
    x, y = window_scaling.encode(scaler, inputs, targets)
    if anchored:
        assert x[0, -1] == 0.0
    np.testing.assert_allclose(window_scaling.decode(scaler, inputs, y), targets, rtol=1e-5)


def test_log_scaling_needs_positive_history():
    with pytest.raises(ValueError, match="positive"):
        window_scaling.fit_scaler(np.array([1.0, 0.0, 2.0]), log=True, anchored=True)
