"""Every bad input raises a TypeError/ValueError naming the argument."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import pytest

import lstmjax as lj

CELL = lj.lstm(4)
PARAMS = CELL.init(jax.random.key(0), 3)
XS = jnp.ones((2, 5, 3))


@pytest.mark.parametrize(
    "xs, error, match",
    [
        (jnp.ones((3,)), ValueError, r"xs: expected rank >= 2 \[\.\.\., T, D\], got shape \(3,\)"),
        (jnp.ones((2, 5, 7)), ValueError, r"xs: expected 3 features .* got shape \(2, 5, 7\)"),
        (jnp.ones((2, 5, 3), jnp.int32), TypeError, "xs: expected a floating dtype, got int32"),
        ([[1.0, 2.0, 3.0]], TypeError, "xs: expected an array, got list"),
    ],
)
def test_bad_xs(xs, error, match):
    with pytest.raises(error, match=match):
        lj.rnn(CELL, PARAMS, xs)


@pytest.mark.parametrize(
    "lengths, error, match",
    [
        (jnp.array([5, 5, 5]), ValueError, r"lengths: expected shape \(2,\) .* got \(3,\)"),
        (jnp.array([[5, 5]]), ValueError, r"lengths: expected shape \(2,\)"),
        (jnp.array([5.0, 2.0]), TypeError, "lengths: expected an integer dtype, got float32"),
        (jnp.array([6, 2]), ValueError, r"lengths: expected values in \[0, 5\] .* max 6"),
        (jnp.array([-1, 2]), ValueError, r"lengths: expected values in \[0, 5\] .* min -1"),
        ([5, 2], TypeError, "lengths: expected an integer array, got list"),
    ],
)
def test_bad_lengths(lengths, error, match):
    with pytest.raises(error, match=match):
        lj.rnn(CELL, PARAMS, XS, lengths=lengths)


def test_lengths_shape_checked_under_jit():
    with pytest.raises(ValueError, match="lengths: expected shape"):
        jax.jit(lambda n: lj.rnn(CELL, PARAMS, XS, lengths=n))(jnp.array([1, 2, 3]))


def test_params_of_another_cell_type():
    gru_params = lj.gru(4).init(jax.random.key(0), 3)
    with pytest.raises(TypeError, match="params: expected LSTMParams for this LSTM cell, got GRU"):
        lj.rnn(CELL, gru_params, XS)
    with pytest.raises(TypeError, match="expected GRUParams"):
        lj.rnn(lj.gru(4), PARAMS, XS)


def test_params_of_another_size():
    bigger = lj.lstm(8).init(jax.random.key(0), 3)
    with pytest.raises(ValueError, match=r"params.w_ih: expected shape \(\*, 16\), got \(3, 32\)"):
        lj.rnn(CELL, bigger, XS)


def test_params_missing_an_option():
    with pytest.raises(ValueError, match="params.peephole: this cell was built with peephole"):
        lj.rnn(lj.lstm(4, peephole=True), PARAMS, XS)
    with pytest.raises(ValueError, match="params.w_proj: this cell was built with no w_proj"):
        lj.rnn(CELL, PARAMS._replace(w_proj=jnp.ones((4, 2))), XS)
    with pytest.raises(ValueError, match=r"params.w_hh: expected shape \(4, 16\), got \(2, 16\)"):
        lj.rnn(CELL, lj.lstm(4, proj_size=2).init(jax.random.key(0), 3), XS)


def test_bad_initial_carry():
    with pytest.raises(ValueError, match="initial_carry: expected leaf shapes"):
        lj.rnn(CELL, PARAMS, XS, initial_carry=CELL.initial_carry((3,)))
    with pytest.raises(TypeError, match="initial_carry: expected a pytree"):
        lj.rnn(CELL, PARAMS, XS, initial_carry=jnp.zeros((2, 4)))


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: lj.lstm(0), "hidden_size: expected a positive int, got 0"),
        (lambda: lj.lstm(4, proj_size=4), "proj_size: expected < hidden_size=4, got 4"),
        (lambda: lj.lstm(4, chrono=1), "chrono: expected T_max > 2"),
        (lambda: lj.simple_rnn(4, nonlinearity="gelu"), "nonlinearity: expected one of"),
        (lambda: lj.gru(-2), "hidden_size"),
        (lambda: CELL.init(jax.random.key(0), 0), "input_size: expected a positive int"),
    ],
)
def test_bad_cell_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: lj.lstm(4.0), "hidden_size: expected a positive int, got 4.0"),
        (lambda: lj.lstm(4, chrono="100"), "chrono: expected a number, got '100'"),
        (lambda: lj.lstm(4, peephole="no"), "peephole: expected True or False"),
        (lambda: CELL.initial_carry("8"), "batch_shape: expected a tuple"),
    ],
)
def test_wrongly_typed_cell_arguments(build, match):
    with pytest.raises(TypeError, match=match):
        build()


def test_numpy_sizes_and_int_batch_shape_are_accepted():
    import numpy as np

    cell = lj.lstm(np.int64(4))
    assert cell.hidden_size == 4 and type(cell.hidden_size) is int
    chex.assert_shape(cell.initial_carry(np.int64(3)).h, (3, 4))


def test_bad_compute_dtype():
    with pytest.raises(TypeError, match="compute_dtype: expected None or a floating dtype"):
        lj.lstm(4, compute_dtype=jnp.int8)
