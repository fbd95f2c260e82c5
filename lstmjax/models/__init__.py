"""Heads built on the recurrent core: readouts, classifiers, forecasters, language models.

Import the submodules, e.g. ``from lstmjax.models.readout import last_step_readout``;
this package re-exports nothing.
"""
