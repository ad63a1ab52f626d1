"""The platform (environment, extension): allocates consumers' attention over anchors.

Each consumer unit sees at most ``k`` offers a week. Up to ``followed_offer_share·k`` of them come
from streaming anchors its people follow (follow slots scanned from a column that rotates weekly);
the rest are drawn from the platform's allocation: organic share ∝
``(followers + 1)^α · conversion^γ · sessions`` with ``conversion = (orders + a)/(views + b)`` over
the last 4 weeks (so newcomers get some traffic), plus an exploration pool (extension: platforms give
new rooms a traffic pool) spread by air time, mixed with paid traffic bought at a price per
thousand views. α = 1 by default: concentration must *emerge* from following, paid traffic,
external followings and supply limits. A fairness policy can cap a top anchor's share and boost
local sellers.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from village_sim.accounts import Account, Flow
from village_sim.randomness import draw_index, draws_below, sampling_table
from village_sim.units import to_fen

if TYPE_CHECKING:
    from village_sim.market.sessions import Sellers


@dataclass
class Offers:
    """The week's offers: what each consumer unit sees.

    Attributes:
        offers: (U, k) seller positions (``-1`` = no offer).
        slot_of: (U, k) the unit's follow slot holding that seller (``-1`` = not followed).
        paid: (U, k) whether the slot was paid traffic.
        paid_delivered: (A,) paid person-views delivered to each seller.
    """

    offers: np.ndarray
    slot_of: np.ndarray
    paid: np.ndarray
    paid_delivered: np.ndarray | None = None

    @property
    def followed(self) -> np.ndarray:
        """(U, k) whether the unit follows the offered seller."""
        return self.slot_of >= 0


def organic_weights(
    followers: np.ndarray,
    orders: np.ndarray,
    views: np.ndarray,
    alpha: float,
    gamma: float,
    prior_orders: float,
    prior_views: float,
) -> np.ndarray:
    """Organic traffic weights ``(followers + 1)^α · ((orders + a)/(views + b))^γ``."""
    conversion = (orders + prior_orders) / (views + prior_views)
    return (followers + 1.0) ** alpha * conversion**gamma


def capped_shares(weights: np.ndarray, cap: float) -> np.ndarray:
    """Normalise weights to shares with no share above ``cap`` (excess spread pro rata)."""
    shares = weights / weights.sum()
    if cap >= 1.0 or shares.size * cap < 1.0:
        return shares
    for _ in range(shares.size):
        over = shares > cap
        if not over.any():
            break
        excess = float((shares[over] - cap).sum())
        shares[over] = cap
        under = ~over & (shares < cap)
        if not under.any():
            break
        shares[under] += excess * shares[under] / shares[under].sum()
    return shares


class Platform:
    """Traffic allocation and the platform's fees.

    Args:
        model: The model (scenario, consumers, governance levers, ledgers, week).
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.rng = model.streams["platform"]

    def allocate(self, sellers: Sellers | None) -> Offers | None:
        """Every unit's offers for this week; paid traffic is delivered and charged.

        Organic traffic follows followers, recent conversion and air time; paid traffic what
        sellers asked to buy (None when nobody streams).
        """
        if sellers is None:
            return None
        anchors = sellers.anchors
        orders4 = np.array([sum(a.orders_hist) for a in anchors], dtype=float)
        views4 = np.array([sum(a.views_hist) for a in anchors], dtype=float)
        paid_request = np.array([a.paid_views for a in anchors], dtype=float)
        offers, paid_delivered = self.allocate_views(
            sellers.ids,
            sellers.followers,
            orders4,
            views4,
            paid_request,
            sellers.local,
            sellers.sessions,
        )
        self._charge_paid_traffic(sellers.ids, np.minimum(paid_delivered, paid_request))
        offers.paid_delivered = paid_delivered
        return offers

    def _charge_paid_traffic(self, ids: np.ndarray, views: np.ndarray) -> None:
        cpm = self.model.config.platform.cpm_yuan
        fen = to_fen(views * cpm / 1000)
        buyers = np.flatnonzero(fen > 0)
        self.model.money.transfer(
            Flow.PAID_TRAFFIC, Account.ANCHORS, ids[buyers], Account.PLATFORM, 0, fen[buyers]
        )

    def allocate_views(
        self,
        seller_ids: np.ndarray,
        followers: np.ndarray,
        orders: np.ndarray,
        views: np.ndarray,
        paid_request: np.ndarray,
        is_local: np.ndarray,
        sessions: np.ndarray | None = None,
    ) -> tuple[Offers, np.ndarray]:
        """Choose every unit's offers for this week (the arrays behind :meth:`allocate`).

        Args:
            seller_ids: Global anchor index of each seller this week (A,).
            followers: People following each seller (A,).
            orders: Orders of each seller over the last 4 weeks (A,).
            views: Views of each seller over the last 4 weeks (A,).
            paid_request: Person-views each seller wants to buy (A,).
            is_local: Whether each seller is a local (rural) seller (A,).
            sessions: Sessions each seller runs this week (A,); organic and exploration traffic
                is proportional to air time.

        Returns:
            The allocation and the paid person-views delivered to each seller.
        """
        model = self.model
        sc = model.config
        cfg, pc = sc.consumers, sc.platform
        consumers = model.consumers
        n_units, k = consumers.n, cfg.offers_per_week
        n_sellers = seller_ids.size
        k_follow = int(np.floor(k * cfg.followed_offer_share))

        # Position of each followed anchor among this week's sellers (-1: not selling).
        # (int16 while positions fit: a quarter of the memory for a population's follow slots)
        small = n_sellers < np.iinfo(np.int16).max
        position = np.full(model.anchor_count + 1, -1, dtype=np.int16 if small else np.int64)
        position[seller_ids] = np.arange(n_sellers)
        fpos = position[consumers.follow_anchor]

        # Drawn slots: organic (with an exploration pool for newcomers) or paid.
        gov = model.governance
        weights = organic_weights(
            followers,
            orders,
            views,
            pc.alpha,
            pc.gamma,
            pc.conversion_prior_orders,
            pc.conversion_prior_views,
        )
        weights = weights * np.where(is_local, gov.local_boost(), 1.0)
        air_time = np.ones(n_sellers) if sessions is None else np.maximum(sessions, 1e-9)
        weights = weights * air_time
        explore = pc.exploration_share
        organic = (1 - explore) * weights / weights.sum() + explore * air_time / air_time.sum()
        organic = capped_shares(organic, gov.top_share_cap())
        slot_views = cfg.viewer_share * consumers.mean_scale
        capacity_views = n_units * (k - k_follow) * slot_views
        requested = float(paid_request.sum())
        paid_fraction = 0.0
        if requested > 0 and capacity_views > 0:
            paid_fraction = min(pc.paid_share_cap, requested / capacity_views)
        offers = draw_index(sampling_table(organic), self.rng, (n_units, k))
        is_paid = draws_below(self.rng, (n_units, k), paid_fraction)
        if requested > 0:
            paid_at = np.flatnonzero(is_paid)
            offers.reshape(-1)[paid_at] = draw_index(
                sampling_table(paid_request), self.rng, paid_at.size
            )
        slot_of = np.full((n_units, k), -1, dtype=np.int64)
        left_rows, left_slots = self._place_followed(offers, slot_of, is_paid, fpos, k_follow)
        _drop_duplicates(offers)
        is_paid &= offers >= 0
        _match_follow_slots(offers, slot_of, fpos, left_rows, left_slots, k_follow)
        paid_offers = offers.reshape(-1)[np.flatnonzero(is_paid)]
        paid_delivered = np.bincount(paid_offers, minlength=n_sellers).astype(float) * slot_views
        return Offers(offers, slot_of, is_paid), paid_delivered

    def _place_followed(
        self,
        offers: np.ndarray,
        slot_of: np.ndarray,
        is_paid: np.ndarray,
        fpos: np.ndarray,
        k_follow: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Put up to ``k_follow`` streaming followed anchors in each unit's first slots.

        Follow slots are scanned from a column that rotates weekly, so a unit following many
        anchors sees each of them in turn.

        Returns:
            ``(rows, slots)`` of the streaming followed anchors that did not fit: only these can
            match an offer the platform drew (see :func:`_match_follow_slots`).
        """
        n_slots = fpos.shape[1]
        start = self.model.week % n_slots
        if n_slots == 8:
            return _place_followed_8(offers, slot_of, is_paid, fpos, k_follow, start)
        return _place_followed_general(offers, slot_of, is_paid, fpos, k_follow, start)


def _place_followed_general(
    offers: np.ndarray,
    slot_of: np.ndarray,
    is_paid: np.ndarray,
    fpos: np.ndarray,
    k_follow: int,
    start: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`Platform._place_followed` for any number of follow slots: one pass per slot."""
    n_slots = fpos.shape[1]
    k = offers.shape[1]
    filled = np.zeros(offers.shape[0], dtype=np.int64)
    flat_offers, flat_slot, flat_paid = (a.reshape(-1) for a in (offers, slot_of, is_paid))
    left_rows, left_slots = [], []
    for step in range(n_slots):
        s = (start + step) % n_slots
        col = fpos[:, s]
        streaming = col >= 0
        if step < k_follow:  # no unit is full yet
            placed = streaming
        else:
            fits = filled < k_follow
            placed = streaming & fits
            over = np.flatnonzero(streaming & ~fits)
            left_rows.append(over)
            left_slots.append(np.full(over.size, s, dtype=np.int64))
        rows = np.flatnonzero(placed)
        at = rows * k + filled[rows]
        flat_offers[at] = col[rows]
        flat_slot[at] = s
        flat_paid[at] = False
        filled += placed
    if not left_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(left_rows), np.concatenate(left_slots)


def place_followed_plain(
    offers: np.ndarray,
    slot_of: np.ndarray,
    is_paid: np.ndarray,
    fpos: np.ndarray,
    k_follow: int,
    start: int,
) -> list[tuple[int, int]]:
    """Followed anchors in a unit's first offers, unit by unit: the plain form of the placement.

    Each unit scans its follow slots from ``start`` (rotating weekly); a slot whose anchor streams
    (``fpos >= 0``) takes the unit's next offer, as organic traffic, until ``k_follow`` are
    placed. Returns the (unit, slot) pairs of streaming followed anchors that did not fit.
    :meth:`Platform._place_followed` and :func:`_place_followed_8` give the same offers (a test
    checks it).
    """
    n_slots = fpos.shape[1]
    left = []
    for u in range(offers.shape[0]):
        placed = 0
        for step in range(n_slots):
            s = (start + step) % n_slots
            if fpos[u, s] < 0:
                continue
            if placed < k_follow:
                offers[u, placed], slot_of[u, placed], is_paid[u, placed] = fpos[u, s], s, False
                placed += 1
            else:
                left.append((u, s))
    return left


def streaming_byte(streaming: np.ndarray) -> np.ndarray:
    """Each row's 8 booleans packed into one byte, bit s = column s.

    ``np.packbits(streaming, axis=1, bitorder="little")[:, 0]`` (a test checks they agree), three
    times faster: read a row's 8 bytes (each 0 or 1) as one little-endian 64-bit word ``w``, so
    byte s holds bit ``8s``; multiplying by ``0x0102040810204080`` (bit ``56 − 7s`` set for each s)
    moves bit ``8s`` to bit ``56 + s``; the other partial products fall outside the top byte and
    none carries into it (each byte is 0 or 1), so ``w·M >> 56`` is the packed byte.
    """
    if sys.byteorder != "little":
        return np.packbits(streaming, axis=1, bitorder="little")[:, 0].astype(np.intp)
    words = np.ascontiguousarray(streaming).view(np.uint64).reshape(-1)
    return ((words * np.uint64(0x0102040810204080)) >> np.uint64(56)).astype(np.intp)


@functools.cache
def _scan_tables(start: int, k_follow: int) -> tuple[np.ndarray, np.ndarray]:
    """Look-up tables of the weekly follow-slot scan for 8 slots, starting at slot ``start``.

    A set of streaming slots is a byte (bit s = slot s). For each such byte the tables give the
    first ``k_follow`` slots in scan order (-1 where there are fewer) and the slots left over.
    Built for all 256 bytes at once; :func:`scan_tables_plain` is the byte-by-byte formula (a
    test compares them).

    Returns:
        ``(first, rest)``: ``first[c]`` (256,) is the c-th slot placed; ``rest`` (256,) the
        leftover slots as a byte. Read-only, cached per (start, k_follow).
    """
    order = (start + np.arange(8)) % 8  # slots in scan order
    streaming = (np.arange(256)[:, None] >> order[None, :]) & 1  # (byte, position in the scan)
    rank = np.cumsum(streaming, axis=1) - streaming  # streaming slots scanned before
    first = np.full((k_follow, 256), -1, dtype=np.int64)
    for c in range(k_follow):
        mask, position = np.nonzero((streaming == 1) & (rank == c))  # at most one per byte
        first[c, mask] = order[position]
    left = (streaming == 1) & (rank >= k_follow)
    rest = (left * (1 << order)[None, :]).sum(axis=1).astype(np.uint8)
    first.flags.writeable = rest.flags.writeable = False
    return first, rest


def scan_tables_plain(start: int, k_follow: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_scan_tables` byte by byte: each byte's streaming slots listed in scan order."""
    order = [(start + step) % 8 for step in range(8)]
    first = np.full((k_follow, 256), -1, dtype=np.int64)
    rest = np.zeros(256, dtype=np.uint8)
    for mask in range(256):
        streaming = [s for s in order if mask >> s & 1]
        for c, s in enumerate(streaming[:k_follow]):
            first[c, mask] = s
        for s in streaming[k_follow:]:
            rest[mask] |= 1 << s
    return first, rest


def _place_followed_8(
    offers: np.ndarray,
    slot_of: np.ndarray,
    is_paid: np.ndarray,
    fpos: np.ndarray,
    k_follow: int,
    start: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`Platform._place_followed` for 8 follow slots, by table look-up.

    A unit's streaming slots fit in one byte, so the slots placed in each offer column and the
    slots left over come from tables indexed by that byte (the same scan order, the same result)
    instead of a pass over every slot.
    """
    n, k = offers.shape
    mask = streaming_byte(fpos >= 0)
    first, rest = _scan_tables(start, k_follow)
    flat_offers, flat_slot, flat_paid = (a.reshape(-1) for a in (offers, slot_of, is_paid))
    flat_fpos = fpos.reshape(-1)
    for c in range(min(k_follow, k)):
        slot = np.take(first[c], mask)
        rows = np.flatnonzero(slot >= 0)
        slot = slot[rows]
        at = rows * k + c
        flat_offers[at] = flat_fpos[rows * 8 + slot]
        flat_slot[at] = slot
        flat_paid[at] = False
    left = np.take(rest, mask)
    rows = np.flatnonzero(left != 0)
    left = left[rows]
    left_rows, left_slots = [], []
    for s in range(8):
        hit = rows[(left >> s) & 1 == 1]
        left_rows.append(hit)
        left_slots.append(np.full(hit.size, s, dtype=np.int64))
    return np.concatenate(left_rows), np.concatenate(left_slots)


def _match_follow_slots(
    offers: np.ndarray,
    slot_of: np.ndarray,
    fpos: np.ndarray,
    rows: np.ndarray,
    slots: np.ndarray,
    k_follow: int,
) -> None:
    """Mark drawn offers of anchors the unit follows with their follow slot (in place).

    Only followed anchors that :meth:`Platform._place_followed` could not place (``rows``,
    ``slots``) are looked up: a drawn offer of a placed one repeats an earlier offer of its row and
    was blanked by :func:`_drop_duplicates`. A unit follows an anchor in at most one slot, and a
    row with an anchor left over has its first ``k_follow`` offers taken by other followed
    anchors, so only the drawn offers after them are compared.
    """
    k = offers.shape[1]
    if rows.size == 0 or k_follow >= k:
        return
    anchor = fpos.reshape(-1)[rows * fpos.shape[1] + slots].astype(offers.dtype)
    # The rows' drawn offers at once (take copies rows fast), compared with each row's anchor.
    hit = np.flatnonzero(np.take(offers[:, k_follow:], rows, axis=0) == anchor[:, None])
    line, column = np.divmod(hit, k - k_follow)
    slot_of.reshape(-1)[rows[line] * k + column + k_follow] = slots[line]


def match_follow_slots_plain(offers: np.ndarray, slot_of: np.ndarray, fpos: np.ndarray) -> None:
    """:func:`_match_follow_slots` unit by unit: every offer of a followed anchor gets its slot.

    For each unit and each follow slot whose anchor streams, an offer of that anchor is marked
    with the slot (a test checks the tuned form, which looks only at the slots left over by the
    placement, gives the same ``slot_of`` after :func:`_drop_duplicates`).
    """
    for u in range(offers.shape[0]):
        for s in range(fpos.shape[1]):
            if fpos[u, s] < 0:
                continue
            for j in range(offers.shape[1]):
                if offers[u, j] == fpos[u, s]:
                    slot_of[u, j] = s


@functools.cache
def _same_row_masks(n_rows: int, k: int) -> tuple[np.ndarray, ...]:
    """Same-row masks of a flattened (n_rows, k) array, one per lag ``d`` in 1..k-1.

    Mask ``d`` says for each flat cell ``i`` whether cell ``i + d`` lies in the same row
    (read-only arrays, cached per shape).
    """
    column = np.tile(np.arange(k, dtype=np.int64), n_rows)
    masks = tuple(column[d:] >= d for d in range(1, k))
    for mask in masks:
        mask.flags.writeable = False
    return masks


def _drop_duplicates(offers: np.ndarray) -> None:
    """Blank out an offer that repeats an earlier one in the same row (in place).

    Works on the flattened array: cells ``d`` apart are compared where both lie in one row.
    """
    flat = offers.reshape(-1)
    dup = np.zeros(flat.size, dtype=bool)
    for d, same_row in enumerate(_same_row_masks(*offers.shape), start=1):
        repeat = flat[d:] == flat[:-d]
        repeat &= same_row
        dup[d:] |= repeat
    flat[np.flatnonzero(dup)] = -1  # scattering to the few repeats beats a masked write
