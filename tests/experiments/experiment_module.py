"""Imports a script of experiments/ as a module, for the experiments' tests."""

from __future__ import annotations

import importlib


def load_experiment(name: str):
    """``experiments/<name>.py`` as the module ``experiments.<name>``."""
    return importlib.import_module(f"experiments.{name}")
