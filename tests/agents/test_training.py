"""Training courses: standard against crash courses (paper §3.1)."""

from __future__ import annotations

import numpy as np
from helpers import small_scenario

from village_sim.run import run


def test_standard_courses_convert_more_trainees_than_crash_courses():
    rates = {}
    for share in (1.0, 0.0):
        values = [
            run(
                small_scenario(steps=60, training__crash_share=share, training__seats_per_year=120),
                seed=s,
            ).indicators["training_conversion_rate"]
            for s in (1, 2, 3)
        ]
        rates[share] = np.mean([v for v in values if v is not None])
    assert rates[0.0] > rates[1.0]
