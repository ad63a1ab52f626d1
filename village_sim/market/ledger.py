"""Double-entry books in integer units: money in fen, goods in grams (MODEL.md §6).

Every transfer debits one account and credits another, so the sum over all accounts never moves;
external accounts (consumers, government budget, middlemen's buyers, out-of-county suppliers, tool
vendors, nature for harvests) close the system. Accounts are grouped (``farmers``, ``anchors``, ...)
and each group is a NumPy ``int64`` array, so a whole population pays or is paid in one call.

The ledger also keeps, per week, how much each kind of flow moved (``flows``), how much each
account of a tracked group received or paid by kind (``received``/``paid``), and per-village goods
tallies for the village goods balance. Indicators read these; nothing else changes a balance.
"""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum

import numpy as np

from village_sim.accounts import Account, Flow, check_flow


class Ledger:
    """A double-entry ledger over groups of integer accounts.

    Args:
        unit: ``"fen"`` or ``"g"`` (for messages only).
        tracked: Groups whose per-account receipts and payments by kind are kept each week.
        accounts: The enumeration of allowed group names (the county's books use
            :class:`Account`); None allows any name.
    """

    def __init__(
        self,
        unit: str,
        tracked: tuple[str, ...] = (),
        accounts: type[StrEnum] | None = None,
    ) -> None:
        self.unit = unit
        self.accounts = accounts
        self.balances: dict[str, np.ndarray] = {}
        self.tracked = set(tracked)
        self.flows: dict[str, int] = defaultdict(int)
        self.received: dict[tuple[str, str], np.ndarray] = {}
        self.paid: dict[tuple[str, str], np.ndarray] = {}
        self.opening_total = 0

    # -- accounts ---------------------------------------------------------------------------
    def open_group(self, group: Account | str, size: int) -> None:
        """Create a group of ``size`` accounts at zero.

        Raises:
            ValueError: The ledger names its groups (``accounts``) and ``group`` is not one.
        """
        if self.accounts is not None:
            self.accounts(group)
        self.balances[group] = np.zeros(size, dtype=np.int64)

    def ensure_size(self, group: str, size: int) -> None:
        """Grow a group (new accounts start at zero); capacity doubles to keep growth cheap."""
        bal = self.balances[group]
        if size > bal.size:
            new = np.zeros(max(size, 2 * bal.size), dtype=np.int64)
            new[: bal.size] = bal
            self.balances[group] = new
            for store in (self.received, self.paid):
                for key, arr in store.items():
                    if key[0] == group:
                        grown = np.zeros(new.size, dtype=np.int64)
                        grown[: arr.size] = arr
                        store[key] = grown

    def total(self) -> int:
        """Sum over every account (constant under double entry)."""
        return int(sum(int(b.sum()) for b in self.balances.values()))

    def balance_error(self) -> int:
        """|Σ balances − Σ opening balances|, in ledger units."""
        return abs(self.total() - self.opening_total)

    # -- transfers --------------------------------------------------------------------------
    def transfer(
        self,
        kind: Flow | str,
        src: Account | str,
        src_idx: np.ndarray | int,
        dst: Account | str,
        dst_idx: np.ndarray | int,
        amount: np.ndarray | int,
    ) -> None:
        """Move ``amount`` from ``src[src_idx]`` to ``dst[dst_idx]`` (element-wise).

        Args:
            kind: The kind of flow (``"sale"``, ``"refund"``, ``"harvest"`` ...).
            src: Debited group.
            src_idx: Account index or indices in ``src``.
            dst: Credited group.
            dst_idx: Account index or indices in ``dst``.
            amount: Non-negative integer amounts (broadcast against the indices).
        """
        check_flow(kind)
        if _is_scalar(amount) and _is_scalar(src_idx) and _is_scalar(dst_idx):
            self._transfer_one(kind, src, int(src_idx), dst, int(dst_idx), int(amount))
            return
        amount = np.asarray(amount, dtype=np.int64)
        if amount.size == 0:
            return
        if amount.min() < 0:
            raise ValueError(f"negative {self.unit} transfer of kind {kind}")
        total = int(amount.sum())
        if _is_scalar(src_idx):  # one payer (the usual case): the total, no negated copy
            self.balances[src][int(src_idx)] -= total
        else:
            _post(self.balances[src], src_idx, -amount, -total)
        _post(self.balances[dst], dst_idx, amount, total)
        self.flows[kind] += total
        if src in self.tracked:
            _post(self._store(self.paid, src, kind), src_idx, amount, total)
        if dst in self.tracked:
            _post(self._store(self.received, dst, kind), dst_idx, amount, total)

    def _transfer_one(self, kind: str, src: str, i: int, dst: str, j: int, amount: int) -> None:
        """The scalar case of :meth:`transfer` (most per-agent payments), without NumPy calls."""
        if amount < 0:
            raise ValueError(f"negative {self.unit} transfer of kind {kind}")
        if amount == 0:
            return
        self.balances[src][i] -= amount
        self.balances[dst][j] += amount
        self.flows[kind] += amount
        if src in self.tracked:
            self._store(self.paid, src, kind)[i] += amount
        if dst in self.tracked:
            self._store(self.received, dst, kind)[j] += amount

    def _store(self, store: dict, group: str, kind: str) -> np.ndarray:
        key = (group, kind)
        arr = store.get(key)
        if arr is None or arr.size != self.balances[group].size:
            arr = np.zeros(self.balances[group].size, dtype=np.int64)
            store[key] = arr
        return arr

    def start_week(self) -> None:
        """Reset the weekly flow tallies."""
        self.flows = defaultdict(int)
        for arr in self.received.values():
            arr[:] = 0
        for arr in self.paid.values():
            arr[:] = 0

    def receipts(self, group: str, kinds: tuple[str, ...] | None = None) -> np.ndarray:
        """This week's receipts of each account of a tracked group (all kinds or ``kinds``)."""
        return self._sum(self.received, group, kinds)

    def payments(self, group: str, kinds: tuple[str, ...] | None = None) -> np.ndarray:
        """This week's payments of each account of a tracked group (all kinds or ``kinds``)."""
        return self._sum(self.paid, group, kinds)

    def _sum(self, store: dict, group: str, kinds: tuple[str, ...] | None) -> np.ndarray:
        out = np.zeros(self.balances[group].size, dtype=np.int64)
        for (g, kind), arr in store.items():
            if g == group and (kinds is None or kind in kinds) and arr.size == out.size:
                out += arr
        return out


def _is_scalar(x: object) -> bool:
    """Whether ``x`` is one number (a Python or NumPy scalar, or a 0-d array)."""
    if type(x) is int:  # the common case first
        return True
    if isinstance(x, np.ndarray):
        return x.ndim == 0
    return not isinstance(x, (list, tuple))


def _post(accounts: np.ndarray, idx: np.ndarray | int, amount: np.ndarray, total: int) -> None:
    """Add ``amount`` to ``accounts[idx]`` element-wise (repeated indices accumulate).

    A scalar index receives the whole ``total`` (= ``amount.sum()``) in one addition: integer
    sums do not depend on their order, so this equals adding the amounts one by one.
    """
    if _is_scalar(idx):
        accounts[int(idx)] += total
        return
    idx = np.asarray(idx, dtype=np.int64)
    if idx.shape != amount.shape:
        idx = np.broadcast_to(idx, amount.shape)
    np.add.at(accounts, idx, amount)


class VillageGoodsBook:
    """Per-village goods balance: opening + harvest = middlemen + shipped + spoiled + closing.

    The stock figures come from the goods ledger's stock accounts, the flows from the transfers
    tagged with their village; the residual is zero when every gram is accounted for.
    """

    FLOWS = ("harvest", "to_middlemen", "shipped", "spoiled_origin")

    def __init__(self, n_villages: int) -> None:
        self.n = n_villages
        self.flow = {k: np.zeros(n_villages, dtype=np.int64) for k in self.FLOWS}
        self.opening = np.zeros(n_villages, dtype=np.int64)

    def start_week(self, stock_by_village: np.ndarray) -> None:
        """Record the opening stock and clear the week's flows."""
        self.opening = stock_by_village.astype(np.int64).copy()
        for arr in self.flow.values():
            arr[:] = 0

    def add(self, kind: str, village: np.ndarray | int, grams: np.ndarray | int) -> None:
        """Tag a flow of ``grams`` with its village."""
        grams = np.asarray(grams, dtype=np.int64)
        _post(self.flow[kind], village, grams, int(grams.sum()))

    def residual(self, closing_by_village: np.ndarray) -> np.ndarray:
        """Grams unaccounted for in each village this week (zero when the books balance)."""
        f = self.flow
        return (
            self.opening
            + f["harvest"]
            - f["to_middlemen"]
            - f["shipped"]
            - f["spoiled_origin"]
            - closing_by_village.astype(np.int64)
        )
