"""The books' vocabulary (MODEL.md §6): groups of accounts and kinds of transfer.

On the ground floor so that every mechanism can name the accounts it pays from and to without
importing the ledger (:mod:`village_sim.market.ledger`), which keeps the balances.
"""

from __future__ import annotations

from enum import StrEnum


class Flow(StrEnum):
    """Kinds of transfer (``Ledger.flows`` keys); policies' spending is ``policy_<measure>``."""

    BRAND_BUILDING = "brand_building"
    BRAND_UPKEEP = "brand_upkeep"
    COMMISSION = "commission"
    CONTRACT = "contract"
    CONTRACT_SALE = "contract_sale"
    DEBT_TO_OWNER = "debt_to_owner"
    DELIVERED = "delivered"
    DRAWINGS = "drawings"
    EQUIPMENT = "equipment"
    FINE = "fine"
    GUARANTEE = "guarantee"
    HARVEST = "harvest"
    IMPORT = "import"
    IMPORT_PURCHASE = "import_purchase"
    INTEREST = "interest"
    LIQUIDATION = "liquidation"
    MIDDLEMAN_SALE = "middleman_sale"
    OFF_FARM_WAGE = "off_farm_wage"
    OPENING_STOCK = "opening_stock"
    PAID_TRAFFIC = "paid_traffic"
    PLATFORM_FEE = "platform_fee"
    PRODUCTION_COST = "production_cost"
    REFUND = "refund"
    REFUND_WRITE_OFF = "refund_write_off"
    SALE = "sale"
    SAVINGS_IN = "savings_in"
    SHIP = "ship"
    SHIPPING = "shipping"
    SHIP_IMPORT = "ship_import"
    SLOT_FEE = "slot_fee"
    SPOILED_IMPORT = "spoiled_import"
    SPOILED_ORIGIN = "spoiled_origin"
    SPOILED_TRANSIT = "spoiled_transit"
    TOOL_PURCHASE = "tool_purchase"
    TOOL_UPKEEP = "tool_upkeep"
    TO_MIDDLEMEN = "to_middlemen"
    TRAINING = "training"
    WRITE_OFF = "write_off"


class Account(StrEnum):
    """Groups of accounts in the money and goods ledgers."""

    ANCHORS = "anchors"
    ANCHOR_IMPORT = "anchor_import"
    ANCHOR_STOCK = "anchor_stock"
    CONSUMERS = "consumers"
    CONTRACTORS = "contractors"
    EMPLOYERS = "employers"
    FARM_STORE = "farm_store"
    FARMERS = "farmers"
    GOVERNMENT = "government"
    GOVERNMENT_BUDGET = "government_budget"
    HUBS = "hubs"
    IMPORTS = "imports"
    IN_TRANSIT = "in_transit"
    INPUTS = "inputs"
    LENDER = "lender"
    MIDDLEMEN = "middlemen"
    NATURE = "nature"
    PLATFORM = "platform"
    SAVINGS = "savings"
    SPOILED_ORIGIN = "spoiled_origin"
    SPOILED_TRANSIT = "spoiled_transit"
    SUPPLIERS = "suppliers"
    TRAINING_PROVIDERS = "training_providers"
    VENDORS = "vendors"
    WRITTEN_OFF = "written_off"
    YOUTH = "youth"


POLICY_FLOW = "policy_"
"""Prefix of the flows of policy spending (``policy_`` + the measure's name)."""


def check_flow(kind: str) -> None:
    """Raise ValueError for a kind of transfer the books do not know."""
    if kind not in _FLOWS and not kind.startswith(POLICY_FLOW):
        raise ValueError(f"unknown kind of transfer {kind!r}; expected one of Flow or policy_*")


_FLOWS = frozenset(Flow)
