"""Independent float64 NumPy references, written straight from the equations.

These share no code with lstmjax: a Python loop over time, one cell step per
iteration, per-sequence lengths handled by simply stopping early.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def layer_norm(x, scale, bias, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale + bias


def as64(tree):
    """NamedTuple params -> dict of float64 arrays (None kept)."""
    out = {}
    for name, value in tree._asdict().items():
        if value is None:
            out[name] = None
        elif hasattr(value, "_asdict"):
            out[name] = as64(value)
        else:
            out[name] = np.asarray(value, np.float64)
    return out


def lstm_step(p, h, c, x, *, coupled=False):
    """One LSTM step. Gate blocks i, f, g, o (f, g, o when coupled)."""
    H = c.shape[-1]
    a = x @ p["w_ih"]
    r = h @ p["w_hh"]
    if p["layer_norm"] is not None:
        ln = p["layer_norm"]
        a = layer_norm(a, ln["input"]["scale"], ln["input"]["bias"])
        r = layer_norm(r, ln["hidden"]["scale"], ln["hidden"]["bias"])
    z = a + r + p["b"]
    blocks = [z[..., k * H : (k + 1) * H] for k in range(z.shape[-1] // H)]
    peep = p["peephole"]
    if coupled:
        z_f, z_g, z_o = blocks
        p_f, p_o = (peep[0], peep[1]) if peep is not None else (0.0, 0.0)
        f = sigmoid(z_f + p_f * c)
        i = 1.0 - f
    else:
        z_i, z_f, z_g, z_o = blocks
        p_i, p_f, p_o = (peep[0], peep[1], peep[2]) if peep is not None else (0.0,) * 3
        i = sigmoid(z_i + p_i * c)
        f = sigmoid(z_f + p_f * c)
    c_new = f * c + i * np.tanh(z_g)
    o = sigmoid(z_o + p_o * c_new)
    c_act = c_new
    if p["layer_norm"] is not None:
        ln = p["layer_norm"]["cell"]
        c_act = layer_norm(c_new, ln["scale"], ln["bias"])
    h_new = o * np.tanh(c_act)
    if p["w_proj"] is not None:
        h_new = h_new @ p["w_proj"]
    return h_new, c_new


def gru_step(p, h, x):
    """One GRU step, reset-after form, blocks r, z, n."""
    H = h.shape[-1]
    a = x @ p["w_ih"] + p["b"]
    u = h @ p["w_hh"]
    r = sigmoid(a[..., :H] + u[..., :H])
    z = sigmoid(a[..., H : 2 * H] + u[..., H : 2 * H])
    n = np.tanh(a[..., 2 * H :] + r * (u[..., 2 * H :] + p["b_hn"]))
    return (1.0 - z) * n + z * h


def simple_rnn_step(p, h, x, nonlinearity="tanh"):
    pre = x @ p["w_ih"] + p["b"] + h @ p["w_hh"]
    return np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0.0)


def run_sequence(step, x, state, out_size, length=None, reverse=False):
    """Runs ``step(state, x_t) -> (state, y_t)`` over ``x [T, D]`` of one sequence.

    Returns ``(ys [T, out_size]`` zero past ``length``, the final state).
    """
    T = x.shape[0]
    length = T if length is None else int(length)
    ys = np.zeros((T, out_size))
    order = range(length - 1, -1, -1) if reverse else range(length)
    for t in order:
        state, ys[t] = step(state, x[t])
    return ys, state
