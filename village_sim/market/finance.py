"""The anchors' firms' money between weeks: interest, drawings, insolvency (ECONOMICS.md §A).

Extension. Each anchor keeps a cash account in the ledger with an overdraft to ``−L``. Every week
interest ``r/52`` on a negative balance goes to the external ``lender`` account (one vector
transfer); after the week's results are booked, an anchor whose cash is below ``−L`` is insolvent
and exits that week (its debt is written off, :meth:`Anchor.retire`), and the owner draws
``drawings_share · max(0, cash − B)``, ``B`` = ``reserve_weeks`` of purchases plus the reserve.
A city anchor's business keeps its equity as working capital (no drawings; a choice: a firm, not
a household).
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np

from village_sim.accounts import Account, Flow
from village_sim.numerics import mean_of_few
from village_sim.units import FEN_PER_YUAN, to_fen

PURCHASE_FLOWS = ("contract_sale", "import_purchase", "shipping")
"""What an anchor pays for its goods and their shipping (the drawings buffer reads them)."""


class Finance:
    """Interest, drawings and insolvency of the anchors' firms.

    Args:
        model: The model (its anchors, ledger and scenario).
    """

    def __init__(self, model: mesa.Model) -> None:
        self.model = model

    def charge_interest(self) -> None:
        """Interest on every indebted active anchor, to the lender (one vector transfer)."""
        anchors = [a for a in self.model.anchors if a.cash() < 0]
        if not anchors:
            return
        idx = np.array([a.index for a in anchors], dtype=np.int64)
        fen = to_fen(np.array([a.interest_week() for a in anchors]))
        self.model.money.transfer(Flow.INTEREST, Account.ANCHORS, idx, Account.LENDER, 0, fen)

    def settle_owners(self) -> None:
        """Insolvent anchors exit; the others' owners take their drawings."""
        model = self.model
        ledger = model.money
        n = model.anchor_count
        purchases = ledger.payments(Account.ANCHORS, PURCHASE_FLOWS)[:n] / FEN_PER_YUAN
        cfg = model.config.anchors
        draws: dict[Account, list[tuple[int, int, int]]] = defaultdict(list)
        for a in list(model.anchors):
            a.purchases_hist.append(float(purchases[a.index]))
            del a.purchases_hist[:-4]
            fen = int(ledger.balances[Account.ANCHORS][a.index])
            cash = fen / FEN_PER_YUAN  # a.cash()
            if cash < -a.credit_limit:
                a.retire("insolvent")
                continue
            if a.kind == "external":
                continue  # a city business keeps its equity as working capital
            buffer = cfg.reserve_weeks * mean_of_few(a.purchases_hist) + a.reserve(fen)
            amount = to_fen(cfg.drawings_share * max(0.0, cash - buffer))
            if amount > 0:
                group, owner = a.owner
                draws[group].append((a.index, owner, amount))
        for group, rows in draws.items():
            src, dst, fen = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
            ledger.transfer(Flow.DRAWINGS, Account.ANCHORS, src, group, dst, fen)
