"""Governance paths as scheduled, budgeted policies (paper §4)."""
