"""A command line for an experiment's config dataclass.

Every field of the (frozen) dataclass becomes a flag, spelled both
``--snake_case`` and ``--kebab-case``:

- ``bool`` fields: ``--name`` / ``--no-name``;
- ``int``, ``float``, ``str`` fields: one value of that type;
- ``tuple`` fields: one or more values, each also split on commas
  (``--seeds 0 1 2``, ``--cells lstm,rnn``), typed like the default's items.

Flags not given keep the dataclass default; the dataclass's own
``__post_init__`` validates the result, so a bad value fails before training.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

_SCALARS = {"int": int, "float": float, "str": str}


def _type_name(field: dataclasses.Field) -> str:
    return field.type if isinstance(field.type, str) else field.type.__name__


def _tuple_parser(default: tuple):
    item = type(default[0]) if default else str

    def parse(text: str) -> list:
        return [item(part) for part in text.split(",") if part]

    return parse


def parse_config(config_cls: type, argv=None, *, description: str = "", presets=None) -> Any:
    """Builds ``config_cls`` from command-line flags.

    Args:
      config_cls: a dataclass whose field types are bool, int, float, str or tuple.
      argv: the arguments (``sys.argv[1:]`` when None).
      description: the ``--help`` text.
      presets: ``{bool_field: {field: value}}``: defaults applied when that
        flag is set (e.g. ``{"quick": QUICK}``); flags given explicitly win.

    Returns:
      A ``config_cls`` instance.
    """
    parser = argparse.ArgumentParser(description=description)
    for field in dataclasses.fields(config_cls):
        flags = dict.fromkeys(["--" + field.name, "--" + field.name.replace("_", "-")])
        kind = _type_name(field)
        if kind == "bool":
            parser.add_argument(*flags, dest=field.name, action=argparse.BooleanOptionalAction)
        elif kind == "tuple":
            parse = _tuple_parser(field.default)
            parser.add_argument(*flags, dest=field.name, type=parse, nargs="+")
        elif kind in _SCALARS:
            parser.add_argument(*flags, dest=field.name, type=_SCALARS[kind])
        else:
            raise TypeError(f"{config_cls.__name__}.{field.name}: unsupported type {kind}")
    given = {k: v for k, v in vars(parser.parse_args(argv)).items() if v is not None}
    for name, value in given.items():
        if isinstance(value, list):
            given[name] = tuple(item for part in value for item in part)
    for flag, preset in (presets or {}).items():
        if given.get(flag):
            given = {**preset, **given}
    return config_cls(**given)
