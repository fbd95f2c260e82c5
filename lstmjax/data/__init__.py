"""Sequence data: synthetic long-memory tasks, padded sequence sets, token streams.

Import the submodules, e.g. ``from lstmjax.data import synthetic``; this
package re-exports nothing.
"""
