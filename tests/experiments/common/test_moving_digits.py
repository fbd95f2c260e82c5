import numpy as np
import pytest

from experiments.common import moving_digits as md


def test_digit_images_are_upscaled_by_repetition_into_zero_one():
    images = md.load_digit_images(2)
    assert images.shape == (1797, 16, 16) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    np.testing.assert_array_equal(images[:, ::2, ::2], images[:, 1::2, 1::2])
    with pytest.raises(ValueError, match="scale"):
        md.load_digit_images(0)


def test_split_is_disjoint_and_complete():
    images = np.arange(100, dtype=np.float32)[:, None, None] * np.ones((1, 2, 2), np.float32)
    train, valid, test = md.split_images(images, 0, 0.15, 0.15)
    ids = [set(part[:, 0, 0].tolist()) for part in (train, valid, test)]
    assert [len(s) for s in ids] == [70, 15, 15]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert set.union(*ids) == set(range(100))
    with pytest.raises(ValueError, match="valid_fraction"):
        md.split_images(images, 0, 0.0, 0.1)
    with pytest.raises(ValueError, match="valid_fraction \\+ test_fraction"):
        md.split_images(images, 0, 0.5, 0.5)


def test_bounce_reflects_off_both_edges():
    position, velocity = md.bounce(np.array([1.0, 9.0]), np.array([-3.0, 2.5]), 10.0)
    np.testing.assert_allclose(position, [2.0, 8.5])  # -2 -> 2; 11.5 -> 20 - 11.5
    np.testing.assert_allclose(velocity, [3.0, -2.5])
    position, velocity = md.bounce(np.array([4.0]), np.array([1.0]), 10.0)
    np.testing.assert_allclose(position, [5.0])
    np.testing.assert_allclose(velocity, [1.0])


def test_trajectories_stay_on_canvas_at_the_top_speed():
    rng = np.random.default_rng(0)
    paths = md.trajectories(rng, (500, 2), 60, 16.0, 1.0, 16.0)
    assert paths.shape == (500, 2, 60, 2)
    assert paths.min() >= 0.0 and paths.max() <= 16.0
    steps = np.abs(np.diff(paths, axis=2))
    assert steps.max() <= 16.0 + 1e-9
    with pytest.raises(ValueError, match="max_speed"):
        md.trajectories(rng, (1,), 2, 16.0, 1.0, 17.0)


def test_frames_are_the_max_composite_of_the_digits_at_their_rounded_positions():
    images = md.load_digit_images(2)[:50]
    frames = md.moving_digits(images, 6, np.random.default_rng(3), num_frames=12)
    assert frames.shape == (6, 12, 32, 32)
    assert frames.min() >= 0.0 and frames.max() <= 1.0
    # Replay the generator's draws and compose by hand.
    rng = np.random.default_rng(3)
    picks = rng.integers(0, 50, size=(6, 2))
    corners = np.rint(md.trajectories(rng, (6, 2), 12, 16.0, 1.0, 2.0)).astype(int)
    for n in range(6):
        for t in range(12):
            expected = np.zeros((32, 32), np.float32)
            for d in range(2):
                y, x = corners[n, d, t]
                layer = np.zeros((32, 32), np.float32)
                layer[y : y + 16, x : x + 16] = images[picks[n, d]]
                expected = np.maximum(expected, layer)
            np.testing.assert_array_equal(frames[n, t], expected)
    # Each digit keeps its ink on the canvas: total ink never exceeds the two images'.
    ink = frames.sum(axis=(2, 3))
    assert (ink <= images[picks].sum(axis=(1, 2, 3))[:, None] + 1e-4).all()


def test_same_seed_same_sequences():
    images = md.load_digit_images(2)[:20]
    a = md.moving_digits(images, 3, np.random.default_rng(7))
    b = md.moving_digits(images, 3, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"canvas": 8}, "canvas"),
        ({"num_frames": 0}, "num_frames"),
        ({"num_digits": 0}, "num_digits"),
        ({"max_speed": 20.0}, "max_speed"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        md.moving_digits(md.load_digit_images(2)[:5], 2, np.random.default_rng(0), **kwargs)
