"""Models: cell families, implementations of the recurrence, heads, the builder, tasks, cuDNN."""
