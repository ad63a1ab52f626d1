"""Placing followed anchors in a unit's offers: the tuned paths agree with the plain scan."""

from __future__ import annotations

import numpy as np
import pytest

from village_sim.market.platform import (
    _drop_duplicates,
    _match_follow_slots,
    _place_followed_8,
    _place_followed_general,
    _scan_tables,
    match_follow_slots_plain,
    place_followed_plain,
    scan_tables_plain,
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


@pytest.mark.parametrize("k_follow", [0, 1, 3, 6])
def test_matching_leftover_follow_slots_equals_the_plain_scan(k_follow):
    rng = np.random.default_rng(11 + k_follow)
    n, k = 500, 6
    # Each unit follows distinct anchors (at most one slot per anchor), some of them streaming.
    fpos = np.stack([rng.permutation(20)[:8] for _ in range(n)])
    fpos = np.where(rng.random((n, 8)) < 0.6, fpos, -1)
    drawn = rng.integers(-1, 20, (n, k))
    offers, slot, paid = drawn.copy(), np.full((n, k), -1), np.ones((n, k), bool)
    rows, slots = _place_followed_8(offers, slot, paid, fpos, k_follow, 3)
    _drop_duplicates(offers)
    plain = slot.copy()
    _match_follow_slots(offers, slot, fpos, rows, slots, k_follow)
    match_follow_slots_plain(offers, plain, fpos)
    assert np.array_equal(slot, plain)
    if k_follow < k:
        assert (slot[:, k_follow:] >= 0).any()  # drawn offers of followed anchors were matched


@pytest.mark.parametrize("start", range(8))
def test_scan_tables_equal_the_byte_by_byte_scan(start):
    for k_follow in range(9):
        first, rest = _scan_tables(start, k_follow)
        first_plain, rest_plain = scan_tables_plain(start, k_follow)
        assert first.dtype == first_plain.dtype and rest.dtype == rest_plain.dtype
        assert np.array_equal(first, first_plain) and np.array_equal(rest, rest_plain)
        assert not first.flags.writeable and not rest.flags.writeable
    # A byte with every slot streaming: the scan starts at ``start``.
    assert _scan_tables(start, 1)[0][0, 255] == start
