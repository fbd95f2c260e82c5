import itertools
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from experiments.common.bootstrap import paired_bootstrap, resampled_means
from experiments.common.diebold_mariano import diebold_mariano
from experiments.common.mcnemar import mcnemar
from experiments.common.summary import summarise, t_interval


def outcomes(both, only_a, only_b, neither):
    a = [True] * both + [True] * only_a + [False] * only_b + [False] * neither
    b = [True] * both + [False] * only_a + [True] * only_b + [False] * neither
    return np.array(a), np.array(b)


@pytest.mark.parametrize(("only_a", "only_b"), [(0, 0), (1, 0), (5, 1), (3, 9), (12, 12)])
def test_mcnemar_exact_matches_statsmodels_and_scipy(only_a, only_b):
    a, b = outcomes(7, only_a, only_b, 4)
    result = mcnemar(a, b)
    assert result.exact and (result.b, result.c) == (only_a, only_b)
    table = [[7, only_a], [only_b, 4]]
    assert result.pvalue == pytest.approx(sm_mcnemar(table, exact=True).pvalue)
    if only_a + only_b:
        assert result.pvalue == pytest.approx(stats.binomtest(only_a, only_a + only_b).pvalue)


@pytest.mark.parametrize(("only_a", "only_b"), [(20, 10), (40, 18), (15, 15)])
def test_mcnemar_chi_square_matches_statsmodels(only_a, only_b):
    a, b = outcomes(50, only_a, only_b, 30)
    result = mcnemar(a, b)
    assert not result.exact
    table = [[50, only_a], [only_b, 30]]
    expected = sm_mcnemar(table, exact=False, correction=True).pvalue
    assert result.pvalue == pytest.approx(expected)


def test_mcnemar_rejects_unpaired_outcomes():
    with pytest.raises(ValueError, match="shapes"):
        mcnemar([True, False], [True])


def test_t_interval_matches_scipy():
    values = [0.412, 0.371, 0.450]
    low, high = t_interval(values)
    mean, sem = np.mean(values), stats.sem(values)
    assert (low, high) == pytest.approx(stats.t.interval(0.95, 2, loc=mean, scale=sem))
    assert t_interval([0.5]) is None
    out = summarise([{"f1": v} for v in values], ["f1"], ci=True)
    assert out["f1_ci95"] == pytest.approx([low, high])


def test_diebold_mariano_one_step_is_the_one_sample_t_test():
    rng = np.random.default_rng(0)
    loss_a, loss_b = rng.gamma(2.0, size=30), rng.gamma(2.3, size=30)
    result = diebold_mariano(loss_a, loss_b)
    reference = stats.ttest_1samp(loss_a - loss_b, 0.0)
    assert result.statistic == pytest.approx(reference.statistic)
    assert result.pvalue == pytest.approx(reference.pvalue)


def test_diebold_mariano_two_step_by_hand():
    # d = [1, -1, 2, 0]: mean 0.5, centred [0.5, -1.5, 1.5, -0.5];
    # gamma_0 = (0.25 + 2.25 + 2.25 + 0.25) / 4 = 1.25,
    # gamma_1 = (0.5 * -1.5 + -1.5 * 1.5 + 1.5 * -0.5) / 4 = -0.9375,
    # V = (1.25 - 1.875) / 4 < 0: undefined; with d = [1, 2, 2, 3]: mean 2,
    # centred [-1, 0, 0, 1], gamma_0 = 0.5, gamma_1 = 0, V = 0.125, DM = 2 / sqrt(0.125),
    # HLN factor sqrt((4 + 1 - 4 + 2/4) / 4) = sqrt(0.375).
    with pytest.raises(ValueError, match="variance"):
        diebold_mariano([1, -1, 2, 0], [0, 0, 0, 0], horizon=2)
    result = diebold_mariano([1, 2, 2, 3], [0, 0, 0, 0], horizon=2)
    statistic = 2 / math.sqrt(0.125) * math.sqrt(0.375)
    assert result.statistic == pytest.approx(statistic)
    assert result.pvalue == pytest.approx(2 * stats.t.sf(statistic, 3))


def test_paired_bootstrap_agrees_with_scipy_bootstrap():
    rng = np.random.default_rng(1)
    a = rng.normal(0.5, 1.0, 40)
    b = a - 0.3 + rng.normal(0.0, 0.5, 40)
    ours = paired_bootstrap(a, b, n_resamples=20_000, seed=3)
    theirs = stats.bootstrap(
        (a, b),
        lambda x, y: np.mean(x - y),
        paired=True,
        vectorized=False,
        method="percentile",
        n_resamples=20_000,
        rng=np.random.default_rng(4),
    ).confidence_interval
    assert ours.mean_difference == pytest.approx(np.mean(a - b))
    assert ours.low == pytest.approx(theirs.low, abs=0.02)
    assert ours.high == pytest.approx(theirs.high, abs=0.02)
    assert ours.pvalue < 0.01


def test_block_bootstrap_draws_only_whole_moving_blocks():
    # n = 4, L = 2: two blocks from starts {0, 1, 2}, 9 equally likely pairs.
    d = np.array([0.0, 1.0, 10.0, 100.0])
    blocks = [d[s : s + 2] for s in range(3)]
    possible = {np.concatenate(pair).mean() for pair in itertools.product(blocks, repeat=2)}
    means = resampled_means(d, block_length=2, n_resamples=9_000, seed=0)
    assert set(np.unique(means)) <= possible
    frequency = np.mean(means == np.concatenate([blocks[1], blocks[1]]).mean())
    assert frequency == pytest.approx(1 / 9, abs=0.02)
    whole = resampled_means(d, block_length=4, n_resamples=10, seed=0)
    assert np.all(whole == d.mean())


def test_bootstrap_is_seeded_and_checks_its_arguments():
    a, b = np.arange(10.0), np.arange(10.0)[::-1]
    assert paired_bootstrap(a, b, seed=5) == paired_bootstrap(a, b, seed=5)
    with pytest.raises(ValueError, match="block_length"):
        paired_bootstrap(a, b, block_length=11)
    with pytest.raises(ValueError, match="shapes"):
        paired_bootstrap(a, b[:5])
