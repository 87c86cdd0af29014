"""Sweeps: the rows of a sweep's jobs, its table, chart and summary files, and the Hydra
callback that writes them when a sweep ends."""
