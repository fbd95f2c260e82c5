"""The custom-VJP LSTM fast path equals the reference ``lax.scan``, values and gradients."""

import functools
import math
import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.test_util import check_grads

import lstmjax as lj
from lstmjax.kernels import tuning
from lstmjax.kernels.lstm_scan import lstm_directions, lstm_sequence
from tests.helpers import assert_close_to_scale


def fused_and_reference(fn, apply, *args):
    """``fn(apply_impl, *args)`` with ``apply``'s ``implementation`` "fused", then "reference"."""
    return tuple(
        fn(functools.partial(apply, implementation=impl), *args) for impl in ("fused", "reference")
    )


def _call(apply, *args):
    return apply(*args)


def _random_params(cell, key, input_size):
    """Init params with a random bias, so every gate's bias matters."""
    params = cell.init(key, input_size)
    return jax.tree.map(
        lambda x: x + 0.3 * jax.random.normal(jax.random.fold_in(key, x.size), x.shape), params
    )


def _loss_and_grads(apply, params, xs, carry):
    def loss(p, x, c):
        ys, final = apply(p, x, c)
        ys = ys if not isinstance(ys, tuple) else jnp.concatenate(ys, -1)
        weights = jnp.cos(jnp.arange(ys.size, dtype=jnp.float32)).reshape(ys.shape)
        extra = sum(jnp.sum(jnp.sin(leaf)) for leaf in jax.tree.leaves(final))
        return jnp.sum(ys.astype(jnp.float32) * weights) + extra

    return jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)))(params, xs, carry)


LENGTHS = jnp.array([6, 0, 3, 1, 5])


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, LENGTHS])
def test_rnn_matches_reference(reverse, lengths):
    cell = lj.lstm(4)
    params = _random_params(cell, jax.random.key(0), 3)
    xs = jax.random.normal(jax.random.key(1), (5, 6, 3))
    carry = jax.tree.map(
        lambda x: jax.random.normal(jax.random.key(2), x.shape), cell.initial_carry((5,))
    )

    def apply(p, x, c, implementation):
        return lj.rnn(
            cell,
            p,
            x,
            lengths=lengths,
            initial_carry=c,
            reverse=reverse,
            implementation=implementation,
        )

    fast, ref = fused_and_reference(_loss_and_grads, apply, params, xs, carry)
    assert_close_to_scale(fast, ref, 1e-5)
    (ys, _), (ys_ref, _) = fused_and_reference(_call, apply, params, xs, carry)
    assert_close_to_scale(ys, ys_ref, 1e-5)


def test_bidirectional_and_stack_match_reference():
    net = lj.stack([lj.bidirectional(lj.lstm(4)), lj.lstm(3)], residual=False)
    params = _random_params(net, jax.random.key(0), 3)
    xs = jax.random.normal(jax.random.key(1), (5, 6, 3))

    def apply(p, x, c, implementation):
        return net.apply(p, x, lengths=LENGTHS, implementation=implementation)

    fast, ref = fused_and_reference(_loss_and_grads, apply, params, xs, None)
    assert_close_to_scale(fast, ref, 1e-5)


def test_bidirectional_merge_none_matches_reference():
    bi = lj.bidirectional(lj.lstm(4), merge="none")
    params = bi.init(jax.random.key(3), 2)
    xs = jax.random.normal(jax.random.key(4), (2, 5, 6, 2))  # two leading batch dims
    lengths = jnp.array([[6, 2, 0, 4, 1], [3, 6, 5, 1, 0]])

    def apply(p, x, c, implementation):
        return bi.apply(p, x, lengths=lengths, implementation=implementation)

    assert_close_to_scale(*fused_and_reference(_loss_and_grads, apply, params, xs, None), 1e-5)


def test_bfloat16_policy_matches_reference():
    cell = lj.lstm(8, compute_dtype=jnp.bfloat16)
    params = _random_params(cell, jax.random.key(0), 5)
    xs = jax.random.normal(jax.random.key(1), (5, 6, 5))

    def apply(p, x, c, implementation="auto"):
        return lj.rnn(cell, p, x, lengths=LENGTHS, implementation=implementation)

    fast, ref = fused_and_reference(_loss_and_grads, apply, params, xs, None)
    assert_close_to_scale(fast, ref, 1e-2)
    ys, final = apply(params, xs, None)
    assert ys.dtype == jnp.float32 and final.c.dtype == jnp.float32


@settings(max_examples=5, deadline=None)
@given(
    B=st.integers(1, 4),
    T=st.integers(1, 6),
    D=st.integers(1, 4),
    H=st.integers(1, 5),
    data=st.data(),
)
def test_property_fast_equals_reference(B, T, D, H, data):
    lengths = jnp.array(data.draw(st.lists(st.integers(0, T), min_size=B, max_size=B)))
    reverse = data.draw(st.booleans())
    cell = lj.lstm(H)
    params = _random_params(cell, jax.random.key(B * 100 + T), D)
    xs = jax.random.normal(jax.random.key(D), (B, T, D))

    def apply(p, x, c, implementation):
        return lj.rnn(cell, p, x, lengths=lengths, reverse=reverse, implementation=implementation)

    assert_close_to_scale(*fused_and_reference(_loss_and_grads, apply, params, xs, None), 1e-5)


@pytest.mark.parametrize("masked", [False, True])
def test_check_grads_custom_vjp(masked):
    T, B, D, H = 4, 3, 2, 3
    keys = jax.random.split(jax.random.key(0), 6)
    w_ih = 0.5 * jax.random.normal(keys[0], (D, 4 * H))
    b = 0.5 * jax.random.normal(keys[1], (4 * H,))
    w_hh = 0.5 * jax.random.normal(keys[2], (H, 4 * H))
    xs = jax.random.normal(keys[3], (T, B, D))
    h0 = jax.random.normal(keys[4], (B, H))
    c0 = jax.random.normal(keys[5], (B, H))
    mask = (jnp.arange(T)[:, None] < jnp.array([4, 2, 0])[None]) if masked else None

    def f(w_ih, b, w_hh, xs, h0, c0):
        ys, (h, c) = lstm_sequence(w_ih, b, w_hh, xs, h0, c0, mask)
        return ys, h, c

    check_grads(f, (w_ih, b, w_hh, xs, h0, c0), order=1, modes=("rev",), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("masked", [False, True])
def test_check_grads_two_directions_in_one_scan(masked):
    T, B, D, H = 4, 3, 2, 3
    keys = iter(jax.random.split(jax.random.key(1), 12))
    pair = lambda shape: tuple(0.5 * jax.random.normal(next(keys), shape) for _ in range(2))
    args = (pair((D, 4 * H)), pair((4 * H,)), pair((H, 4 * H)), pair((T, B, D)))
    args += (pair((B, H)), pair((B, H)))
    mask = (jnp.arange(T)[:, None] < jnp.array([4, 2, 0])[None]) if masked else None

    def f(*args):
        return lstm_directions(*args, mask)

    check_grads(f, args, order=1, modes=("rev",), atol=1e-2, rtol=1e-2)
    # each direction is the one-direction layer on its own
    ys, (h, c) = f(*args)
    for d in range(2):
        ys_d, (h_d, c_d) = lstm_sequence(*(a[d] for a in args), mask)
        chex.assert_trees_all_close((ys[d], h[d], c[d]), (ys_d, h_d, c_d), rtol=1e-6, atol=1e-6)


def _has_custom_vjp(fn, *args) -> bool:
    jaxpr = jax.make_jaxpr(fn)(*args)
    return any(e.primitive.name == "custom_vjp_call" for e in jaxpr.jaxpr.eqns)


def test_auto_takes_fused_path_only_for_a_plain_lstm_or_a_gru():
    xs = jnp.ones((2, 3, 4))
    for cell, fast in [
        (lj.lstm(5), True),
        (lj.lstm(5, compute_dtype=jnp.bfloat16, chrono=10.0), True),
        (lj.lstm(5, peephole=True), False),
        (lj.lstm(5, proj_size=2), False),
        (lj.lstm(5, layer_norm=True), False),
        (lj.lstm(5, coupled=True), False),
        (lj.gru(5), True),
        (lj.gru(5, compute_dtype=jnp.bfloat16, recurrent_init="glorot_uniform"), True),
        (lj.simple_rnn(5), False),
    ]:
        params = cell.init(jax.random.key(0), 4)
        assert (cell.fused_scan() is not None) == fast
        assert _has_custom_vjp(lambda p, x, c=cell: lj.rnn(c, p, x), params, xs) == fast


def test_empty_sequence_falls_back():
    cell = lj.lstm(3)
    params = cell.init(jax.random.key(0), 2)
    ys, final = lj.rnn(cell, params, jnp.ones((4, 0, 2)))
    assert ys.shape == (4, 0, 3)
    np.testing.assert_array_equal(final.h, 0.0)


def _while_body_copies(hlo_text: str, min_elements: int) -> list[str]:
    """The ``copy`` instructions of at least ``min_elements`` inside while bodies."""
    copies = []
    for computation in re.split(r"\n(?=\S)", hlo_text):
        if "while/body" not in computation:
            continue
        for line in computation.splitlines():
            match = re.match(r"\s*%copy[.\d]* = \w+\[([\d,]*)\]", line)
            if match and math.prod(int(d) for d in match.group(1).split(",") if d) >= min_elements:
                copies.append(line.strip())
    return copies


@pytest.mark.parametrize("factory", [lj.lstm, lj.gru], ids=["lstm", "gru"])
@pytest.mark.parametrize("B", [1, 4])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_training_loops_copy_no_sequence_buffer(B, bidirectional, factory):
    """No loop of the forward+backward copies a whole ``[T, B, ...]`` buffer per step.

    The forward writes ``K_t`` over ``xw_t`` in place; had XLA to copy the
    buffer to keep an alias safe, every step would copy all of it (a 5x
    slowdown seen at ``B = 1`` while this was built). Structure, not time.
    """
    T, D, H = 24, 3, 8
    cell = factory(H)
    layer = lj.bidirectional(cell) if bidirectional else cell
    params = layer.init(jax.random.key(0), D)
    xs = jnp.ones((B, T, D))
    apply = layer.apply if bidirectional else lambda p, x: lj.rnn(cell, p, x)

    def loss(p, x):
        return jnp.mean(apply(p, x)[0] ** 2)

    hlo = jax.jit(jax.grad(loss, argnums=(0, 1))).lower(params, xs).compile().as_text()
    assert _while_body_copies(hlo, min_elements=T * B * H) == []


def test_bidirectional_split_and_vmapped_directions_agree(monkeypatch):
    """Both ways a backend may run the directions: one scan of unbatched steps, or vmap."""
    bi = lj.bidirectional(lj.lstm(5))
    params = _random_params(bi, jax.random.key(5), 3)
    xs = jax.random.normal(jax.random.key(6), (5, 6, 3))

    def apply(p, x, c):
        return bi.apply(p, x, lengths=LENGTHS, initial_carry=c)

    carry = jax.tree.map(lambda x: x + 0.1, bi.cell.initial_carry((2, 5), jnp.float32))
    monkeypatch.setattr(tuning, "SPLIT_DIRECTIONS", frozenset({jax.default_backend()}))
    split = _loss_and_grads(apply, params, xs, carry)
    monkeypatch.setattr(tuning, "SPLIT_DIRECTIONS", frozenset())
    vmapped = _loss_and_grads(apply, params, xs, carry)
    assert_close_to_scale(split, vmapped, 1e-5)
