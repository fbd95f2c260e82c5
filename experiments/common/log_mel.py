"""Log-mel filterbank features in NumPy: window, power spectrum, triangular mel filters, log.

For a waveform ``x [N]`` at ``sample_rate`` Hz, frame ``m`` holds the samples
``x[m hop : m hop + win]`` (frames that fit entirely; a signal shorter than one
window is zero-padded to one frame), so ``M = 1 + (N - win) // hop``. Then::

    w[n]       = 0.5 - 0.5 cos(2 pi n / win)              periodic Hann, n = 0 .. win-1
    X_m[k]     = sum_n w[n] x[m hop + n] exp(-2 pi i k n / n_fft),   k = 0 .. n_fft/2
    P_m[k]     = |X_m[k]|^2                               power spectrum [M, n_fft/2 + 1]
    E_m[j]     = sum_k P_m[k] F[k, j]                     mel energies [M, num_bands]
    feature    = log(E_m[j] + floor)

``F [n_fft/2 + 1, num_bands]`` holds triangular filters on the HTK mel scale
``mel(f) = 2595 log10(1 + f / 700)``: ``num_bands + 2`` points equally spaced in
mel from ``mel(f_min)`` to ``mel(f_max)``, mapped back to Hz, give each band
``j`` its lower edge ``f_j``, centre ``f_{j+1}`` and upper edge ``f_{j+2}``; the
filter rises linearly from 0 at ``f_j`` to 1 at the centre and falls back to 0
at ``f_{j+2}``, evaluated at each FFT bin frequency ``k sample_rate / n_fft``
(peak 1, no area normalisation).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def hz_to_mel(f):
    """HTK mel scale: ``2595 log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, np.float64) / 700.0)


def mel_to_hz(m):
    """The inverse of ``hz_to_mel``: ``700 (10^(m / 2595) - 1)``."""
    return 700.0 * (10.0 ** (np.asarray(m, np.float64) / 2595.0) - 1.0)


class MelSpec(NamedTuple):
    """The framing and filterbank of ``log_mel`` (sizes in samples)."""

    sample_rate: int
    win: int
    hop: int
    n_fft: int
    num_bands: int
    f_min: float
    f_max: float
    floor: float


def mel_spec(
    sample_rate: int,
    *,
    win_ms: float = 25.0,
    hop_ms: float = 10.0,
    num_bands: int = 40,
    f_min: float = 0.0,
    f_max: float = 8000.0,
    floor: float = 1e-6,
) -> MelSpec:
    """A ``MelSpec`` with ``win`` and ``hop`` rounded to samples and ``n_fft`` the
    smallest power of two ``>= win``."""
    if sample_rate < 1:
        raise ValueError(f"sample_rate: expected >= 1, got {sample_rate}")
    if not 0.0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(
            f"f_min, f_max: expected 0 <= f_min < f_max <= sample_rate / 2 = {sample_rate / 2}, "
            f"got {f_min} and {f_max}"
        )
    if num_bands < 1:
        raise ValueError(f"num_bands: expected >= 1, got {num_bands}")
    win = round(sample_rate * win_ms / 1000)
    hop = round(sample_rate * hop_ms / 1000)
    if win < 2 or hop < 1:
        raise ValueError(f"win_ms, hop_ms: expected a window of >= 2 samples, got {win}, {hop}")
    n_fft = 1 << (win - 1).bit_length()
    return MelSpec(sample_rate, win, hop, n_fft, num_bands, f_min, f_max, floor)


def mel_filterbank(spec: MelSpec) -> np.ndarray:
    """``F [n_fft/2 + 1, num_bands]``: the module doc's triangular filters."""
    edges = mel_to_hz(np.linspace(hz_to_mel(spec.f_min), hz_to_mel(spec.f_max), spec.num_bands + 2))
    freqs = np.arange(spec.n_fft // 2 + 1) * spec.sample_rate / spec.n_fft
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (freqs[:, None] - lower) / (centre - lower)
    falling = (upper - freqs[:, None]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def hann(win: int) -> np.ndarray:
    """The periodic Hann window ``0.5 - 0.5 cos(2 pi n / win)``, ``[win]``."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(win) / win)


def frames(x: np.ndarray, spec: MelSpec) -> np.ndarray:
    """``x [N]`` -> ``[M, win]`` overlapping frames (module doc), at least one."""
    x = np.asarray(x, np.float64)
    if x.ndim != 1:
        raise ValueError(f"x: expected a waveform of shape [N], got {x.shape}")
    if len(x) < spec.win:
        x = np.pad(x, (0, spec.win - len(x)))
    count = 1 + (len(x) - spec.win) // spec.hop
    index = spec.hop * np.arange(count)[:, None] + np.arange(spec.win)
    return x[index]


def power_spectrum(x: np.ndarray, spec: MelSpec) -> np.ndarray:
    """``|rfft(w * frame, n_fft)|^2``: ``x [N]`` -> ``[M, n_fft/2 + 1]``."""
    return np.abs(np.fft.rfft(frames(x, spec) * hann(spec.win), n=spec.n_fft)) ** 2


def log_mel(x: np.ndarray, spec: MelSpec) -> np.ndarray:
    """``x [N]`` -> log-mel features ``[M, num_bands]`` (float32), the module doc's."""
    energies = power_spectrum(x, spec) @ mel_filterbank(spec)
    return np.log(energies + spec.floor).astype(np.float32)
