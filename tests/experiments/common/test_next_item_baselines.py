import numpy as np

from experiments.common import next_item_baselines as b

# items 1..4; three training sequences
TRAIN = [np.array([1, 2, 3]), np.array([1, 2]), np.array([2, 4, 2])]


def test_popularity_counts_training_occurrences():
    assert b.popularity(TRAIN, 4).tolist() == [0, 2, 4, 1, 1]
    assert b.popularity_scores(TRAIN, 4, 2).shape == (2, 5)


def test_cosine_similarity_by_hand():
    sim = b.cosine_similarity(TRAIN, 4)
    # n = (2, 3, 1, 1) for items 1..4; c_12 = 2, c_13 = 1, c_23 = 1, c_24 = 1
    assert np.isclose(sim[1, 2], 2 / np.sqrt(6)) and np.isclose(sim[1, 3], 1 / np.sqrt(2))
    assert np.isclose(sim[2, 4], 1 / np.sqrt(3)) and sim[1, 4] == 0 and sim[3, 3] == 0
    assert np.allclose(sim, sim.T) and not sim[0].any()


def test_knn_sums_the_window_and_breaks_ties_by_popularity():
    last = b.knn_scores(TRAIN, 4, [np.array([3, 4])], window=1)[0]
    # last item 4: neighbour 2 (1/sqrt3); 1, 3, 4 tie at 0 -> popularity puts 1 first,
    # then 3 and 4 (both popularity 1) by index, the higher first
    assert np.argsort(-last[1:]).tolist() == [1, 0, 3, 2]
    both = b.knn_scores(TRAIN, 4, [np.array([3, 4])], window=2)[0]
    # 1: 1/sqrt2 = 0.707, 2: 1/sqrt3 + 1/sqrt3 = 1.155
    assert both[2] > both[1] > both[3]


def test_markov_counts_transitions_from_the_last_item():
    counts = b.transition_counts(TRAIN, 4)
    assert counts[1, 2] == 2 and counts[2, 3] == 1 and counts[2, 4] == 1 and counts[4, 2] == 1
    assert counts.sum() == 5
    scores = b.markov_scores(TRAIN, 4, [np.array([1, 2])])[0]
    # from 2: 3 and 4 once each (equal popularity: index decides); then the unseen
    # transitions 2 -> 2 and 2 -> 1 by popularity (4 vs 2)
    assert scores[4] > scores[3] > scores[2] > scores[1] > scores[0]
