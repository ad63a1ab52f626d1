"""Indicators and recorders: metrics only read model state."""
