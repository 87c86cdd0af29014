"""The seeds' IMDB model written as plain Keras 3, the way the tutorials write it.

Two cells (dropout 0.5) stepped by hand over the time steps inside a subclassed
model, Embedding(vocab, 100), Dense(1) + sigmoid, Adam 1e-3, binary cross-entropy,
tf.data shuffled with a 1000 buffer and batched with drop_remainder. It is the
baseline that benchmarks/overhead.py compares seqlab's trainer against; it uses
nothing from seqlab except the step timing callback, which both sides share.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers, ops

CELLS = {"simple_rnn": layers.SimpleRNNCell, "lstm": layers.LSTMCell, "gru": layers.GRUCell}


class SeedRNN(keras.Model):
    def __init__(self, vocab: int, cell: str, units: int = 64, embedding: int = 100):
        super().__init__()
        self.embedding = layers.Embedding(vocab, embedding)
        self.cell0 = CELLS[cell](units, dropout=0.5)
        self.cell1 = CELLS[cell](units, dropout=0.5)
        self.out = layers.Dense(1)

    def call(self, inputs, training=None):
        x = self.embedding(inputs)  # (batch, time, embedding)
        # Keras 3: a cell called by hand caches its dropout mask; reset it per pass.
        for cell in (self.cell0, self.cell1):
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        batch = ops.shape(inputs)[0]  # zero states sized from the input, not a constant
        state0 = self.cell0.get_initial_state(batch_size=batch)
        state1 = self.cell1.get_initial_state(batch_size=batch)
        for word in ops.unstack(x, axis=1):  # word: (batch, embedding)
            out0, state0 = self.cell0(word, state0, training=training)
            out1, state1 = self.cell1(out0, state1, training=training)
        return ops.sigmoid(self.out(out1))


def train(
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    cell: str,
    vocab: int,
    epochs: int,
    seed: int,
    callbacks: list,
) -> keras.callbacks.History:
    keras.utils.set_random_seed(seed)
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(1000, seed=seed)
        .batch(128, drop_remainder=True)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(128, drop_remainder=True)
    model = SeedRNN(vocab, cell)
    model.compile(
        optimizer=keras.optimizers.Adam(0.001),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=["accuracy"],
    )
    return model.fit(
        train_ds, epochs=epochs, validation_data=val_ds, callbacks=callbacks, verbose=0
    )
