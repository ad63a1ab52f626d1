"""Consumers in the cities (extension, MODEL.md §3): super-individuals processed together in NumPy.

A consumer unit stands for ``scale`` similar people sharing price and quality sensitivity, trust in
the anchors they follow and in village brands. Its actions are counts of people: how many view, buy,
complain, ask refunds, follow. Follows and purchase memory are NumPy arrays — ``follow_anchor``,
``follow_people``, ``follow_trust`` of shape (units, slots) and ``bought`` of shape (units, villages)
— never per-pair Python objects.

Each week a unit sees at most ``k`` offers chosen by the platform, chooses among them by multinomial
logit (relative price cut, advertised quality × trust, village brand trust × the seller's brand
quality and equity, following, an outside option),
and after delivery moves trust toward its experience (``received − advertised``): a large shortfall
brings complaints and refunds, satisfaction brings follows, distrust drives unfollows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from village_sim.accounts import Account, Flow
from village_sim.agents.pricing import record_refunds
from village_sim.numerics import OFFER_BLOCK, combine_pairwise, pairwise_leaves
from village_sim.randomness import stochastic_round, thin, thin_nonzero

if TYPE_CHECKING:
    from village_sim.market.logistics import Deliveries
    from village_sim.market.orders import Orders
    from village_sim.market.platform import Offers
    from village_sim.market.sessions import Sellers

EMPTY = -1


def _select(mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.where(mask, a, b)`` for finite float arrays, by arithmetic (``a·mask + b·~mask``).

    Exact: the unselected term is ±0, and adding it changes at most the sign of a zero. Faster
    than ``np.where``, which branches on every element of an irregular mask.
    """
    out = a * mask
    out += b * ~mask
    return out


def _row_sums(v: np.ndarray) -> np.ndarray:
    """``v.sum(axis=1)``, bit for bit, column by column when rows are short.

    NumPy sums a row of fewer than 8 elements in order from zero (0 + v[:, 0] + v[:, 1] + ...;
    longer rows are summed pairwise, so they are left to NumPy). Adding whole columns does the
    same additions without the reduction's per-row overhead.
    """
    if v.shape[1] >= 8:
        return v.sum(axis=1)
    total = np.zeros(v.shape[0], dtype=v.dtype)
    for j in range(v.shape[1]):
        total += v[:, j]
    return total


def _distinct(units: np.ndarray) -> np.ndarray:
    """The distinct values of ``units`` (cheaply when they come sorted, as order lines do)."""
    if units.size and (units[1:] >= units[:-1]).all():
        return units[np.concatenate(([True], units[1:] != units[:-1]))]
    return np.unique(units)


def _count_dtype(limit: float) -> np.dtype:
    """The smallest signed integer type that holds every count up to ``limit``."""
    for dtype in (np.int8, np.int16, np.int32):
        if limit <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


UNIT_BLOCK = 1 << 13
"""Consumer units per block in :meth:`ConsumerPopulation.choose` and
:meth:`ConsumerPopulation.unfollow`: a block's working arrays fit in the CPU cache (a province's
whole population does not). Any size gives the same numbers; measured here (2-core EPYC,
interleaved in one process), 8,192 beat 4,096 by 10 % on a county's choice and matched it on a
province's, 16,384 gained nothing more."""

KEPT_SUMS_MIN_UNITS = 1 << 16
"""Smallest population whose T_v is kept as partial sums (:class:`_VillageTrustSums`): a
province's 200,000 units gain (16 -> 3 ms a week); a county's 20,000 sum the few villages read a
week faster whole (0.27 against 0.39 ms)."""

PAIRWISE_LEAF = 1 << 18
"""Largest piece :func:`_sum_of_products` multiplies at once: a county's follow slots are one
piece; a province's are split, so no product array of the whole population is built."""


def _sum_of_products(a: np.ndarray, b: np.ndarray) -> np.float64:
    """``(a * b).sum()`` of two 1-d arrays, bit for bit, without the full product array.

    NumPy sums a contiguous float64 array pairwise: a piece of more than 128 elements is split
    at half its length rounded down to a multiple of 8, and the two halves' sums are added. This
    follows the same splits, down to pieces of at most :data:`PAIRWISE_LEAF` elements whose
    products NumPy sums itself, so every partial sum is the one NumPy would compute.
    """

    def piece(lo: int, n: int) -> np.float64:
        if n <= PAIRWISE_LEAF:
            return np.add.reduce(np.multiply(a[lo : lo + n], b[lo : lo + n], dtype=np.float64))
        half = n // 2
        half -= half % 8
        return piece(lo, half) + piece(lo + half, n - half)

    if np.result_type(a, b) != np.float64:
        return (a * b).sum()
    return piece(0, a.size)


@dataclass
class Choices:
    """What consumers chose this week among their offers (counts of people).

    Attributes:
        viewers: (U, k) expected person-views of each offer.
        buyers: (U, k) people who want to buy from each offer.
        line: Flat (unit, offer) cells with buyers, row-major (the order lines).
    """

    viewers: np.ndarray
    buyers: np.ndarray
    line: np.ndarray


def choice_plain(
    population: ConsumerPopulation,
    offers: np.ndarray,
    slot_of: np.ndarray,
    seller: dict[str, np.ndarray],
    stall_keep: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Consumer choice as a formula: the plain form of :meth:`ConsumerPopulation.choose_offers`.

    A unit sees its offers ``j`` and buys by multinomial logit with an outside option (MODEL.md
    §3), in float32 like the tuned kernel (``w`` is ``consumers.unfollowed_brand_weight``)::

        trust_j = follow trust if followed else (1 − w)·trust_initial + w·brand trust
        trust_j += trust_boost_j·(1 − trust_j)
        v_j = base + boost_j + price_weight·markdown_j + quality_weight·(quality_j·trust_j − 0.5)
              + follow_weight·followed_j + brand_weight·brand trust·(Q·E)_j
        P_j = exp(min(v_j, 30)) / (1 + Σ_k exp(min(v_k, 30)))
        viewers_j = scale·viewer_share·stall_keep_j
        buyers_j = round_stochastic(P_j·viewers_j·(1 − known_j + known_j·e^{repeat_weight·(2·brand − 1)}))

    with ``known_j`` the share of the unit's people who bought the village's goods before and
    ``(Q·E)_j`` the seller's brand quality factor times its brand equity (ECONOMICS.md §A
    "Strategy": the brand term ``ω_b·T_v·Q·E``).
    Returns ``(viewers, buyers)`` as the kernel does; a test checks the two agree.
    """
    p = population
    cfg = p.model.config.consumers
    f32 = np.float32
    units = np.arange(p.n)[:, None]
    empty = offers < 0
    village = seller["village"][offers]
    followed = slot_of >= 0
    brand = p.brand_trust[units, village]
    w = cfg.unfollowed_brand_weight
    alt = brand * f32(w) + f32((1 - w) * cfg.trust_initial)
    trust = np.where(followed, p.follow_trust[units, np.maximum(slot_of, 0)], alt)
    trust = trust + seller["trust_boost"].astype(f32)[offers] * (1 - trust)
    v = (cfg.base_utility + seller["boost"]).astype(f32)[offers]
    v = v + seller["markdown"].astype(f32)[offers] * p.price_weight[:, None]
    v = v + (seller["quality"].astype(f32)[offers] * trust - f32(0.5)) * p.quality_weight[:, None]
    v = v + f32(cfg.follow_weight) * followed
    v = v + f32(cfg.brand_weight) * brand * seller["brand"].astype(f32)[offers]
    weight = np.where(empty, f32(0.0), np.exp(np.minimum(v, f32(30.0))))
    share = weight / (weight.sum(axis=1) + f32(1.0))[:, None]
    keep = np.where(empty, f32(0.0), stall_keep.astype(f32)[offers])
    viewers = keep * p.viewers_per_offer[:, None]
    known = p.bought[units, village].astype(f32) * p.inverse_scale[:, None]
    pull = np.exp((brand * f32(2.0) - f32(1.0)) * f32(cfg.repeat_weight)) * known
    expected = share * viewers * (f32(1.0) - known + pull)
    return viewers, stochastic_round(expected, rng)


class ConsumerPopulation:
    """All consumer units, as arrays.

    Args:
        model: The model (scenario, world, random streams).
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        sc = model.config
        cfg = sc.consumers
        rng = model.streams["consumers"]
        n = sc.population.consumer_units
        self.n = n
        self.scale = np.full(n, sc.population.consumer_unit_scale, dtype=np.int64)
        weights = model.world.city_weight / model.world.city_weight.sum()
        self.city = np.sort(rng.choice(model.world.n_cities, size=n, p=weights))
        self.price_weight = (cfg.price_weight * rng.lognormal(0, 0.3, n)).astype(np.float32)
        self.quality_weight = (cfg.quality_weight * rng.lognormal(0, 0.3, n)).astype(np.float32)
        slots = cfg.follow_slots
        self.follow_anchor = np.full((n, slots), EMPTY, dtype=np.int64)
        self.follow_people = np.zeros((n, slots), dtype=np.int64)
        self.follow_trust = np.zeros((n, slots), dtype=np.float32)
        # People following each anchor, kept exact by every change to the follow arrays.
        self._following = np.zeros(16, dtype=np.int64)
        n_v = model.world.n_villages
        self.brand_trust = np.full((n, n_v), cfg.trust_initial, dtype=np.float32)
        # Each unit's mean brand trust, kept up to date wherever brand_trust changes (experience).
        # Every row starts alike: one row's mean is every row's (without reading 96 MB in a province).
        self._brand_mean = np.full(n, self.brand_trust[0].mean() if n else 0.0, dtype=np.float32)
        # The same trust village by village (kept equal to brand_trust where it changes:
        # experience): one village's trust is contiguous, so reading T_v does not stride over
        # every unit's row (120 villages, 200,000 units in a province). Filled like brand_trust,
        # not transposed from it (a province's 96 MB). T_v's weights as floats, their total and
        # a buffer for the products are kept too (the scale never changes).
        self._brand_trust_by_village = np.full((n_v, n), cfg.trust_initial, dtype=np.float32)
        self._people = self.scale.sum()
        self._people_f = self.scale.astype(np.float64)
        # Every unit the same size (as built): T_v multiplies by that one float64 instead of
        # reading a weight per unit (the same float64 products).
        uniform = n > 0 and bool((self.scale == self.scale[0]).all())
        self._people_each = np.float64(self.scale[0]) if uniform else None
        self._weighted_buffer = np.empty(n)
        self._village_sums = _VillageTrustSums.for_population(
            self._brand_trust_by_village, self._trust_weights()
        )
        # People of each unit who bought each village's goods (capped at the unit's people), in
        # the smallest integer type that holds the cap plus a week's additions: a line has at
        # most viewers × exp(|repeat_weight|) + 1 buyers. A narrow type means less memory for
        # choice to read; the values are the same.
        scale_max = int(self.scale.max(initial=0))
        line_max = scale_max * cfg.viewer_share * np.exp(abs(cfg.repeat_weight)) + 1
        week_limit = scale_max + cfg.offers_per_week * line_max * 1.01 + 1
        self.bought = np.zeros((n, n_v), dtype=_count_dtype(week_limit))
        self.rng = rng
        self.viewers_per_offer = (self.scale * cfg.viewer_share).astype(np.float32)
        self.inverse_scale = (1.0 / self.scale).astype(np.float32)
        self.mean_scale = self.scale.mean()  # people per unit (the scale never changes)
        self._per_offer_cache: dict[tuple[str, int], np.ndarray] = {}

    def _per_offer(self, name: str, k: int) -> np.ndarray:
        """A per-unit array repeated over a unit's ``k`` offers: (units, k), contiguous, cached.

        ``name`` is an attribute (``price_weight``, ``quality_weight``, ``viewers_per_offer``,
        ``inverse_scale``; all fixed at construction) or ``offsets:N`` for ``unit · N`` (flat
        index of a unit's row in a (units, N) array). Same elements as broadcasting
        ``values[:, None]``, but arithmetic on a contiguous array runs several times faster.
        """
        cached = self._per_offer_cache.get((name, k))
        if cached is None:
            if name.startswith("offsets:"):
                values = np.arange(self.n, dtype=np.int64) * int(name.split(":")[1])
            else:
                values = getattr(self, name)
            cached = np.repeat(values[:, None], k, axis=1)
            cached.flags.writeable = False
            self._per_offer_cache[(name, k)] = cached
        return cached

    # -- following ----------------------------------------------------------------------------
    def seed_followers(self, anchors: list[int], share: float, trust: float) -> None:
        """Give new anchors an initial following: ``share`` of every unit's people each.

        The result is that of :meth:`add_follows` for each anchor in turn (drawn people,
        ``trust`` each). Before anyone follows anyone (a model's construction), a faster
        :class:`_EmptySeeding` gives the same slots.
        """
        seeding = _EmptySeeding(self) if (self.follow_anchor < 0).all() else None
        for anchor in anchors:
            people = thin(self.scale, share, self.rng)  # at most each unit's people
            if seeding is not None:
                seeding.add(anchor, people, trust)
                continue
            units = np.flatnonzero(people > 0)
            self.add_follows(
                units, np.full(units.size, anchor), people[units], np.full(units.size, trust)
            )

    def followers(self, n_anchors: int) -> np.ndarray:
        """People following each anchor (by global anchor index), as floats.

        The counts are kept up to date as follows change (equal to summing ``follow_people``
        by ``follow_anchor``).
        """
        return self._following_of(n_anchors)[:n_anchors].astype(float)

    def _following_of(self, n_anchors: int) -> np.ndarray:
        """The follower counts, grown (capacity doubling) to hold ``n_anchors`` anchors."""
        if self._following.size < n_anchors:
            grown = np.zeros(max(n_anchors, 2 * self._following.size), dtype=np.int64)
            grown[: self._following.size] = self._following
            self._following = grown
        return self._following

    def drop_anchor(self, anchor_index: int) -> None:
        """Forget an anchor that quit (its followers are freed)."""
        mask = self.follow_anchor == anchor_index
        self.follow_anchor[mask] = EMPTY
        self.follow_people[mask] = 0
        self._following_of(anchor_index + 1)[anchor_index] = 0

    def trust_in(self, units: np.ndarray, anchors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(followed?, trust) of units in anchors; trust is 0 where not followed."""
        followed, _, trust = self._follow_lookup(units, anchors)
        return followed, trust

    def _follow_lookup(
        self, units: np.ndarray, anchors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(followed?, follow slot, trust) of units in anchors (slot 0, trust 0 if not followed)."""
        match = np.take(self.follow_anchor, units, axis=0) == anchors[:, None]  # take: fast rows
        followed = match.any(axis=1)
        slot = match.argmax(axis=1)
        cell = units * self.follow_trust.shape[1] + slot
        trust = np.where(followed, self.follow_trust.reshape(-1)[cell], 0.0)
        return followed, slot, trust

    def add_follows(
        self, units: np.ndarray, anchors: np.ndarray, people: np.ndarray, trust: np.ndarray
    ) -> None:
        """Add followers: into the unit's slot for the anchor, a free slot, or the weakest one.

        Lines are processed in rounds so that no unit appears twice in one vectorised write.
        """
        keep = people > 0
        if not keep.all():
            units, anchors, people, trust = units[keep], anchors[keep], people[keep], trust[keep]
        if units.size == 0:
            return
        self._following_of(int(anchors.max()) + 1)
        if (units[1:] > units[:-1]).all():  # distinct and sorted already: a single round
            self._add_round(units, anchors, people, trust)
            return
        order = np.argsort(units, kind="stable")
        units, anchors, people, trust = units[order], anchors[order], people[order], trust[order]
        first = np.concatenate(([True], units[1:] != units[:-1]))
        group_start = np.maximum.accumulate(np.where(first, np.arange(units.size), 0))
        rank = np.arange(units.size) - group_start
        for r in range(int(rank.max()) + 1):
            sel = rank == r
            self._add_round(units[sel], anchors[sel], people[sel], trust[sel])

    def _add_round(self, u: np.ndarray, a: np.ndarray, n: np.ndarray, t: np.ndarray) -> None:
        """One round of :meth:`add_follows` (distinct units), on flat (unit, slot) cells."""
        n_slots = self.follow_anchor.shape[1]
        if u.size == self.n and (u == np.arange(self.n)).all():  # every unit, in order
            fa, fp = self.follow_anchor, self.follow_people  # only read before the writes below
        else:
            fa = np.take(self.follow_anchor, u, axis=0)  # the units' rows (take copies rows fast)
            fp = np.take(self.follow_people, u, axis=0)
        # Otherwise the first free slot (-1 beats any count of people), else the weakest one.
        key, free = self._round_scratch(u.size)
        np.add(fp, 1, out=key)
        np.less(fa, 0, out=free)
        key *= free
        np.subtract(fp, key, out=key)
        fallback = np.argmin(key, axis=1)
        if self._following[a].any():  # the unit's own slot for its anchor, if it has one
            match = fa == a[:, None]
            has = match.any(axis=1)
            slot = np.where(has, match.argmax(axis=1), fallback)
        else:  # nobody follows these anchors yet (a new anchor's seed following)
            has = np.zeros(u.size, dtype=bool)
            slot = fallback
        chosen = np.arange(u.size) * n_slots + slot  # the chosen slot in the rows fa, fp
        weakest = fp.reshape(-1)[chosen]
        held_by = fa.reshape(-1)[chosen]
        replace = ~has & ((held_by < 0) | (weakest < n))
        cap = self.scale[u]
        cell = u * n_slots + slot  # the chosen slot in the population's arrays
        # Views of the (contiguous) follow arrays: writes through them update the arrays.
        anchor_at, people_at, trust_at = (
            x.reshape(-1) for x in (self.follow_anchor, self.follow_people, self.follow_trust)
        )
        ch = cell[has]
        old = weakest[has]
        new = np.minimum(old + n[has], cap[has])
        trust_at[ch] = (trust_at[ch] * old + t[has] * (new - old)) / np.maximum(new, 1)
        people_at[ch] = new
        cr = cell[replace]
        joined = np.minimum(n[replace], cap[replace])
        anchor_at[cr] = a[replace]
        people_at[cr] = joined
        trust_at[cr] = t[replace]
        following = self._following
        np.add.at(following, a[has], new - old)
        ousted = replace & (held_by >= 0)  # the weakest anchor of a full unit loses its people
        np.subtract.at(following, held_by[ousted], weakest[ousted])
        np.add.at(following, a[replace], joined)

    def _round_scratch(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Reusable (rows, slots) int64 and bool work arrays for :meth:`_add_round`.

        A new anchor's seed following covers every unit; fresh arrays that large would be paged
        in again for each anchor.
        """
        scratch = getattr(self, "_scratch", None)
        if scratch is None or scratch[0].shape[0] < rows:
            shape = (max(rows, 1024), self.follow_anchor.shape[1])
            scratch = self._scratch = (np.empty(shape, dtype=np.int64), np.empty(shape, dtype=bool))
        return scratch[0][:rows], scratch[1][:rows]

    def unfollow(self) -> None:
        """Followers drop off, more so where trust is low (MODEL.md §3).

        Computed in blocks of :data:`UNIT_BLOCK` units; the draws of consecutive blocks are
        consecutive draws of one stream, so the result is that of one pass over all units.
        """
        n_slots = self.follow_people.shape[1]
        parts = [
            self._unfollow_block(slice(lo, lo + UNIT_BLOCK), lo * n_slots)
            for lo in range(0, self.n, UNIT_BLOCK)
        ]
        cells = np.concatenate([c for c, _ in parts])
        lost = np.concatenate([n for _, n in parts])
        people = self.follow_people.reshape(-1)  # views of the contiguous follow arrays
        anchor = self.follow_anchor.reshape(-1)
        following = self._following
        lost_by_anchor = np.bincount(anchor[cells], weights=lost, minlength=following.size)
        following -= lost_by_anchor.astype(np.int64)  # whole numbers: the float sums are exact
        people[cells] -= lost
        anchor[cells[people[cells] == 0]] = EMPTY

    def _unfollow_block(self, rows: slice, first_cell: int) -> tuple[np.ndarray, np.ndarray]:
        """Flat follow cells of ``rows`` that lose people this week, and how many they lose."""
        cfg = self.model.config.consumers
        # p = min(base + distrust · max(threshold − trust, 0), 1), in float32, in one array.
        p = np.float32(cfg.unfollow_trust_threshold) - self.follow_trust[rows]
        np.maximum(p, np.float32(0.0), out=p)
        p *= np.float32(cfg.unfollow_distrust)
        p += np.float32(cfg.unfollow_base)
        np.minimum(p, np.float32(1.0), out=p)
        # Few cells lose anyone in a week: update only those (the draws are those of thin()).
        cells, lost = thin_nonzero(self.follow_people[rows], p, self.rng)
        return cells + first_cell, lost

    # -- choice ------------------------------------------------------------------------------------
    def choose(self, sellers: Sellers | None, offers: Offers | None) -> Choices | None:
        """Viewers and buyers of this week's offers; some onlookers follow the anchor they watched.

        The seller side of each offer's utility (price cut, advertised quality, brand, skill and
        tool boosts) comes from ``sellers``; stalled sessions keep fewer viewers. None when
        nobody streams.
        """
        if sellers is None:
            return None
        loss = self.model.config.anchors.stall_viewer_loss
        stall_keep = np.append(1 - loss * sellers.stalled / np.maximum(sellers.sessions, 1), 1.0)
        utility = {
            "markdown": np.append(sellers.markdown, 0.0),
            "quality": np.append(sellers.advertised, 0.0),
            "brand": np.append(sellers.branded, 0.0),
            "boost": np.append(sellers.boost, 0.0),
            "trust_boost": np.append(sellers.trust_boost, 0.0),
            "village": np.append(sellers.village, 0),
        }
        viewers, buyers = self.choose_offers(offers.offers, offers.slot_of, utility, stall_keep)
        line = np.flatnonzero(buyers != 0)  # order lines (flat unit-offer cells), row-major
        self._follow_from_views(offers.offers, viewers, buyers, sellers.ids, line)
        return Choices(viewers, buyers, line)

    def choose_offers(
        self,
        offers: np.ndarray,
        slot_of: np.ndarray,
        seller: dict[str, np.ndarray],
        stall_keep: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Viewers and buyers per offer by multinomial logit (counts of people).

        Units are processed in blocks of :data:`UNIT_BLOCK` rows, so that a province's working
        arrays stay in the CPU cache; every operation is elementwise or within a row, and the
        uniform draws of consecutive blocks are consecutive draws of one stream, so the result is
        the same as one pass over all units.

        Args:
            offers: (U, k) seller positions, ``-1`` where no offer.
            slot_of: (U, k) follow slot of the offered seller (``-1``: not followed).
            seller: Seller arrays ``markdown``, ``quality``, ``brand``, ``boost``, ``village``,
                ``trust_boost`` (length A + 1, the last a dummy for "no offer").
            stall_keep: (A + 1,) share of viewers kept through stalls.

        Returns:
            ``(viewers, buyers)``: expected person-views (float) and buyers (int), both (U, k).
            The share of each offer's buyers who bought the village's goods before is available
            from :meth:`repeat_share_at` for :meth:`remember_purchases`.
        """
        terms = self._seller_terms(seller, stall_keep)
        shape = offers.shape
        viewers = np.empty(shape, dtype=np.float32)
        buyers = np.empty(shape, dtype=np.int64)
        self._pull = np.empty(shape, dtype=np.float32)
        self._mix = np.empty(shape, dtype=np.float32)
        for lo in range(0, shape[0], UNIT_BLOCK):
            rows = slice(lo, lo + UNIT_BLOCK)
            self._choose_block(rows, offers[rows], slot_of[rows], terms, viewers, buyers)
        return viewers, buyers

    def _seller_terms(
        self, seller: dict[str, np.ndarray], stall_keep: np.ndarray
    ) -> dict[str, np.ndarray | None]:
        """Per-seller parts of the utility as float32 arrays (``None`` where a term is all zero)."""
        cfg = self.model.config.consumers
        f32 = np.float32
        constant = (cfg.base_utility + seller["boost"]).astype(f32)
        constant[-1] = -np.inf  # the "no offer" dummy: exp() gives empty offers exactly zero weight
        keep = stall_keep.astype(f32)
        keep[-1] = 0.0  # no viewers where there is no offer
        return {
            "village": seller["village"],
            "constant": constant,
            "markdown": seller["markdown"].astype(f32),
            "quality": seller["quality"].astype(f32),
            "keep": keep,
            "trust_boost": seller["trust_boost"].astype(f32)
            if seller["trust_boost"].any()
            else None,
            "brand": seller["brand"].astype(f32) if seller["brand"].any() else None,
        }

    def _choose_block(
        self,
        rows: slice,
        offers: np.ndarray,
        slot_of: np.ndarray,
        terms: dict[str, np.ndarray | None],
        viewers_out: np.ndarray,
        buyers_out: np.ndarray,
    ) -> None:
        """:meth:`choose` for the units in ``rows``; results written into the full arrays."""
        cfg = self.model.config.consumers
        f32 = np.float32
        k = offers.shape[1]

        def per_offer(name: str) -> np.ndarray:
            return self._per_offer(name, k)[rows]

        followed = slot_of >= 0
        village_at = per_offer(f"offsets:{self.brand_trust.shape[1]}") + terms["village"][offers]
        brand = np.take(self.brand_trust, village_at)  # flat cells; take beats [] here
        # Where not followed (slot -1) this reads a neighbouring trust: finite, and not selected.
        slot_at = per_offer(f"offsets:{self.follow_trust.shape[1]}") + slot_of
        slot_trust = np.take(self.follow_trust, slot_at)
        w = cfg.unfollowed_brand_weight  # an unfollowed anchor's trust: (1 − w)·initial + w·brand
        alt = brand * f32(w)
        alt += f32((1 - w) * cfg.trust_initial)
        trust = _select(followed, slot_trust, alt)
        if terms["trust_boost"] is not None:
            tb = terms["trust_boost"][offers]
            trust += tb * (1 - trust)
        # Utility, built in place: constant + price + quality × trust + following (+ brand).
        v = terms["constant"][offers]
        part = terms["markdown"][offers]
        part *= per_offer("price_weight")
        v += part
        part = terms["quality"][offers]
        part *= trust
        part -= f32(0.5)
        part *= per_offer("quality_weight")
        v += part
        v += f32(cfg.follow_weight) * followed  # adds exactly 0 where not followed
        if terms["brand"] is not None:
            v += f32(cfg.brand_weight) * brand * terms["brand"][offers]
        np.minimum(v, f32(30.0), out=v)
        np.exp(v, out=v)
        denominator = _row_sums(v)
        denominator += f32(1.0)
        v /= denominator[:, None]
        viewers = viewers_out[rows]
        # keep[offers] · viewers per offer (the same float32 products); [] gathers from a small
        # table faster than take(out=)
        np.multiply(terms["keep"][offers], per_offer("viewers_per_offer"), out=viewers)
        v *= viewers
        # Viewers who bought the village's goods before (share ``known``) are pulled back by
        # ``exp(repeat_weight·(2·brand_trust − 1))`` — satisfied buyers return, let-down ones stay
        # away (logit odds, valid while choice probabilities are small).
        known = np.take(self.bought, village_at).astype(f32)
        known *= per_offer("inverse_scale")
        pull = self._pull[rows]
        np.multiply(brand, f32(2.0), out=pull)  # exp(repeat_weight · (2·brand − 1)), step by step
        pull -= f32(1.0)
        pull *= f32(cfg.repeat_weight)
        np.exp(pull, out=pull)
        pull *= known
        mix = self._mix[rows]
        np.subtract(f32(1.0), known, out=mix)
        mix += pull
        v *= mix
        # stochastic_round(v, rng) in place: the same uniforms added, truncated as it truncates.
        v += self.rng.random(v.shape, dtype=f32)
        buyers_out[rows] = v

    def repeat_share_at(self, cells: np.ndarray) -> np.ndarray:
        """Share of repeat buyers at flat (unit, offer) cells of the last :meth:`choose`.

        ``pull / mix`` (0 where ``mix`` is 0), computed only where someone bought.
        """
        pull = self._pull.reshape(-1)[cells]
        mix = self._mix.reshape(-1)[cells]
        return np.divide(pull, mix, out=np.zeros_like(mix), where=mix > 0)

    # -- following from views ----------------------------------------------------------------------
    def _onlooker_cumsum(
        self, viewers: np.ndarray, buyers: np.ndarray, line: np.ndarray
    ) -> np.ndarray:
        """Running total of onlookers (viewers who did not buy, at least 0) over flat offers.

        ``np.cumsum(np.maximum(viewers - buyers, 0.0))`` bit for bit (:func:`onlooker_cumsum_plain`):
        a running sum adds in order, so each block starts from the last total. Computed block by
        block into a buffer kept from week to week, so a province's week does not build two fresh
        arrays of its every offer.
        """
        n = viewers.size
        weights = getattr(self, "_weights_buffer", None)
        if weights is None or weights.size != n:
            weights = self._weights_buffer = np.empty(n, dtype=np.float64)
        np.copyto(weights, viewers)
        weights[line] = np.maximum(weights[line] - buyers[line], 0.0)  # elsewhere nobody bought
        carry = 0.0
        for lo in range(0, n, OFFER_BLOCK):
            block = weights[lo : lo + OFFER_BLOCK]
            block[0] += carry
            np.cumsum(block, out=block)
            carry = block[-1]
        return weights

    def _follow_from_views(
        self,
        offers: np.ndarray,
        viewers: np.ndarray,
        buyers: np.ndarray,
        seller_ids: np.ndarray,
        line: np.ndarray,
    ) -> None:
        """Some viewers who did not buy follow the anchor they watched.

        ``line`` holds the flat cells with buyers; elsewhere the onlookers are all the viewers.
        """
        cfg = self.model.config.consumers
        rng = self.rng
        flat_viewers, flat_buyers = viewers.reshape(-1), buyers.reshape(-1)
        weights = self._onlooker_cumsum(flat_viewers, flat_buyers, line)
        # Joins are rare (a fraction of a person per offer): draw their number, then place each on
        # an offer in proportion to its onlookers — the same expectation as thinning every offer.
        total = int(stochastic_round(np.array(weights[-1] * cfg.follow_after_view), rng))
        if total <= 0:
            return
        # Sorted targets search faster; their order does not matter (np.unique sorts the cells).
        targets = np.sort(rng.random(total) * weights[-1])
        cells = np.searchsorted(weights, targets, side="right")
        cells, joins = np.unique(np.minimum(cells, weights.size - 1), return_counts=True)
        u, j = np.divmod(cells, viewers.shape[1])
        onlookers = np.maximum(flat_viewers[cells] - flat_buyers[cells], 0.0)  # float64
        joins = np.minimum(joins, np.ceil(onlookers).astype(np.int64))
        anchors = seller_ids[offers[u, j]]
        self.add_follows(u, anchors, joins, np.full(u.size, cfg.trust_initial))

    # -- after delivery ------------------------------------------------------------------------------
    def experience(
        self,
        units: np.ndarray,
        anchors: np.ndarray,
        villages: np.ndarray,
        satisfaction: np.ndarray,
        satisfied_buyers: np.ndarray,
    ) -> None:
        """Move trust in anchors and village brands toward experience; satisfied buyers follow.

        Args:
            units: Unit of each delivered order line.
            anchors: Global anchor index of each line.
            villages: Village whose brand each line was sold under.
            satisfaction: Mean satisfaction of the line's buyers in [0, 1].
            satisfied_buyers: Buyers of the line who were satisfied.
        """
        cfg = self.model.config.consumers
        if units.size == 0:
            return
        followed, slot, trust = self._follow_lookup(units, anchors)
        # Flat (row-major) cells of the contiguous trust arrays: 1-d indexing is the fastest.
        follow_trust = self.follow_trust.reshape(-1)
        moved = (units * self.follow_trust.shape[1] + slot)[followed]
        follow_trust[moved] += cfg.trust_rate * (satisfaction[followed] - trust[followed])
        # Trust elsewhere is in [0, 1] already: clipping the cells just moved is enough.
        follow_trust[moved] = np.clip(follow_trust[moved], 0.0, 1.0)
        brand_trust = self.brand_trust.reshape(-1)
        brand_cell = units * self.brand_trust.shape[1] + villages
        bt = brand_trust[brand_cell]
        brand_trust[brand_cell] = np.clip(bt + cfg.brand_trust_rate * (satisfaction - bt), 0.0, 1.0)
        self._brand_trust_by_village[villages, units] = brand_trust[brand_cell]
        if self._village_sums is not None:
            self._village_sums.moved(villages, units)
        touched = _distinct(units)
        self._brand_mean[touched] = np.take(self.brand_trust, touched, axis=0).mean(axis=1)
        w = cfg.unfollowed_brand_weight
        prior = np.where(followed, trust, (1 - w) * cfg.trust_initial + w * bt)
        new_trust = np.clip(prior + cfg.trust_rate * (satisfaction - prior), 0, 1)
        joiners = thin(satisfied_buyers, cfg.follow_after_buy, self.rng)
        self.add_follows(units, anchors, joiners, new_trust)

    def remember(self, orders: Orders | None) -> None:
        """Remember who bought which village's goods; count repeat purchases (people)."""
        if orders is None:
            return
        lines = orders.lines
        repeat = self.remember_purchases(
            lines["unit"], lines["village"], lines["buyers"], self.repeat_share_at(orders.cells)
        )
        stats = self.model.week_stats
        stats["purchases"] += float(lines["buyers"].sum())
        stats["repeat_purchases"] += float(repeat.sum())

    def receive(self, deliveries: Deliveries | None) -> None:
        """Compare received with advertised quality: complaints, refunds, trust, follows.

        Buyers of spoiled parcels complain (some) and are refunded; of the rest, those let down
        by more than ``complaint_gap`` complain and ask refunds; trust and follows move with
        satisfaction (:meth:`experience`).
        """
        if deliveries is None:
            return
        model = self.model
        cfg = model.config.consumers
        stats = model.week_stats
        lines, quality, spoiled = deliveries.lines, deliveries.quality, deliveries.spoiled
        buyers = lines["buyers"]
        intact = buyers - spoiled
        gap = quality - lines["advertised"]
        let_down = gap < -cfg.complaint_gap
        problems = spoiled + np.where(let_down, intact, 0)
        complaints = thin(problems, cfg.complain_given_problem, self.rng)
        refunded_intact = thin(np.where(let_down, intact, 0), cfg.refund_given_problem, self.rng)
        refund_fen = (spoiled + refunded_intact) * lines["price_fen"]
        has = refund_fen > 0
        model.money.transfer(
            Flow.REFUND,
            Account.ANCHORS,
            lines["anchor"][has],
            Account.CONSUMERS,
            0,
            refund_fen[has],
        )
        record_refunds(model.anchor_list, lines["anchor"][has], refund_fen[has])
        model.goods.transfer(
            Flow.REFUND_WRITE_OFF,
            Account.CONSUMERS,
            0,
            Account.WRITTEN_OFF,
            0,
            int((refunded_intact * lines["pack_g"]).sum()),
        )
        anchor_complaints = np.bincount(
            lines["anchor"], weights=complaints, minlength=model.anchor_count
        )
        for i in np.flatnonzero(anchor_complaints):
            model.anchor_list[int(i)].complaints_week += int(anchor_complaints[i])
        stats["complaints"] += float(complaints.sum())
        stats["refunds_fen"] += float(refund_fen.sum())
        satisfaction_intact = np.clip(
            1 + (gap + cfg.trust_gap_tolerance) / (2 * max(cfg.complaint_gap, 1e-9)), 0, 1
        )
        satisfaction = satisfaction_intact * intact / np.maximum(buyers, 1)
        satisfied = np.where(let_down, 0, intact - refunded_intact)
        self.experience(lines["unit"], lines["anchor"], lines["village"], satisfaction, satisfied)

    def remember_purchases(
        self,
        units: np.ndarray,
        villages: np.ndarray,
        buyers: np.ndarray,
        repeat_share: np.ndarray,
    ) -> np.ndarray:
        """Split buyers into repeat and new buyers of a village; remember the new ones.

        Returns:
            Repeat buyers per order line.
        """
        if units.size == 0:
            return np.zeros(0, dtype=np.int64)
        repeat = thin(buyers, repeat_share, self.rng)
        bought = self.bought.reshape(-1)  # a view: flat (unit, village) cells index faster
        cells = units * self.bought.shape[1] + villages
        np.add.at(bought, cells, (buyers - repeat).astype(bought.dtype))
        # Only the cells just added to can exceed a unit's people; the rest are capped already.
        bought[cells] = np.minimum(bought[cells], self.scale[units].astype(bought.dtype))
        return repeat

    # -- indicators -------------------------------------------------------------------------------
    def mean_anchor_trust(self) -> float | None:
        """Scale-weighted (people-weighted) mean trust in followed anchors."""
        total = self._following.sum()  # = follow_people.sum(): the follower counts are exact
        if total == 0:
            return None
        weighted = _sum_of_products(self.follow_people.reshape(-1), self.follow_trust.reshape(-1))
        return float(weighted / total)

    def village_brand_trust(self, village: int) -> float:
        """Scale-weighted mean trust of consumer units in one village's brand (``T_v``).

        Anchors read it when they plan, before the week's deliveries move trust: every village's
        value is computed at the week's first read, from the village-major copy of the trust (the
        same products as ``brand_trust[:, village] * scale`` in float64, summed in the same order,
        renewing only the partial sums where trust moved: :class:`_VillageTrustSums`;
        :meth:`village_brand_trust_plain` is the formula).
        """
        week = self.model.week
        cache = getattr(self, "_village_trust", None)
        if cache is None or cache[0] != week:
            cache = self._village_trust = (week, self._village_trust_values())
        values = cache[1]
        if isinstance(values, dict):
            value = values.get(village)
            if value is None:
                value = values[village] = self._one_village_trust(village)
            return value
        return float(values[village])

    def _village_trust_values(self) -> np.ndarray | dict[int, float]:
        """Every village's T_v now, or an empty memo to fill village by village (no kept sums)."""
        if self._village_sums is None:
            return {}
        weights = self._trust_weights()
        return self._village_sums.totals(self._brand_trust_by_village, weights) / self._people

    def _trust_weights(self) -> np.ndarray | np.float64:
        """T_v's weights: the one size of every unit, or each unit's people (mixed sizes)."""
        return self._people_f if self._people_each is None else self._people_each

    def _one_village_trust(self, village: int) -> float:
        """One village's T_v from its whole row (populations whose sum tree is irregular)."""
        if not self.n:
            return 0.0
        weighted = self._weighted_buffer
        np.multiply(self._brand_trust_by_village[village], self._trust_weights(), out=weighted)
        return float(weighted.sum() / self._people)

    def forget_village_trust(self) -> None:
        """Drop the week's T_v values and the kept partial sums (after changing the people's weights)."""
        self._village_trust = None
        if self._village_sums is not None:
            self._village_sums.forget()

    def village_brand_trust_plain(self, village: int) -> float:
        """:meth:`village_brand_trust` computed afresh from ``brand_trust``'s column."""
        w = self.scale
        return float((self.brand_trust[:, village] * w).sum() / w.sum()) if self.n else 0.0

    def mean_brand_trust(self) -> float:
        """Scale-weighted mean trust in village brands."""
        w = self._people_f  # the scale as floats, kept (it never changes)
        return float((self._brand_mean * w).sum() / w.sum())


def _windows(a: np.ndarray, length: int) -> np.ndarray:
    """Read-only view of every run of ``length`` consecutive elements of a 1-d array (row i: a[i:])."""
    return np.lib.stride_tricks.sliding_window_view(a, length)


class _VillageTrustSums:
    """T_v's sums kept as NumPy's pairwise partial sums, renewed only where trust moved.

    ``village_brand_trust`` sums a village's 200,000 weighted trusts in a province, every village
    every week, though a week's deliveries move trust in a few per cent of each village's pieces.
    The sum NumPy computes is a tree over pieces of at most 128 numbers
    (:func:`~village_sim.numerics.pairwise_leaves`): this keeps each village's piece sums, marks
    the pieces holding units whose trust moved, and recomputes only those before adding the tree
    up again (:func:`~village_sim.numerics.combine_pairwise`) — the same additions, so the same
    float.
    """

    def __init__(
        self,
        leaves: tuple[np.ndarray, np.ndarray],
        trust: np.ndarray,
        people: np.ndarray | np.float64,
    ) -> None:
        """Piece sums of the village-major ``trust`` as built: every village's row alike.

        One row's sums serve all (a province's first read would otherwise sum 24 million
        numbers through gathered pieces); a test compares T_v with its formula from week 1.
        """
        self.starts, self.lengths = leaves
        self.distinct_lengths = [int(n) for n in np.unique(self.lengths)]
        self.leaf_of = np.repeat(np.arange(self.starts.size), self.lengths)
        n_villages = trust.shape[0]
        self.stale = np.zeros((n_villages, self.starts.size), dtype=bool)
        self.sums = np.zeros((n_villages, self.starts.size))
        if n_villages:
            self.stale[0] = True
            self.totals(trust[:1], people)
            self.sums[1:] = self.sums[0]

    @classmethod
    def for_population(
        cls, trust: np.ndarray, people: np.ndarray | np.float64
    ) -> _VillageTrustSums | None:
        """Kept sums for the rows of ``trust``, or None (see :data:`KEPT_SUMS_MIN_UNITS`).

        None for a small population or where NumPy's tree is irregular.
        """
        n_units = trust.shape[1]
        leaves = pairwise_leaves(n_units) if n_units >= KEPT_SUMS_MIN_UNITS else None
        return None if leaves is None else cls(leaves, trust, people)

    def moved(self, villages: np.ndarray, units: np.ndarray) -> None:
        """Trust moved at these (village, unit) cells."""
        self.stale[villages, self.leaf_of[units]] = True

    def forget(self) -> None:
        """Recompute every piece when next read (after the people's weights changed)."""
        self.stale[:] = True

    def totals(self, trust: np.ndarray, people: np.ndarray | np.float64) -> np.ndarray:
        """``(trust * people).sum(axis=1)`` of every village's row, each bit for bit as NumPy sums it.

        One pass for all villages: the marked pieces of every row are gathered and summed together
        (by length: a piece's sum must see exactly its own numbers), then every tree is added up.
        """
        villages, leaves = np.nonzero(self.stale)
        self.stale[villages, leaves] = False
        lengths = self.lengths[leaves] if len(self.distinct_lengths) > 1 else None
        flat = trust.reshape(-1)
        for length in self.distinct_lengths:
            pick = slice(None) if lengths is None else lengths == length
            v, leaf = villages[pick], leaves[pick]
            first = self.starts[leaf]
            # Each piece is a run of cells: take whole rows of a sliding window over the table.
            pieces = _windows(flat, length)[first + v * trust.shape[1]]
            weights = people if np.ndim(people) == 0 else _windows(people, length)[first]
            self.sums[v, leaf] = np.add.reduce(
                np.multiply(pieces, weights, dtype=np.float64), axis=1
            )
        return combine_pairwise(self.sums)


class _EmptySeeding:
    """:meth:`ConsumerPopulation.add_follows` of new anchors, one after another, from empty slots.

    Starting from empty slots, :meth:`~ConsumerPopulation.add_follows` puts a unit's j-th anchor
    with followers into slot j; once every slot is full, a newcomer takes the unit's first
    weakest slot if it brings more people than that slot holds. Keeping each unit's count of
    anchors and its weakest slot, one anchor costs a few passes over the units instead of
    several over all their slots (a province's 20 external anchors: 200,000 units × 8 slots).
    """

    def __init__(self, consumers: ConsumerPopulation) -> None:
        self.consumers = consumers
        n = consumers.n
        self.anchors_held = np.zeros(n, dtype=np.int64)
        self.weakest = np.zeros(n, dtype=np.int64)  # people in the weakest slot (full units)
        self.weakest_cell = np.zeros(n, dtype=np.int64)  # its flat (unit, slot) cell

    def add(self, anchor: int, people: np.ndarray, trust: float) -> None:
        """Add one new anchor's followers (``people`` per unit, at most the unit's scale)."""
        c = self.consumers
        n_slots = c.follow_anchor.shape[1]
        anchor_at, people_at, trust_at = (
            x.reshape(-1) for x in (c.follow_anchor, c.follow_people, c.follow_trust)
        )
        following = c._following_of(anchor + 1)
        joins = people > 0
        free = joins & (self.anchors_held < n_slots)
        units = np.flatnonzero(free)
        cells = units * n_slots + self.anchors_held[units]
        displace = np.flatnonzero(joins & ~free & (people > self.weakest))
        ousted_cells = self.weakest_cell[displace]
        np.subtract.at(following, anchor_at[ousted_cells], self.weakest[displace])
        cells = np.concatenate((cells, ousted_cells))
        joined = people[np.concatenate((units, displace))]
        anchor_at[cells] = anchor
        people_at[cells] = joined
        trust_at[cells] = trust
        following[anchor] += joined.sum()
        self.anchors_held += joins
        # Units that just filled their last slot, or changed their weakest one.
        changed = np.concatenate((units[self.anchors_held[units] == n_slots], displace))
        rows = np.take(c.follow_people, changed, axis=0)
        slot = rows.argmin(axis=1)
        self.weakest[changed] = rows[np.arange(changed.size), slot]
        self.weakest_cell[changed] = changed * n_slots + slot
