"""Scenario schema, loading and overrides."""
