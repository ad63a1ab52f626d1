"""Browser visualization."""
