"""Hypothesis runs derandomized by default, so a CI run is reproducible.

``HYPOTHESIS_PROFILE=explore pytest`` draws fresh random examples instead.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
