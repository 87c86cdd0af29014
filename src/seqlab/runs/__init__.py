"""Runs: one experiment end to end, from device set-up to its record."""
