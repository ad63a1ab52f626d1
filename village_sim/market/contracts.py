"""Supply contracts between anchors and farm households (paper §3.1; bargaining is an extension).

An anchor offers a price per kg: the typical reservation of the growers plus its bid share ``w`` of
the surplus — what a kg is worth to the anchor after fees, commission, slot fee and shipping, less
that reservation (``offer = res + w·(net − res)``, ECONOMICS.md §A). A household accepts when the
offer beats its expected middleman price plus a risk premium (MODEL.md §8) and it can contract
online (it has a connection). Households already under contract with the anchor deliver first; new
ones are recruited in random order. A minimum-farmer-share policy bounds the offer from below.
Purchases happen in one stage after planning (:mod:`village_sim.market.sourcing`), in the village
of the anchor's reach that the stage picks; the goods become a lot labelled with that village.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

import mesa
import numpy as np

from village_sim.accounts import Account, Flow
from village_sim.agents.farmer import NO_ANCHOR
from village_sim.units import to_fen

if TYPE_CHECKING:
    from village_sim.agents.anchor import Anchor


def _group_order(key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """An order by ``key``, then by value: ``np.lexsort((values, key))`` but for equal values.

    A median does not see the order of equal values. The values are sorted first, then the
    (small, non-negative) keys stably, by radix sort on 16 bits where they fit: several times
    faster than the lexsort on a county's households.
    """
    by_value = np.argsort(values)
    small = key.size == 0 or int(key.max()) < np.iinfo(np.int16).max
    keys = key.astype(np.int16) if small else key
    return by_value[np.argsort(keys[by_value], kind="stable")]


def _first_to_cover(order: np.ndarray, store: np.ndarray, need: int) -> tuple[list[int], list[int]]:
    """The first growers in ``order`` whose stores cover ``need`` grams, and the grams each sells.

    Every grower in ``order`` has goods; the last one chosen may sell part of its store. The
    integer clip ``min(max(need − before, 0), store)`` of each grower's cumulative place, kept
    where positive, walked only as far as it is positive (a purchase usually takes one grower).
    """
    rows, take = [], []
    left = int(need)
    for r in order.tolist():
        grams = int(store[r])
        rows.append(r)
        take.append(min(left, grams))
        left -= grams
        if left <= 0:
            break
    return rows, take


class Sellers(NamedTuple):
    """Growers of one (village, product) as an anchor's offer finds them (masks over the growers)."""

    accepts: np.ndarray
    """Willing sellers with goods in store."""
    own: np.ndarray
    """The anchor's own household."""
    mine: np.ndarray
    """Households under contract with the anchor."""
    reservation: np.ndarray
    """Each grower's reservation price (yuan/kg)."""
    store: np.ndarray
    """Grams in each grower's store."""


class Growers(NamedTuple):
    """The growers of one (village, product) and what stays fixed while the purchases clear."""

    idx: np.ndarray
    """The households."""
    stream: np.ndarray
    """The anchor each streams for (``NO_ANCHOR`` when none)."""
    connected: np.ndarray
    """Whether each can contract online."""
    reservation: np.ndarray
    """Each one's reservation price this week (yuan/kg)."""
    free: np.ndarray
    """Connected and streaming for no anchor: free to contract when under no contract."""
    streamed_for: frozenset[int]
    """The anchors some of them stream for."""
    nobody: np.ndarray
    """All False (read-only): the own household of an anchor none of them streams for."""


_TALLY_OWN = ("own_stream_kg", "own_stream_yuan")
_TALLY_CONTRACT = ("contract_kg", "contract_yuan")


class Contracts:
    """Sourcing from farm households: offers, acceptance, deliveries."""

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.rng = model.streams["contracts"]
        self._week = -1
        self._reservation: np.ndarray | None = None
        self._reservation_inputs: tuple[np.ndarray, ...] | None = None
        self._available: np.ndarray | None = None
        self._rows: dict[str, list] = {}
        self._clearing: dict[tuple[int, int], Growers | None] | None = None
        self._receipts: tuple[list[int], list[int], list[int]] | None = None
        sc = model.config
        fresh = model.products.array("fresh") > 0
        self.fee_by_product = np.where(fresh, sc.platform.fee_fresh, sc.platform.fee_other)
        """Platform fee rate on each product (:meth:`Anchor.fee_rate` for all products at once)."""

    def _this_week(self) -> None:
        """Forget last week's reservations and stock snapshot (price information may change)."""
        if self._week != self.model.week:
            self._week = self.model.week
            self._reservation = None
            self._available = None
            self._rows = {}

    # Plain-Python copies of the weekly tables for the few cells a rural seller reads
    # (Anchor.surplus_cells): indexing lists costs less than NumPy scalars; the same numbers.
    def available_rows(self) -> list[list[float]]:
        """:meth:`available_by_village_product` as nested lists (the week's snapshot)."""
        return self._week_rows("available", self.available_by_village_product)

    def reservation_rows(self) -> list[list[float]]:
        """:meth:`reservation_by_village_product` as nested lists."""
        return self._week_rows("reservation", self.reservation_by_village_product)

    def grown_rows(self) -> list[list[bool]]:
        """The world's ``product_mask`` (who grows what) as nested lists."""
        return self._week_rows("grown", lambda: self.model.world.product_mask)

    def fee_rows(self) -> list[float]:
        """:attr:`fee_by_product` as a list."""
        return self._week_rows("fee", lambda: self.fee_by_product)

    def plan_tables(self) -> tuple[list[float], list[list[float]], list[list[float]], list]:
        """The fee, reservation, available and grown rows in one call (the week's snapshot).

        :meth:`fee_rows`, :meth:`reservation_rows`, :meth:`available_rows`, :meth:`grown_rows`,
        for the planning anchors.
        """
        self._this_week()
        tables = self._rows.get("plan")
        if tables is None:
            tables = self._rows["plan"] = (
                self.fee_rows(),
                self.reservation_rows(),
                self.available_rows(),
                self.grown_rows(),
            )
        return tables

    def _week_rows(self, name: str, table) -> list:
        self._this_week()
        rows = self._rows.get(name)
        if rows is None:
            rows = self._rows[name] = table().tolist()
        return rows

    def available_by_village_product(self) -> np.ndarray:
        """Grams connected growers could sell, (villages, products), as of the start of planning.

        Computed once a week (after the harvest) so that anchors choosing what to sell compare
        the same snapshot.
        """
        self._this_week()
        if self._available is None:
            model = self.model
            farmers = model.farmers
            n_p = len(model.products)
            store = np.where(farmers.connected, model.goods.balances["farm_store"], 0)
            key = farmers.village * n_p + farmers.product
            flat = np.bincount(key, weights=store, minlength=model.world.n_villages * n_p)
            self._available = flat.reshape(model.world.n_villages, n_p)
        return self._available

    def _growers(self, village: int, product: int) -> np.ndarray:
        return self.model.farmers.by_village_product.get(
            (village, product), np.zeros(0, dtype=np.int64)
        )

    @contextmanager
    def clearing(self) -> Iterator[None]:
        """While the week's purchases clear, look each (village, product)'s growers up once.

        Only purchases happen meanwhile: who streams for whom, who is connected and the week's
        reservations stay the same, so :meth:`growers` remembers them; contracts and stores,
        which purchases change, are read afresh. Nobody reads the money accounts meanwhile
        either: the growers' receipts are paid in one transfer at the end (:meth:`_pay_growers`;
        integer amounts, so the balances and the week's flows are the same numbers).
        """
        self._clearing = {}
        self._receipts = ([], [], [])
        try:
            yield
            self._pay_receipts()
        finally:
            self._clearing = None
            self._receipts = None

    def _pay_growers(self, anchor: int, sellers: np.ndarray | int, gross: np.ndarray | int) -> None:
        """The anchor pays its sellers their receipts (``contract_sale``).

        At once, or while the purchases clear with the others at the end (:meth:`clearing`).
        """
        receipts = self._receipts
        if receipts is None:
            self.model.money.transfer(
                Flow.CONTRACT_SALE, Account.ANCHORS, anchor, Account.FARMERS, sellers, gross
            )
            return
        payers, payees, amounts = receipts
        if isinstance(sellers, int):
            payers.append(anchor)
            payees.append(sellers)
            amounts.append(gross)
        else:
            payers.extend([anchor] * sellers.size)
            payees.extend(sellers.tolist())
            amounts.extend(gross.tolist())

    def _pay_receipts(self) -> None:
        """Pay the receipts the clearing has collected, in one transfer."""
        payers, payees, amounts = self._receipts
        if payers:
            self.model.money.transfer(
                Flow.CONTRACT_SALE,
                Account.ANCHORS,
                np.array(payers, dtype=np.int64),
                Account.FARMERS,
                np.array(payees, dtype=np.int64),
                np.array(amounts, dtype=np.int64),
            )

    def growers(self, village: int, product: int) -> Growers | None:
        """The growers of ``product`` in ``village`` (None when there are none).

        Remembered while the purchases clear (:meth:`clearing`).
        """
        memo = self._clearing
        key = (village, product)
        if memo is not None and key in memo:
            return memo[key]
        idx = self._growers(village, product)
        found = None
        if idx.size:
            farmers = self.model.farmers
            stream = farmers.stream_anchor[idx]
            connected = farmers.connected[idx]
            free = connected & (stream == NO_ANCHOR)
            streamed_for = frozenset(stream[stream != NO_ANCHOR].tolist())
            nobody = np.zeros(idx.size, dtype=bool)
            nobody.setflags(write=False)
            res = farmers.reservation_price(idx)
            found = Growers(idx, stream, connected, res, free, streamed_for, nobody)
        if memo is not None:
            memo[key] = found
        return found

    def typical_reservation(self, village: int, product: int) -> float:
        """Median reservation price of the village's growers of a product (yuan/kg)."""
        return float(self.reservation_by_village_product()[village, product])

    def reservation_by_village_product(self) -> np.ndarray:
        """Median reservation price of each (village, product)'s growers, (V, P), once a week.

        Where nobody grows the product: its farm-gate price plus the risk premium. Read-only;
        last week's table is kept when the households' reservations and products are the same
        numbers (prices usually stay for weeks); :meth:`reservation_table` is the formula.
        """
        self._this_week()
        if self._reservation is None:
            model = self.model
            farmers = model.farmers
            n_p = len(model.products)
            gate = model.products.array("farm_gate_price") * (1 + model.config.farmers.risk_premium)
            if farmers.n:
                key = farmers.village * n_p + farmers.product
                res = farmers.reservation_price()
            else:
                key, res = np.zeros(0, dtype=np.int64), np.zeros(0)
            last = self._reservation_inputs
            if (
                last is not None
                and np.array_equal(last[0], gate)
                and np.array_equal(last[1], key)
                and np.array_equal(last[2], res)
            ):
                self._reservation = last[3]
            else:
                table = self.reservation_table(gate, key, res, model.world.n_villages)
                table.setflags(write=False)
                self._reservation_inputs = (gate.copy(), key.copy(), res.copy(), table)
                self._reservation = table
        return self._reservation

    @staticmethod
    def reservation_table(
        gate: np.ndarray, key: np.ndarray, res: np.ndarray, n_villages: int
    ) -> np.ndarray:
        """The medians of :meth:`reservation_by_village_product` computed afresh.

        Args:
            gate: Each product's farm-gate price plus the risk premium (where nobody grows it).
            key: Each household's ``village · P + product``.
            res: Each household's reservation price.
            n_villages: Rows.
        """
        table = np.tile(gate, (n_villages, 1))
        if key.size:
            order = _group_order(key, res)
            k, r = key[order], res[order]
            start = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
            count = np.diff(np.append(start, k.size))
            mid = start + count // 2
            # numerics.median per group: the middle one, or the mean of the two middle ones.
            med = np.where(count % 2 == 1, r[mid], (r[mid - 1] + r[mid]) / 2)
            table.reshape(-1)[k[start]] = med
        return table

    def available_g(self, village: int, product: int) -> int:
        """Grams in connected growers' stores that anchors could contract (weekly snapshot)."""
        return int(self.available_by_village_product()[village, product])

    def offer_price(self, anchor: Anchor, village: int | None = None) -> float:
        """The anchor's price per kg to growers of its product in ``village`` (yuan/kg).

        Args:
            anchor: The buying anchor (its product, price and bid share ``w``).
            village: Where the goods would come from (default: the anchor's village).
        """
        v = anchor.base_village if village is None else village
        # One cell of :meth:`offers` (the formula; a test compares), in the same operations.
        p = anchor.product
        if anchor.kind != "external":  # no slot fee: the rows' plain numbers, the same values
            res = self.reservation_rows()[v][p]
            net = anchor.net_value_column([v], p)[0]
        else:
            res = self.reservation_by_village_product()[v, p]
            net = anchor.net_value_per_kg(p, v)
        offer = res + anchor.bid_share * (net - res) if net > res else net
        floor = self.model.governance.min_farmer_share() * anchor.price[p]
        return float(max(max(offer, floor), 0.0))

    def offers(
        self, anchor: Anchor, villages: np.ndarray, net: np.ndarray | None = None
    ) -> np.ndarray:
        """The anchor's offer per kg for each product in each of ``villages``, (R, P) yuan/kg.

        ``offer = res + w·(net − res)`` while a kg is worth more than the growers' typical
        reservation ``res``, the net value otherwise (ECONOMICS.md §A); never below a
        minimum-farmer-share policy's floor, nor below zero.

        Args:
            anchor: The buyer.
            villages: Where the goods would come from.
            net: ``anchor.net_values(villages)`` when the caller has it already.
        """
        res = self.reservation_by_village_product()[villages]
        if net is None:
            net = anchor.net_values(villages)
        offer = np.where(net > res, res + anchor.bid_share * (net - res), net)
        floor = self.model.governance.min_farmer_share() * anchor.price
        return np.maximum(np.maximum(offer, floor[None, :]), 0.0)

    def _sellers(self, anchor: Anchor, idx: np.ndarray, offer: float) -> Sellers:
        """Who among the growers ``idx`` would sell to the anchor at ``offer``.

        Returns:
            Masks over ``idx`` (willing sellers with goods in store, the anchor's own household,
            households under contract with it) and the growers' reservations and stores.
        """
        farmers = self.model.farmers
        contract = farmers.contract_anchor[idx]
        stream = farmers.stream_anchor[idx]
        mine = contract == anchor.index
        reservation = farmers.reservation_price(idx)
        affordable = reservation <= offer
        own = stream == anchor.index
        free = (contract == NO_ANCHOR) & (stream == NO_ANCHOR)
        accepts = (farmers.connected[idx] & affordable & (mine | free)) | own
        store = self.model.goods.balances["farm_store"][idx]
        accepts &= store > 0
        return Sellers(accepts, own, mine, reservation, store)

    def _sellers_of(self, anchor: Anchor, growers: Growers, offer: float) -> Sellers:
        """:meth:`_sellers` with the growers' fixed columns looked up already (a test compares).

        ``connected & (mine | free)`` is ``(mine & connected) | (no contract & growers.free)``.
        """
        idx = growers.idx
        contract = self.model.farmers.contract_anchor[idx]
        store = self.model.goods.balances["farm_store"][idx]
        a = anchor.index
        mine = contract == a
        accepts = contract == NO_ANCHOR
        accepts &= growers.free
        accepts |= mine & growers.connected
        accepts &= growers.reservation <= offer
        own = growers.nobody
        if a in growers.streamed_for:
            own = growers.stream == a
            accepts |= own
        accepts &= store > 0
        return Sellers(accepts, own, mine, growers.reservation, store)

    def acceptable_g(self, anchor: Anchor, village: int, product: int, offer: float) -> int:
        """Grams the growers of ``product`` in ``village`` would sell the anchor at ``offer`` now."""
        return self.acceptable(anchor, village, product, offer)[0]

    def acceptable(
        self, anchor: Anchor, village: int, product: int, offer: float
    ) -> tuple[int, Sellers | None]:
        """:meth:`acceptable_g` with the sellers it found (for :meth:`buy_from_farmers` next).

        Returns:
            Grams, and the growers' :class:`Sellers` (None when nobody grows the product there).
        """
        growers = self.growers(village, product)
        if growers is None:
            return 0, None
        sellers = self._sellers_of(anchor, growers, offer)
        return int(sellers.store[sellers.accepts].sum()), sellers

    def buy_from_farmers(
        self,
        anchor: Anchor,
        need_g: int,
        village: int | None = None,
        seen: Sellers | None = None,
    ) -> int:
        """Buy up to ``need_g`` grams of the anchor's product from growers in ``village``.

        Growers who accept the anchor's offer sell: its own household first, then households
        under contract with it, then others in random order. Its contracted growers whose
        reservation now exceeds the offer are released.

        Args:
            anchor: The buyer (its product and ``offer_price``).
            need_g: Grams wanted.
            village: Where the growers are (default: the anchor's village).
            seen: :meth:`acceptable`'s sellers there at the anchor's offer, when nothing has
                changed since it looked (the same masks).

        Returns:
            Grams bought.
        """
        v = anchor.base_village if village is None else village
        growers = self.growers(v, anchor.product)
        if growers is None or need_g <= 0:
            return 0
        offer = anchor.offer_price
        found = self._sellers_of(anchor, growers, offer) if seen is None else seen
        accepts, own, mine = found.accepts, found.own, found.mine
        contract = self.model.farmers.contract_anchor
        dropped = mine & (found.reservation > offer)
        contract[growers.idx[dropped]] = NO_ANCHOR
        candidates = accepts.nonzero()[0]
        if candidates.size == 0:
            return 0
        priority = np.where(own[candidates], 0, np.where(mine[candidates], 1, 2))
        order = candidates[np.lexsort((self.rng.random(candidates.size), priority))]
        rows, take = _first_to_cover(order, found.store, need_g)
        for r in rows:
            if growers.stream[r] == NO_ANCHOR:
                contract[growers.idx[r]] = anchor.index
        self._deliver(anchor, growers.idx[rows], np.array(take, dtype=np.int64), offer, v)
        return sum(take)

    def _deliver(
        self, anchor: Anchor, sellers: np.ndarray, grams: np.ndarray, offer: float, village: int
    ) -> None:
        """Goods from the households' stores to the anchor's lot (labelled ``village``); money back.

        One household selling to a rural anchor (most purchases) goes through
        :meth:`_deliver_one`, in Python numbers; others through :meth:`_deliver_all`.
        """
        if sellers.size == 1 and anchor.kind != "external":
            self._deliver_one(anchor, int(sellers[0]), int(grams[0]), offer, village)
        else:
            self._deliver_all(anchor, sellers, grams, offer, village)

    def _deliver_all(
        self, anchor: Anchor, sellers: np.ndarray, grams: np.ndarray, offer: float, village: int
    ) -> None:
        """:meth:`_deliver` for any sellers and any anchor (the formula)."""
        model = self.model
        p = anchor.product
        slot = anchor.stock_slot(p)
        local, _ = anchor.stock_g()
        quality = model.farmers.stock_quality[sellers]
        bought = int(grams.sum())  # whole grams: the same number however often it is summed
        total = local + bought
        anchor.stock_quality[p] = (
            anchor.stock_quality[p] * local + float((quality * grams).sum())
        ) / max(total, 1)
        anchor.unit_cost[p] = (anchor.unit_cost[p] * local + offer * float(bought)) / max(total, 1)
        model.books.label_lot(slot, village)
        model.goods.transfer(
            Flow.CONTRACT, Account.FARM_STORE, sellers, Account.ANCHOR_STOCK, slot, grams
        )
        pay = to_fen(offer * grams / 1000.0)  # what each grower decided on
        external = anchor.kind == "external"  # others capture nothing
        if external:
            commission, slot_fee = self._capture(anchor, grams)
            gross = pay + commission + slot_fee
        else:
            gross = pay  # plus zero commission and slot fee
        self._pay_growers(anchor.index, sellers, gross)
        if external:  # transfers of zeros skipped
            for kind, amount in ((Flow.COMMISSION, commission), (Flow.SLOT_FEE, slot_fee)):
                model.money.transfer(
                    kind, Account.FARMERS, sellers, Account.ANCHORS, anchor.index, amount
                )
        self._tally(anchor, village, bought, int(pay.sum()))

    def _deliver_one(
        self, anchor: Anchor, seller: int, grams: int, offer: float, village: int
    ) -> None:
        """:meth:`_deliver` from one household to a rural anchor, in Python numbers (a test compares).

        The same operations on the same values: a one-element sum is its element, and a rural
        anchor captures nothing.
        """
        model = self.model
        p = anchor.product
        slot = anchor.stock_slot(p)
        local, _ = anchor.stock_g()
        total = local + grams
        quality = float(model.farmers.stock_quality[seller]) * grams
        anchor.stock_quality[p] = (anchor.stock_quality[p] * local + quality) / max(total, 1)
        anchor.unit_cost[p] = (anchor.unit_cost[p] * local + offer * float(grams)) / max(total, 1)
        model.books.label_lot(slot, village)
        model.goods.transfer(
            Flow.CONTRACT, Account.FARM_STORE, seller, Account.ANCHOR_STOCK, slot, grams
        )
        pay = to_fen(offer * grams / 1000.0)
        self._pay_growers(anchor.index, seller, pay)
        self._tally(anchor, village, grams, pay)

    def _tally(self, anchor: Anchor, village: int, grams: int, pay: int) -> None:
        """Count a purchase's kg and yuan in its village's week (own stream or contract)."""
        kg, yuan = _TALLY_OWN if anchor.kind == "farmer" else _TALLY_CONTRACT
        week = self.model.books.village_week  # the sellers are growers of the lot's village
        week[kg][village] += float(grams) / 1000
        week[yuan][village] += float(pay) / 100

    def _capture(self, anchor: Anchor, grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What each supplier of a city anchor pays it back: commission and slot fee, fen.

        A city anchor buys outright (ECONOMICS.md §A): the supplier's receipt is booked gross —
        the offer it accepted plus these two — and they flow back to the anchor, so the capture
        shows in the farmer share while the grower decides on the offer, its net. The commission
        is ``commission·price`` a kg; the week's slot fee is shared pro rata to grams (this is the
        anchor's one purchase of the week), so it never exceeds what is left of a receipt after
        the commission. Other anchors capture nothing.

        Returns:
            (commission, slot fee) per seller, integer fen.
        """
        none = np.zeros(grams.size, dtype=np.int64)
        if anchor.kind != "external" or grams.size == 0:
            return none, none
        commission = to_fen(anchor.commission() * anchor.price[anchor.product] * grams / 1000.0)
        total = int(to_fen(self.model.config.external_anchors.slot_fee_week))
        weight = grams.astype(np.int64)
        slot_fee = total * weight // int(weight.sum())
        rest = total - int(slot_fee.sum())  # fen lost to rounding down go to the largest suppliers
        slot_fee[np.argsort(-weight, kind="stable")[:rest]] += 1
        return commission, slot_fee
