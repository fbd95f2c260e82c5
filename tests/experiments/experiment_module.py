"""Imports a script of experiments/ as a module, for the experiments' tests."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_experiment(name: str):
    """Imports ``experiments/<name>.py`` (registered in ``sys.modules`` as ``name``)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
