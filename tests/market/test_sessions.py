"""Sessions: stalls from bandwidth and power (paper §3.2)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.market.sessions import stall_probability
from village_sim.run import run


def test_stall_probability_falls_as_uplink_bandwidth_rises():
    bandwidth = np.array([4.0, 8, 16, 32, 64, 128, 256])
    p = stall_probability(bandwidth, np.ones(7), 0.02, 0.6, 20.0)
    assert np.all(np.diff(p) < 0)
    assert p[-1] == pytest.approx(0.02, abs=1e-3)


def test_power_outages_add_stalls():
    good = stall_probability(np.array([50.0]), np.array([1.0]), 0.02, 0.6, 20.0)
    bad = stall_probability(np.array([50.0]), np.array([0.9]), 0.02, 0.6, 20.0)
    assert bad[0] > good[0]
    assert bad[0] == pytest.approx(1 - (1 - good[0]) * 0.9)


def test_mountain_villages_stall_more_than_plain_ones_in_a_run():
    result = run(
        small_scenario(
            steps=40, **{"world__county__terrain_mix": {"plain": 0.5, "hill": 0.0, "mountain": 0.5}}
        ),
        seed=3,
    )
    stats = result.model.books.stats_frame()
    mountain = stats["stalled_mountain"].sum() / stats["sessions_mountain"].sum()
    overall = stats["sessions_stalled"].sum() / stats["sessions_hosted"].sum()
    assert mountain > overall


def test_more_bandwidth_everywhere_cuts_the_stall_rate():
    slow = run(
        small_scenario(
            **{
                # Upload rates (b_scale ≈ 2 Mbps): 1 Mbps stalls often, 200 Mbps hardly ever.
                "world__terrain__plain__uplink_mbps": 1,
                "world__terrain__hill__uplink_mbps": 1,
                "world__terrain__mountain__uplink_mbps": 1,
            }
        ),
        seed=1,
    )
    fast = run(
        small_scenario(
            **{
                "world__terrain__plain__uplink_mbps": 200,
                "world__terrain__hill__uplink_mbps": 200,
                "world__terrain__mountain__uplink_mbps": 200,
            }
        ),
        seed=1,
    )
    assert fast.indicators["stall_rate"] < slow.indicators["stall_rate"]


def test_stall_draws_are_binomial_and_coupled_across_stall_chances():
    from village_sim.market.sessions import stall_draws

    sessions = np.full(20_000, 4)
    low = stall_draws(sessions, np.full(sessions.size, 0.1), np.random.default_rng(3))
    high = stall_draws(sessions, np.full(sessions.size, 0.3), np.random.default_rng(3))
    assert low.mean() == pytest.approx(0.4, abs=0.02)  # 4 sessions × 0.1
    assert high.mean() == pytest.approx(1.2, abs=0.03)
    assert (high >= low).all() and (low <= sessions).all()
