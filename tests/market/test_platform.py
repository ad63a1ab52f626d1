"""The platform: organic traffic, the conversion prior, caps, concentration."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.market.platform import capped_shares, organic_weights
from village_sim.run import run


def test_organic_weights_follow_followers_to_the_power_alpha():
    followers = np.array([0.0, 9.0, 99.0])
    flat = organic_weights(followers, np.zeros(3), np.zeros(3), 1.0, 1.0, 1.0, 100.0)
    steep = organic_weights(followers, np.zeros(3), np.zeros(3), 2.0, 1.0, 1.0, 100.0)
    assert flat[2] / flat[1] == pytest.approx(10.0)
    assert steep[2] / steep[1] == pytest.approx(100.0)


def test_newcomers_get_traffic_through_the_conversion_prior():
    w = organic_weights(np.array([0.0]), np.array([0.0]), np.array([0.0]), 1.0, 1.0, 1.0, 100.0)
    assert w[0] > 0


def test_capped_shares_respect_the_cap_and_sum_to_one():
    shares = capped_shares(np.array([100.0, 1, 1, 1, 1]), 0.3)
    assert shares.max() <= 0.3 + 1e-12
    assert shares.sum() == pytest.approx(1.0)


def test_a_higher_alpha_concentrates_traffic():
    hhi = {}
    for alpha in (0.0, 2.0):
        # The run's mean weekly HHI: the number of sellers in any one week depends on entry and
        # exit, so one week's index is noisy.
        values = [
            np.nanmean(
                run(
                    small_scenario(
                        steps=30, platform__alpha=alpha, platform__exploration_share=0.1
                    ),
                    seed=s,
                ).timeseries["traffic_hhi"]
            )
            for s in (1, 2, 3, 4, 5)
        ]
        hhi[alpha] = np.mean(values)
    assert hhi[2.0] > hhi[0.0]
