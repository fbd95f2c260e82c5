"""The experiment tests are smoke runs of tiny models: compile time dominates
them, and XLA's optimisations add a third or more to it. They run with most
optimisations off (what they compute does not change), restored after each
test, as the suite shares its processes with the library's own tests, which
keep them on."""

import jax
import pytest


@pytest.fixture(autouse=True)
def unoptimised_compiles():
    before = jax.config.read("jax_disable_most_optimizations")
    jax.config.update("jax_disable_most_optimizations", True)
    yield
    jax.config.update("jax_disable_most_optimizations", before)
