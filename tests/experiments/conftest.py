"""The experiment tests are smoke runs of tiny models: compile time dominates
them, and XLA's optimisations add a third or more to it. They run with most
optimisations off (what they compute does not change, up to float rounding),
restored after each module, as the suite shares its processes with the
library's own tests, which keep them on. Module-scoped, so that a module's
shared runs (fixtures) and its tests compile alike: a resumed run must
reproduce its first run's numbers exactly."""

import jax
import pytest


@pytest.fixture(autouse=True, scope="module")
def unoptimised_compiles():
    before = jax.config.read("jax_disable_most_optimizations")
    jax.config.update("jax_disable_most_optimizations", True)
    yield
    jax.config.update("jax_disable_most_optimizations", before)
