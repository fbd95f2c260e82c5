import numpy as np
import pytest

from experiments.common.ssim import frame_mse, gaussian_window, ssim


def loop_ssim(x, y):
    """Wang et al. 2004 by direct loops: the 2-D Gaussian window at every valid position."""
    offsets = np.arange(11) - 5.0
    window = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * 1.5**2))
    window /= window.sum()
    c1, c2 = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2
    values = []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            a, b = x[i : i + 11, j : j + 11], y[i : i + 11, j : j + 11]
            mu_a, mu_b = (window * a).sum(), (window * b).sum()
            var_a = (window * (a - mu_a) ** 2).sum()
            var_b = (window * (b - mu_b) ** 2).sum()
            cov = (window * (a - mu_a) * (b - mu_b)).sum()
            values.append(
                (2 * mu_a * mu_b + c1)
                * (2 * cov + c2)
                / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
            )
    return np.mean(values)


def test_ssim_equals_a_direct_loop():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(2, 3, 16, 14))
    y = np.clip(x + rng.normal(scale=0.2, size=x.shape), 0, 1)
    y[1, 2] = rng.uniform(size=(16, 14))  # an unrelated pair too
    found = ssim(x, y)
    assert found.shape == (2, 3)
    expected = np.array([[loop_ssim(x[a, b], y[a, b]) for b in range(3)] for a in range(2)])
    np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)


def test_ssim_of_an_image_with_itself_is_one_and_symmetric():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(size=(32, 32)), rng.uniform(size=(32, 32))
    np.testing.assert_allclose(ssim(x, x), 1.0)
    np.testing.assert_allclose(ssim(x, y), ssim(y, x))
    assert ssim(x, y) < 0.2


def test_window_and_mse():
    g = gaussian_window()
    assert g.shape == (11,) and np.isclose(g.sum(), 1.0) and g.argmax() == 5
    x = np.zeros((2, 4, 4))
    y = np.ones((2, 4, 4))
    y[1] = 0.5
    np.testing.assert_allclose(frame_mse(x, y), [1.0, 0.25])


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="x, y"):
        ssim(np.zeros((16, 16)), np.zeros((16, 15)))
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(np.zeros((8, 8)), np.zeros((8, 8)))
    with pytest.raises(ValueError, match="x, y"):
        frame_mse(np.zeros((2, 2)), np.zeros((3, 2)))
