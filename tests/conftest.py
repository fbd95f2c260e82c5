"""Suite-wide settings.

Hypothesis runs derandomized by default, so a CI run is reproducible;
``HYPOTHESIS_PROFILE=explore pytest`` draws fresh random examples instead.

Compiles: the suite's models are tiny, so compile time dominates it and XLA's
optimisations add a third or more to it (measured 38% of the CPU time of
test_lengths, test_layer_protocol and test_remat). Modules run with
``jax_disable_most_optimizations`` on, which changes what they compute only in
float rounding, except those in ``OPTIMISED``, which keep the compile users
get: the fused kernels' numerics, the tests that read compiled HLO (the
data-parallel step's collectives, compiler options, remat) and the
benchmarks. The setting is per module, so a module's shared fixtures and its
tests compile alike (a resumed run must reproduce its first run bitwise), and
it is also exported as ``JAX_DISABLE_MOST_OPTIMIZATIONS`` to the processes a
test starts (notebook kernels, fresh-process resumes, multi-process jobs), so
they compile as the test does.
"""

import os
import pathlib

import jax
import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TESTS = pathlib.Path(__file__).resolve().parent
OPTIMISED = (
    "kernels/",
    "sharding/test_data_parallel.py",
    "benchmarks/",
    "test_backends.py",
    "test_remat.py",
    "train/test_train_step.py",
)
FLAG, VARIABLE = "jax_disable_most_optimizations", "JAX_DISABLE_MOST_OPTIMIZATIONS"


@pytest.fixture(autouse=True, scope="module")
def compile_setting(request):
    """Most XLA optimisations off for the module, unless it is in ``OPTIMISED``."""
    unoptimised = not request.path.relative_to(TESTS).as_posix().startswith(OPTIMISED)
    before = jax.config.read(FLAG), os.environ.get(VARIABLE)
    jax.config.update(FLAG, unoptimised)
    os.environ[VARIABLE] = str(int(unoptimised))
    yield
    jax.config.update(FLAG, before[0])
    if before[1] is None:
        os.environ.pop(VARIABLE)
    else:
        os.environ[VARIABLE] = before[1]
