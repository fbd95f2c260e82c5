"""The experiments: one script per experiment, run as ``python experiments/<name>.py``.

Each script puts the repository root on ``sys.path`` first, so that
``experiments.common`` imports whether the script runs as a file or is
imported as ``experiments.<name>``.
"""
