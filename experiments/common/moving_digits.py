"""Moving digits: scikit-learn's 8x8 digit images bouncing on a canvas (Moving MNIST style).

The protocol of Srivastava et al. 2015 on the digits that ship with
scikit-learn (``sklearn.datasets.load_digits``: 1797 images, 8x8, values
0..16), so nothing is downloaded:

- each image is scaled to ``[0, 1]`` (``/ 16``) and upscaled ``scale`` times
  by pixel repetition (2: 16x16);
- the images are split by image into disjoint train / validation / test sets
  (``split_images``), so no test sequence shows a digit image seen in training;
- a sequence of ``T`` frames ``[T, canvas, canvas]`` places ``num_digits``
  images at uniform random top-left positions ``p_0`` in ``[0, L]^2``,
  ``L = canvas - size``, with a uniform random direction ``theta`` and speed
  ``s`` in ``[min_speed, max_speed]`` pixels per frame; each frame moves them
  by ``v = s (sin theta, cos theta)`` and reflects off the edges::

      p <- p + v;   where p < 0:  p <- -p,     v <- -v
                    where p > L:  p <- 2L - p, v <- -v

  (``bounce``; ``s <= L`` keeps every position in ``[0, L]``, so each digit
  stays wholly on the canvas). A digit is drawn at ``round(p)``;
- overlapping digits combine by the pixel-wise maximum, so every frame stays
  in ``[0, 1]`` (no sum, no clipping needed).

Every draw comes from a NumPy ``Generator``; the same seed gives the same
sequences.
"""

from __future__ import annotations

import numpy as np

DIGIT_MAX = 16.0


def load_digit_images(scale: int = 2) -> np.ndarray:
    """scikit-learn's digit images in ``[0, 1]``, upscaled: ``[1797, 8 scale, 8 scale]`` float32."""
    if scale < 1:
        raise ValueError(f"scale: expected an integer >= 1, got {scale}")
    from sklearn.datasets import load_digits

    images = load_digits().images.astype(np.float32) / DIGIT_MAX
    return np.kron(images, np.ones((1, scale, scale), np.float32))


def split_images(
    images: np.ndarray, seed: int, valid_fraction: float, test_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train, valid, test)`` images: one seeded permutation cut into disjoint parts."""
    for name, value in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not 0 < value < 1:
            raise ValueError(f"{name}: expected 0 < {name} < 1, got {value}")
    if valid_fraction + test_fraction >= 1:
        raise ValueError(
            f"valid_fraction + test_fraction: expected < 1, got {valid_fraction + test_fraction}"
        )
    order = np.random.default_rng(seed).permutation(len(images))
    n_valid = int(round(valid_fraction * len(images)))
    n_test = int(round(test_fraction * len(images)))
    valid, test = order[:n_valid], order[n_valid : n_valid + n_test]
    return images[order[n_valid + n_test :]], images[valid], images[test]


def bounce(position: np.ndarray, velocity: np.ndarray, limit: float):
    """One step of the module doc's reflection: ``(position, velocity)`` after moving."""
    position = position + velocity
    low, high = position < 0, position > limit
    position = np.where(low, -position, np.where(high, 2 * limit - position, position))
    return position, np.where(low | high, -velocity, velocity)


def trajectories(
    rng: np.random.Generator,
    shape: tuple,
    num_frames: int,
    limit: float,
    min_speed: float,
    max_speed: float,
) -> np.ndarray:
    """Top-left positions ``[*shape, num_frames, 2]`` (float, in ``[0, limit]``)."""
    if not 0 < min_speed <= max_speed <= limit:
        raise ValueError(
            f"min_speed, max_speed: expected 0 < min_speed <= max_speed <= {limit} (the "
            f"canvas minus the digit), got {min_speed}, {max_speed}"
        )
    position = rng.uniform(0, limit, size=shape + (2,))
    theta = rng.uniform(0, 2 * np.pi, size=shape)
    speed = rng.uniform(min_speed, max_speed, size=shape)
    velocity = speed[..., None] * np.stack([np.sin(theta), np.cos(theta)], axis=-1)
    out = [position]
    for _ in range(num_frames - 1):
        position, velocity = bounce(position, velocity, limit)
        out.append(position)
    return np.stack(out, axis=-2)


def moving_digits(
    images: np.ndarray,
    num_sequences: int,
    rng: np.random.Generator,
    *,
    canvas: int = 32,
    num_frames: int = 20,
    num_digits: int = 2,
    min_speed: float = 1.0,
    max_speed: float = 2.0,
) -> np.ndarray:
    """``[num_sequences, num_frames, canvas, canvas]`` float32 frames in ``[0, 1]``.

    Each sequence draws ``num_digits`` images uniformly from ``images``
    ``[N, size, size]`` and moves them as in the module doc.
    """
    if images.ndim != 3 or images.shape[1] != images.shape[2]:
        raise ValueError(f"images: expected [N, size, size], got shape {images.shape}")
    size = images.shape[1]
    if size > canvas:
        raise ValueError(f"canvas: expected >= the digit size {size}, got {canvas}")
    for name, value in (("num_sequences", num_sequences), ("num_frames", num_frames)):
        if value < 1:
            raise ValueError(f"{name}: expected >= 1, got {value}")
    if num_digits < 1:
        raise ValueError(f"num_digits: expected >= 1, got {num_digits}")
    limit = canvas - size
    picks = rng.integers(0, len(images), size=(num_sequences, num_digits))
    corners = np.rint(
        trajectories(rng, picks.shape, num_frames, limit, min_speed, max_speed)
    ).astype(np.int64)
    frames = np.zeros((num_sequences, num_frames, canvas, canvas), np.float32)
    for n in range(num_sequences):
        for d in range(num_digits):
            digit = images[picks[n, d]]
            for t, (y, x) in enumerate(corners[n, d]):
                window = frames[n, t, y : y + size, x : x + size]
                np.maximum(window, digit, out=window)
    return frames
