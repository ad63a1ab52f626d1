"""Batch experiments."""
