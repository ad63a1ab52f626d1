"""Random streams and counts of people (MODEL.md §1)."""

from __future__ import annotations

import numpy as np
import pytest

from village_sim.randomness import (
    draw_index,
    draw_index_plain,
    draws_below,
    sampling_table,
    stochastic_round,
    thin,
    uniform,
)


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


@pytest.mark.parametrize(
    "bit_generator", [np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64]
)
@pytest.mark.parametrize("size", [(5_000, 6), 17, 0])
def test_draws_from_raw_bits_equal_the_uniform_formulas(bit_generator, size):
    weights = np.random.default_rng(2).random(300)
    weights[::7] = 0.0
    table = sampling_table(weights)
    fast, plain = (np.random.Generator(bit_generator(11)) for _ in range(2))
    assert np.array_equal(draw_index(table, fast, size), draw_index_plain(table, plain, size))
    for p in (0.0, 0.1, 1 / 3, 0.5, 1.0):
        assert np.array_equal(draws_below(fast, size, p), plain.random(size) < p)
    assert fast.random() == plain.random()  # both advanced alike


def test_draws_fall_back_to_the_uniform_formulas():
    table = np.arange(10)  # not a power of two
    a, b = np.random.default_rng(4), np.random.default_rng(4)
    assert np.array_equal(draw_index(table, a, 1000), draw_index_plain(table, b, 1000))
    mt_a, mt_b = (np.random.Generator(np.random.MT19937(4)) for _ in range(2))
    assert np.array_equal(
        draw_index(sampling_table(np.ones(3)), mt_a, 50),
        draw_index_plain(sampling_table(np.ones(3)), mt_b, 50),
    )
    assert np.array_equal(draws_below(mt_a, 50, 0.3), mt_b.random(50) < 0.3)


@pytest.mark.parametrize(
    "bit_generator",
    [np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64, np.random.MT19937],
)
def test_one_uniform_is_the_generators_own_draw(bit_generator):
    fast, plain = np.random.Generator(bit_generator(5)), np.random.Generator(bit_generator(5))
    for i in range(2000):
        x = uniform(fast)
        assert type(x) is float and x == plain.random(), i
        if i % 7 == 0:  # interleaved with other draws of the same streams
            assert np.array_equal(
                fast.random(3, dtype=np.float32), plain.random(3, dtype=np.float32)
            )
    assert str(fast.bit_generator.state) == str(plain.bit_generator.state)
