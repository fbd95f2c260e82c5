"""Every public argument, fed bad values: a named error or a correct result (issue 11).

The cases are generated: each argument of each public function gets the
bad values of its kind (sizes, rates, flags, arrays, keys, ...). A case
passes when the call either raises ``TypeError``/``ValueError`` whose message
has the form ``"name: ..."`` and names the argument, or returns only finite arrays (a value the
function accepts, e.g. a NumPy integer size). A JAX-internal error, any other
exception, a message that does not name the argument, or a NaN fails it.
Hypothesis then draws combinations of two bad arguments to ``lstmjax.rnn``:
the first one checked must be named.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmjax as lj
from lstmjax import train

B, T, D, H = 2, 5, 3, 4
NAMED = re.compile(r"^[\w.\[\]]+( \(.*?\))?: ")
CELL = lj.lstm(H)
PARAMS = CELL.init(jax.random.key(0), D)
XS = jax.random.normal(jax.random.key(1), (B, T, D))
BI = lj.bidirectional(CELL)
BI_PARAMS = BI.init(jax.random.key(0), D)
STACK = lj.stack([CELL, lj.gru(H)], dropout=0.1)
STACK_PARAMS = STACK.init(jax.random.key(0), D)

# Bad values by kind of argument.
SIZES = [0, -3, 2.5, "4", None, True, [4], np.float32(4.0)]
OPTIONAL_SIZES = [0, -1, 2.5, "4", True]
REALS = ["1.0", None, [1.0], float("nan"), float("inf"), True]
OPTIONAL_REALS = ["100", [1.0], float("nan"), float("-inf"), True]
RATES = ["0.1", -0.1, 1.0, 1.5, None, float("nan"), True]
FLAGS = ["no", "True", 1, 0, None, 2.0, [True]]
CHOICES = ["", "nope", None, 3, True]
UNROLLS = [0, -1, 2.5, "2", True, 1.0]
KEYS = [0, 1.5, "key", None, jnp.zeros(2), jnp.zeros((2, 2), jnp.uint32)]
ARRAYS = [
    None,
    "xs",
    [[1.0, 2.0, 3.0]],
    jnp.ones((B, T, D), jnp.int32),
    jnp.ones((D,)),
    jnp.ones((B, T, D + 2)),
    jnp.ones((B, T, D), bool),
]
LENGTHS = [
    [5, 3],
    jnp.array([5.0, 3.0]),
    jnp.array([5, 3, 1]),
    jnp.array([[5, 3]]),
    jnp.array([6, 3]),
    jnp.array([-1, 3]),
    "5",
    jnp.array([True, False]),
]
CARRIES = [
    jnp.zeros((B, H)),
    (jnp.zeros((B, H)),),
    (jnp.zeros((B + 1, H)), jnp.zeros((B + 1, H))),
    (jnp.zeros((B, H), jnp.int32), jnp.zeros((B, H), jnp.int32)),
    ("h", "c"),
    (jnp.zeros((B, H + 1)), jnp.zeros((B, H + 1))),
    {"h": 1},
]
PARAM_TREES = [
    None,
    {"w": jnp.ones(3)},
    lj.gru(H).init(jax.random.key(0), D),
    lj.lstm(H + 1).init(jax.random.key(0), D),
    jax.tree.map(lambda x: x.astype(jnp.int32), PARAMS),
    PARAMS._replace(w_hh=jnp.ones((H,))),
    PARAMS._replace(b=None),
]


def _cases():
    """``(id, argname, call)`` for every argument and every bad value of its kind."""
    cases = []

    def add(fn_name, argname, values, call):
        for i, v in enumerate(values):
            cases.append(pytest.param(argname, call, v, id=f"{fn_name}-{argname}-{i}"))

    for name, factory in [("lstm", lj.lstm), ("gru", lj.gru), ("simple_rnn", lj.simple_rnn)]:
        add(name, "hidden_size", SIZES, lambda v, f=factory: f(v))
        add(
            name,
            "compute_dtype",
            ["bf16", 3, jnp.int32],
            lambda v, f=factory: f(H, compute_dtype=v),
        )
        add(name, "input_init", CHOICES, lambda v, f=factory: f(H, input_init=v))
        add(name, "recurrent_init", CHOICES, lambda v, f=factory: f(H, recurrent_init=v))
    add("lstm", "forget_bias", REALS, lambda v: lj.lstm(H, forget_bias=v))
    add("lstm", "chrono", OPTIONAL_REALS, lambda v: lj.lstm(H, chrono=v))
    add("lstm", "proj_size", OPTIONAL_SIZES, lambda v: lj.lstm(H, proj_size=v))
    for flag in ("peephole", "layer_norm", "coupled"):
        add("lstm", flag, FLAGS, lambda v, f=flag: lj.lstm(H, **{f: v}))
    add("simple_rnn", "nonlinearity", CHOICES, lambda v: lj.simple_rnn(H, nonlinearity=v))

    add("init", "key", KEYS, lambda v: CELL.init(v, D))
    add("init", "input_size", SIZES, lambda v: CELL.init(jax.random.key(0), v))
    add("initial_carry", "batch_shape", [-1, 2.5, "8", (2, -1), [None]], CELL.initial_carry)
    add("step", "x_t", ARRAYS, lambda v: CELL.step(PARAMS, CELL.initial_carry((B,)), v))
    add("step", "carry", CARRIES + [None], lambda v: CELL.step(PARAMS, v, XS[:, 0]))
    add("step", "params", PARAM_TREES, lambda v: CELL.step(v, CELL.initial_carry((B,)), XS[:, 0]))

    add("rnn", "cell", [None, "lstm", BI, PARAMS], lambda v: lj.rnn(v, PARAMS, XS))
    add("rnn", "params", PARAM_TREES, lambda v: lj.rnn(CELL, v, XS))
    add("rnn", "xs", ARRAYS, lambda v: lj.rnn(CELL, PARAMS, v))
    add("rnn", "lengths", LENGTHS, lambda v: lj.rnn(CELL, PARAMS, XS, lengths=v))
    add("rnn", "initial_carry", CARRIES, lambda v: lj.rnn(CELL, PARAMS, XS, initial_carry=v))
    add("rnn", "time_major", FLAGS, lambda v: lj.rnn(CELL, PARAMS, XS, time_major=v))
    add("rnn", "reverse", FLAGS, lambda v: lj.rnn(CELL, PARAMS, XS, reverse=v))
    add("rnn", "unroll", UNROLLS, lambda v: lj.rnn(CELL, PARAMS, XS, unroll=v))
    add("rnn", "implementation", CHOICES, lambda v: lj.rnn(CELL, PARAMS, XS, implementation=v))

    add("bidirectional", "cell", [None, BI, "lstm"], lj.bidirectional)
    add("bidirectional", "merge", CHOICES, lambda v: lj.bidirectional(CELL, v))
    add("bidirectional.init", "key", KEYS, lambda v: BI.init(v, D))
    add("bidirectional.apply", "params", [PARAMS, None], lambda v: BI.apply(v, XS))
    add("bidirectional.apply", "xs", ARRAYS, lambda v: BI.apply(BI_PARAMS, v))
    add("bidirectional.apply", "lengths", LENGTHS, lambda v: BI.apply(BI_PARAMS, XS, lengths=v))
    add("bidirectional.apply", "unroll", UNROLLS, lambda v: BI.apply(BI_PARAMS, XS, unroll=v))
    add("bidirectional.step", "step", [XS[:, 0]], lambda v: BI.step(BI_PARAMS, None, v))

    add("stack", "layers", [None, [], [None], "lstm", [CELL, 3]], lj.stack)
    add("stack", "dropout", RATES, lambda v: lj.stack([CELL, CELL], dropout=v))
    add("stack", "residual", FLAGS, lambda v: lj.stack([CELL, CELL], residual=v))
    add("stack.apply", "train", FLAGS, lambda v: STACK.apply(STACK_PARAMS, XS, train=v))
    add(
        "stack.apply",
        "dropout_key",
        KEYS,
        lambda v: STACK.apply(STACK_PARAMS, XS, train=True, dropout_key=v),
    )
    add("stack.apply", "lengths", LENGTHS, lambda v: STACK.apply(STACK_PARAMS, XS, lengths=v))
    add("stack.apply", "params", [PARAMS, None, (PARAMS,)], lambda v: STACK.apply(v, XS))

    ys = jnp.ones((B, T, H))
    add(
        "last_valid",
        "ys",
        [None, "ys", jnp.ones((B,))],
        lambda v: lj.last_valid(v, jnp.array([1, 2])),
    )
    add("last_valid", "lengths", LENGTHS, lambda v: lj.last_valid(ys, v))
    add(
        "last_valid",
        "time_axis",
        [3, -4, 1.0, "1", True, None],
        lambda v: lj.last_valid(ys, jnp.array([1, 2]), time_axis=v),
    )

    add(
        "with_clipping",
        "max_norm",
        [0.0, -1.0, "1"],
        lambda v: train.with_clipping(optax.sgd(1.0), v),
    )
    add("create_state", "key", KEYS, lambda v: train.create_state(PARAMS, optax.sgd(1.0), key=v))
    return cases


CASES = _cases()


def test_there_are_at_least_the_reported_number_of_cases():
    assert len(CASES) >= 109


def _finite(tree) -> bool:
    leaves = [x for x in jax.tree.leaves(tree) if hasattr(x, "dtype")]
    return all(
        np.isfinite(np.asarray(x, np.float32)).all()
        for x in leaves
        if jnp.issubdtype(x.dtype, jnp.floating)
    )


@pytest.mark.parametrize("argname,call,value", CASES)
def test_bad_value_is_named_or_handled(argname, call, value):
    try:
        out = call(value)
    except (TypeError, ValueError) as err:
        assert NAMED.match(str(err)) and argname in str(err), f"{argname} not named: {err!r}"
        return
    assert _finite(out), f"{argname}={value!r} was accepted but gave a non-finite result"


RNN_ARGS = {
    "lengths": LENGTHS,
    "initial_carry": CARRIES,
    "time_major": FLAGS,
    "reverse": FLAGS,
    "unroll": UNROLLS,
    "implementation": CHOICES,
}


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_two_bad_arguments_name_one_of_them(data):
    names = data.draw(
        st.lists(st.sampled_from(sorted(RNN_ARGS)), min_size=2, max_size=2, unique=True)
    )
    kwargs = {n: data.draw(st.sampled_from(RNN_ARGS[n]), label=n) for n in names}
    try:
        out = lj.rnn(CELL, PARAMS, XS, **kwargs)
    except (TypeError, ValueError) as err:
        assert NAMED.match(str(err)) and any(n in str(err) for n in names), err
        return
    assert _finite(out)
