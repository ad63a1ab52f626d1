"""Random streams and counts of people (MODEL.md §1)."""

from __future__ import annotations

import numpy as np
import pytest

from village_sim.randomness import draw_index, sampling_table, stochastic_round, thin


def test_stochastic_rounding_keeps_the_mean():
    rng = np.random.default_rng(0)
    x = np.full(200_000, 0.37)
    assert stochastic_round(x, rng).mean() == pytest.approx(0.37, abs=0.005)
    counts = np.full(1000, 7)
    assert np.all(thin(counts, 0.999, rng) <= counts)


def test_sampling_table_draws_in_proportion():
    rng = np.random.default_rng(1)
    table = sampling_table(np.array([1.0, 3.0, 0.0, 6.0]))
    draws = draw_index(table, rng, 200_000)
    freq = np.bincount(draws, minlength=4) / draws.size
    assert freq[2] == 0
    assert freq == pytest.approx([0.1, 0.3, 0.0, 0.6], abs=0.01)
