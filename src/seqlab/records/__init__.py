"""Records and storage, without Keras.

Atomic files, the run record and its reader, the folder lock and fingerprint,
checkpoints, signals, tracking.
"""
