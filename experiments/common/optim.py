"""The optimizer every experiment trains with: Adam(W), a schedule, clipping.

From the config's learning rate ``lr``, clipping norm ``c``, weight decay
``wd`` and schedule::

    g <- g * min(1, c / ||g||_2)                        (c None: no clipping)
    update = Adam(lr_t)(g)     or AdamW(lr_t, wd)(g)    (wd None: Adam)
    lr_t = lr                                           ("constant")
    lr_t = lr * (1 + cos(pi * t / num_steps)) / 2       ("cosine", t <= num_steps)

The constant schedule passes ``lr`` to Optax as a float, so its optimizer
state is the one a plain ``optax.adam(lr)`` keeps (checkpoints stay
interchangeable).
"""

from __future__ import annotations

import optax

from lstmjax import train

SCHEDULES = ("constant", "cosine")


def check_schedule(schedule: str) -> None:
    """Raises ``ValueError`` unless ``schedule`` is one of ``SCHEDULES`` (for ``__post_init__``)."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule: expected one of {SCHEDULES}, got {schedule!r}")


def learning_rate(lr: float, schedule: str, num_steps: int) -> float | optax.Schedule:
    """``lr_t`` of the module doc: ``lr`` itself, or an Optax schedule of the step."""
    check_schedule(schedule)
    if schedule == "cosine":
        return optax.cosine_decay_schedule(lr, decay_steps=num_steps)
    return lr


def make_optimizer(
    lr: float,
    *,
    max_grad_norm: float | None,
    num_steps: int,
    schedule: str = "constant",
    weight_decay: float | None = None,
) -> optax.GradientTransformation:
    """The chain of the module doc: clipping, then Adam (or AdamW) at ``lr_t``.

    Args:
      lr: the peak learning rate.
      max_grad_norm: the global-norm clipping threshold ``c`` (None: none).
      num_steps: the run's steps, over which ``"cosine"`` decays to zero.
      schedule: one of ``SCHEDULES``.
      weight_decay: AdamW's decoupled weight decay (None: plain Adam).
    """
    rate = learning_rate(lr, schedule, num_steps)
    if weight_decay is None:
        base = optax.adam(rate)
    else:
        base = optax.adamw(rate, weight_decay=weight_decay)
    return train.with_clipping(base, max_grad_norm)
