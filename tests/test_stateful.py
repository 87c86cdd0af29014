"""Stateful training of long sequences in chunks: layout, state carrying, resets, scoring."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from seqlab.backends.tensorflow import chunk_batches
from seqlab.cli.predict import PREDICTIONS_FILE, evaluate_run
from seqlab.config import ModelConfig, TrainerConfig, validate
from seqlab.data.chunks import ChunkLayout, arrange
from seqlab.errors import ConfigError
from seqlab.models.builder import InputSpec, build_model
from seqlab.models.tasks import task_spec
from seqlab.training.layouts import ChunkedLayout, PlainLayout, StateReset, stateful_layers
from seqlab.training.steps import compile_model

from .conftest import run_cli

B, T, C, F = 4, 12, 3, 2


def numbered(n: int, timesteps: int = T) -> np.ndarray:
    """x[s, t] = (s, t): every value says which sequence and step it came from."""
    s, t = np.meshgrid(np.arange(n), np.arange(timesteps), indexing="ij")
    return np.stack([s, t], axis=-1).astype("float32")


def stateful_cfg(**kw) -> ModelConfig:
    return ModelConfig(cell="lstm", units=5, stateful=True, chunk_length=C, **kw)


def chunked(reset_every: int | None = None) -> ChunkedLayout:
    chunking = ChunkLayout(B, C, T // C)
    return ChunkedLayout(TrainerConfig(batch_size=B), chunking, reset_every or chunking.chunks)


def predict_sequences(model, x, reset_every):
    return chunked(reset_every).predict(model, x, B)


def test_arrange_puts_each_sequences_next_chunk_in_the_same_row_of_the_next_batch():
    layout = ChunkLayout(batch_size=B, chunk_length=C, chunks=T // C)
    x, y = numbered(10), np.arange(10, dtype="float32")
    xs, ys, w = arrange(x, y, layout, pad=True)
    batches = xs.reshape(-1, B, C, F)  # 3 groups (the last padded) x 4 chunks
    assert len(batches) == 3 * layout.chunks
    for k in range(len(batches)):
        group, chunk = divmod(k, layout.chunks)
        for i in range(B):
            seq = group * B + i
            expected = x[seq, chunk * C : (chunk + 1) * C] if seq < 10 else 0.0
            np.testing.assert_array_equal(batches[k, i], expected)
    weights = w.reshape(3, layout.chunks, B)
    assert (weights[:, :-1] == 0).all()  # only the last chunk of a sequence is scored
    real = weights[:, -1].reshape(-1)
    assert (real[:10] > 0).all() and (real[10:] == 0).all()
    assert ys.reshape(3, layout.chunks, B)[1, 2, 3] == 7.0  # sequence 7's target, every chunk


def test_training_batches_reshuffle_whole_sequences_and_keep_chunks_consecutive():
    layout = ChunkLayout(batch_size=B, chunk_length=C, chunks=T // C)
    x, y = numbered(11), np.arange(11, dtype="float32")
    ds = chunk_batches(x, y, layout, shuffle_seed=3, groups_per_epoch=2)  # repeats
    batches = [tuple(t.numpy() for t in b) for b in ds.take(2 * 2 * layout.chunks)]
    orders = []
    for start in range(0, len(batches), layout.chunks):
        group = batches[start : start + layout.chunks]
        rows = np.concatenate([g[0] for g in group], axis=1)  # (B, T, F) if consecutive
        seq = rows[:, 0, 0].astype(int)
        np.testing.assert_array_equal(rows, x[seq])
        np.testing.assert_array_equal(group[-1][1], seq)
        assert [g[2].max() for g in group] == [0, 0, 0, layout.chunks]
        orders.append(seq)
    epoch1, epoch2 = np.concatenate(orders[:2]), np.concatenate(orders[2:])
    assert len(set(epoch1)) == 8 and len(set(epoch2)) == 8  # 2 full groups of 11 sequences
    assert not np.array_equal(epoch1, epoch2)


def _stateful_and_full(impl: str, layers: int, **kw):
    model_cfg = stateful_cfg(layers=layers, **kw)
    stateful = build_model(InputSpec(T, F, None, batch_size=B), model_cfg, impl, 1)
    full_cfg = ModelConfig(cell="lstm", units=5, layers=layers)
    full = build_model(InputSpec(T, F, None), full_cfg, impl, 1)
    full.set_weights(stateful.get_weights())
    return model_cfg, stateful, full


@pytest.mark.parametrize("impl", ["layer", "cell_loop", "manual", "unrolled"])
@pytest.mark.parametrize("layers", [1, 2])
def test_carried_state_over_chunks_equals_the_whole_sequence_at_once(impl, layers):
    _, stateful, full = _stateful_and_full(impl, layers)
    assert len(stateful_layers(stateful)) >= 1
    layout = ChunkLayout(B, C, T // C)
    x = np.random.default_rng(0).normal(size=(10, T, F)).astype("float32")
    for layer in stateful_layers(stateful):  # leftover state must not leak in
        for v in keras.tree.flatten(layer.states):
            v.assign(np.full(v.shape, 0.7, "float32"))
    got = predict_sequences(stateful, x, reset_every=layout.chunks)
    np.testing.assert_allclose(got, full.predict(x, verbose=0), atol=1e-5)


def test_resetting_every_chunk_sees_only_the_last_chunk():
    _, stateful, _ = _stateful_and_full("layer", 1)
    one_chunk_cfg = ModelConfig(cell="lstm", units=5, layers=1)
    one_chunk = build_model(InputSpec(C, F, None), one_chunk_cfg, "layer", 1)
    one_chunk.set_weights(stateful.get_weights())
    x = np.random.default_rng(1).normal(size=(8, T, F)).astype("float32")
    got = predict_sequences(stateful, x, reset_every=1)
    np.testing.assert_allclose(got, one_chunk.predict(x[:, -C:], verbose=0), atol=1e-5)


@pytest.mark.parametrize("groups", [None, 1])
def test_chunked_evaluation_scores_each_sequence_once_like_the_stateless_model(groups):
    _, stateful, full = _stateful_and_full("cell_loop", 1)
    layout = ChunkLayout(B, C, T // C)
    task = task_spec("regression", None, F)
    cfg = TrainerConfig(batch_size=B)
    compile_model(stateful, task, cfg, chunked())
    compile_model(full, task, cfg, PlainLayout(cfg))
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(10, T, F)).astype("float32"), rng.normal(size=10).astype("float32")
    got = stateful.evaluate(
        chunk_batches(x, y, layout, groups=groups),
        callbacks=[StateReset(layout.chunks)],
        return_dict=True,
        verbose=0,
    )
    n = 10 if groups is None else groups * B
    want = full.evaluate(x[:n], y[:n], batch_size=n, return_dict=True, verbose=0)
    for key in ("loss", "mse", "mae"):
        assert got[key] == pytest.approx(want[key], rel=1e-5), key


def test_one_training_epoch_updates_the_weights_once_per_group_of_chunks():
    _, stateful, _ = _stateful_and_full("layer", 1)
    layout = ChunkLayout(B, C, T // C)
    compile_model(
        stateful, task_spec("regression", None, F), TrainerConfig(batch_size=B), chunked()
    )
    x = numbered(12)
    y = np.ones(12, "float32")
    stateful.fit(
        chunk_batches(x, y, layout, shuffle_seed=0),
        callbacks=[StateReset(layout.chunks)],
        epochs=1,
        shuffle=False,  # the pipeline shuffles whole sequences
        verbose=0,
    )
    assert int(stateful.optimizer.iterations.numpy()) == 3  # 12 sequences / batch 4


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model.chunk_length=null"], "needs model.chunk_length"),
        (["model.bidirectional=true"], "model.bidirectional=true"),
        (["model.readout=sequence_mean"], "model.readout=sequence_mean"),
    ],
)
def test_stateful_refuses_what_it_cannot_compute(compose_cfg, overrides, message):
    cfg = compose_cfg("dataset=adding", "model.stateful=true", "model.chunk_length=5", *overrides)
    with pytest.raises(ConfigError, match=message):
        validate(cfg)


SMALL_STATEFUL = [
    "+experiment=adding_stateful",
    "dataset.length=40",
    "dataset.n_train=160",
    "dataset.n_test=50",
    "model.chunk_length=10",
    "model.units=8",
    "trainer.batch_size=16",
    "trainer.epochs=2",
    "trainer.progress=false",
]


@pytest.mark.e2e
def test_a_stateful_run_trains_records_its_layout_and_predict_reproduces_it(tmp_path):
    proc = run_cli(*SMALL_STATEFUL, f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["status"] == "ok"
    assert results["settings"]["stateful"] == {
        "chunk_length": 10,
        "chunks_per_sequence": 4,
        "reset_state": "sequence",
        "optimizer_updates_per_epoch": 9,  # 144 training sequences / 16
    }
    assert results["settings"]["steps_per_epoch"] == 36
    metrics = results["metrics"]
    # Scoring only last chunks, with weights that make the loss a per-sequence mean.
    assert metrics["train_loss"] == pytest.approx(metrics["train_mse"], rel=1e-4)
    assert metrics["val_loss"] == pytest.approx(metrics["val_mse"], rel=1e-4)
    out = evaluate_run(tmp_path)
    assert out["value"] == pytest.approx(metrics["test_mse"], rel=1e-5)
    with np.load(tmp_path / PREDICTIONS_FILE) as saved:
        assert saved["logits"].shape == (50, 1)
        mse = float(np.mean((saved["logits"][:, 0] - saved["targets"]) ** 2))
    assert mse == pytest.approx(metrics["test_mse"], rel=1e-4)
    moved = evaluate_run(tmp_path, impl="manual")
    assert moved["value"] == pytest.approx(metrics["test_mse"], rel=1e-4)


@pytest.mark.e2e
def test_a_chunk_length_that_does_not_divide_the_sequences_is_a_clear_error(tmp_path):
    proc = run_cli(
        *SMALL_STATEFUL, "model.chunk_length=7", f"hydra.run.dir={tmp_path}", cwd=tmp_path
    )
    assert proc.returncode != 0
    message = "model.chunk_length=7 does not divide the sequence length 40"
    assert message in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_stateful_throughput_counts_whole_groups_with_their_update_step():
    from seqlab.training.timing import StepTimer, Timing

    timer = StepTimer(warmup_steps=1)
    # Two epochs of four groups of 4 chunk steps; the last chunk of a group carries
    # the optimizer update and takes longer, and an epoch's first step is slow.
    group = [0.010, 0.010, 0.010, 0.030]
    slow = [0.050, *group[1:]]
    timer.steps = [[0.5, *group[1:], *group, *group, *group], [*slow, *group, *group, *group]]
    timer.epoch_s = [1.0, 1.0]
    timer.train_epoch_s = [1.0, 1.0]
    timing = Timing()
    timer.fill(timing, 16, group=4)
    assert timing.step_ms_median == pytest.approx(10.0)  # a typical chunk step
    assert timing.samples_per_s == pytest.approx(16 / 0.060)  # not 16 / (4 * 0.010)
    assert timing.epoch_first_step_ms == pytest.approx(50.0)  # reported, not in the groups
    single = StepTimer(warmup_steps=2)
    single.steps = [[0.5, 0.4, *group[2:], *group]]  # the first group holds warm-up
    assert single.steady_groups(4) == [pytest.approx(0.060)]
