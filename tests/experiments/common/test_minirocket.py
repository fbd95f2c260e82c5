import numpy as np

from experiments.common.minirocket import channels_first, minirocket_predict


def waves(n: int, seed: int):
    """Two classes of 2-channel series, 8 steps: slow vs fast sines with noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    t = np.arange(8)[None, :, None]
    freq = np.where(labels == 0, 0.3, 1.4)[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 2))
    xs = np.sin(freq * t + phase) + 0.1 * rng.standard_normal((n, 8, 2))
    return xs.astype(np.float32), labels


def test_channels_first_pads_short_series_to_nine_steps():
    out = channels_first(np.ones((3, 5, 2)))
    assert out.shape == (3, 2, 9) and out.dtype == np.float32
    assert np.all(out[:, :, :5] == 1) and np.all(out[:, :, 5:] == 0)


def test_minirocket_separates_slow_from_fast_waves():
    train_xs, train_labels = waves(20, seed=0)
    test_xs, test_labels = waves(20, seed=1)
    predictions, alpha = minirocket_predict(train_xs, train_labels, test_xs, num_kernels=84)
    assert np.mean(predictions == test_labels) >= 0.9
    assert 1e-3 <= alpha <= 1e3
