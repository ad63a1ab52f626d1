"""Units of the books: one number and an array round to the same integers."""

from __future__ import annotations

import numpy as np

from village_sim.units import to_fen, to_grams


def test_one_number_rounds_as_the_array_formula():
    rng = np.random.default_rng(7)
    # Halves (ties to even), negatives, large amounts and ordinary prices.
    values = np.concatenate(
        (
            np.arange(-50, 50) / 200,
            rng.uniform(-1e6, 1e6, 2000),
            rng.uniform(0, 30, 2000),
            [0.125, 0.135, 2.675, 1e12 + 0.005],
        )
    )
    fen, grams = to_fen(values), to_grams(values)
    for i, x in enumerate(values.tolist()):
        one_fen, one_grams = to_fen(x), to_grams(x)
        assert type(one_fen) is int and type(one_grams) is int
        assert one_fen == fen[i] and one_grams == grams[i], x
    assert to_fen(3) == 300 and to_grams(2) == 2000
