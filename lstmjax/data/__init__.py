"""Data for the experiments: synthetic tasks, and loaders for data that ships in packages.

Import the submodules, e.g. ``from lstmjax.data import synthetic``; this
package re-exports nothing.
"""
