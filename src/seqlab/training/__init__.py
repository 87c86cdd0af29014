"""Training a prepared run with Keras.

The trainer, the epoch-end step, timing, optimizers, layouts, progress and figures.
"""
