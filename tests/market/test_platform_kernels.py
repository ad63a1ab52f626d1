"""Placing followed anchors in a unit's offers: the tuned paths agree with the plain scan."""

from __future__ import annotations

import numpy as np
import pytest

from village_sim.market.platform import (
    _place_followed_8,
    _place_followed_general,
    place_followed_plain,
    streaming_byte,
)


def _case(n_slots: int, seed: int, k: int = 6):
    rng = np.random.default_rng(seed)
    fpos = np.where(rng.random((400, n_slots)) < 0.5, rng.integers(0, 30, (400, n_slots)), -1)
    offers = rng.integers(-1, 30, (400, k))
    return fpos, offers


def _run(place, fpos, offers, k_follow, start):
    o, slot, paid = offers.copy(), np.full(offers.shape, -1), np.ones(offers.shape, bool)
    left = place(o, slot, paid, fpos, k_follow, start)
    if isinstance(left, tuple):
        left = list(zip(left[0].tolist(), left[1].tolist(), strict=True))
    return o, slot, paid, sorted(left)


@pytest.mark.parametrize("n_slots", [3, 8, 11])
@pytest.mark.parametrize("k_follow", [0, 1, 3, 6])
@pytest.mark.parametrize("start", [0, 5])
def test_general_and_byte_table_paths_equal_the_plain_scan(n_slots, k_follow, start):
    fpos, offers = _case(n_slots, seed=n_slots * 100 + k_follow * 10 + start)
    start %= n_slots
    expected = _run(place_followed_plain, fpos, offers, k_follow, start)
    paths = [_place_followed_general] + ([_place_followed_8] if n_slots == 8 else [])
    for place in paths:
        got = _run(place, fpos, offers, k_follow, start)
        for a, b in zip(got, expected, strict=True):
            assert np.array_equal(np.asarray(a), np.asarray(b)), place.__name__


def test_streaming_byte_equals_packbits():
    rows = np.random.default_rng(5).random((1000, 8)) < 0.4
    expected = np.packbits(rows, axis=1, bitorder="little")[:, 0]
    assert np.array_equal(streaming_byte(rows), expected)
    assert streaming_byte(np.eye(8, dtype=bool)).tolist() == [1 << s for s in range(8)]
