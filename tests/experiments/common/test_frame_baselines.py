import numpy as np
import pytest

from experiments.common import frame_baselines as fb


def loop_shift(image, dy, dx):
    out = np.zeros_like(image)
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            if 0 <= i - dy < image.shape[0] and 0 <= j - dx < image.shape[1]:
                out[i, j] = image[i - dy, j - dx]
    return out


def test_shift_equals_a_loop_and_fills_zeros():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(3, 6, 5))
    dy, dx = np.array([1, -2, 0]), np.array([0, 3, -6])
    found = fb.shift(images, dy, dx)
    for n in range(3):
        np.testing.assert_array_equal(found[n], loop_shift(images[n], dy[n], dx[n]))
    assert not found[2].any()  # shifted wholly out of the frame


def test_copy_last_repeats_the_last_frame():
    context = np.random.default_rng(1).uniform(size=(2, 4, 5, 5))
    out = fb.copy_last(context, 3)
    assert out.shape == (2, 3, 5, 5)
    for k in range(3):
        np.testing.assert_array_equal(out[:, k], context[:, -1])


def test_shift_extrapolation_continues_a_constant_motion():
    frame = np.zeros((20, 20))
    frame[4:8, 5:9] = np.arange(16).reshape(4, 4) / 15
    context = np.stack([loop_shift(frame, 2 * t, -t) for t in range(3)])[None]  # (+2, -1) a frame
    out = fb.shift_extrapolation(context, 3, max_shift=3)
    for k in range(1, 4):
        np.testing.assert_array_equal(out[0, k - 1], loop_shift(frame, 2 * (2 + k), -(2 + k)))


def test_a_still_frame_stays_still():
    context = np.ones((1, 2, 8, 8))  # every shift but (0, 0) loses pixels; ties go to (0, 0)
    np.testing.assert_array_equal(fb.estimate_shift(context[:, 0], context[:, 1], 2), ([0], [0]))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="context"):
        fb.shift_extrapolation(np.zeros((1, 1, 4, 4)), 2)
    with pytest.raises(ValueError, match="context"):
        fb.copy_last(np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match="max_shift"):
        fb.shift_extrapolation(np.zeros((1, 2, 4, 4)), 2, max_shift=-1)
