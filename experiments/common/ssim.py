"""Structural similarity (SSIM, Wang et al. 2004) and the per-frame MSE of predicted frames.

For two images ``x, y`` with data range 1, local statistics under an
11x11 Gaussian window ``w`` (sigma 1.5, normalised to sum 1), taken at every
position where the window lies wholly inside the image (Wang et al.'s
"valid" filtering; a 32x32 frame gives a 22x22 map)::

    mu_x = sum w x,   sigma_x^2 = sum w x^2 - mu_x^2,   sigma_xy = sum w x y - mu_x mu_y
    SSIM map = (2 mu_x mu_y + C1)(2 sigma_xy + C2)
               / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))
    C1 = (K1 * 1)^2, C2 = (K2 * 1)^2,   K1 = 0.01, K2 = 0.03

and ``ssim(x, y)`` is the map's mean. The window is separable, so the sums
are two 1-D passes. ``frame_mse`` is the mean squared error per pixel.
"""

from __future__ import annotations

import numpy as np

K1, K2 = 0.01, 0.03
WINDOW, SIGMA = 11, 1.5


def gaussian_window(size: int = WINDOW, sigma: float = SIGMA) -> np.ndarray:
    """The 1-D Gaussian ``[size]`` that sums to 1 (its outer product is the 2-D window)."""
    offsets = np.arange(size) - (size - 1) / 2
    g = np.exp(-(offsets**2) / (2 * sigma**2))
    return g / g.sum()


def _filter(images: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``[..., H, W] -> [..., H - k + 1, W - k + 1]``: the separable window's valid sums."""
    k = len(g)
    rows = np.lib.stride_tricks.sliding_window_view(images, k, axis=-2) @ g
    return np.lib.stride_tricks.sliding_window_view(rows, k, axis=-1) @ g


def ssim(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """SSIM of each pair of images ``x, y [..., H, W]`` (data range 1) -> ``[...]``."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.shape != y.shape or x.ndim < 2:
        raise ValueError(f"x, y: expected equal shapes [..., H, W], got {x.shape} and {y.shape}")
    if min(x.shape[-2:]) < WINDOW:
        raise ValueError(f"x: expected images of at least {WINDOW}x{WINDOW}, got {x.shape}")
    g = gaussian_window()
    mu_x, mu_y = _filter(x, g), _filter(y, g)
    var_x = _filter(x * x, g) - mu_x**2
    var_y = _filter(y * y, g) - mu_y**2
    cov = _filter(x * y, g) - mu_x * mu_y
    c1, c2 = K1**2, K2**2
    num = (2 * mu_x * mu_y + c1) * (2 * cov + c2)
    den = (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    return (num / den).mean(axis=(-2, -1))


def frame_mse(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean squared error per pixel of each pair of images ``[..., H, W]`` -> ``[...]``."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x, y: expected equal shapes, got {x.shape} and {y.shape}")
    return ((x - y) ** 2).mean(axis=(-2, -1))
