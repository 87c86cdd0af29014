"""What does seqlab's trainer cost over a plain Keras script? Prints the ratio.

Trains the seeds' IMDB model (2 x LSTMCell(64) stepped by hand, Embedding(vocab,
100), batch 128, Adam 1e-3) once through seqlab (`+experiment=imdb_lstm_manual`,
impl=manual) and once through `plain_seed_script.py`, alternating, several times.
Each training run is timed with the same StepTimer; epoch 1 (tracing) is excluded
and the steady-state median step of each run is kept. Prints both medians and the
ratio seqlab / plain (target: at most 1.03).

    python benchmarks/overhead.py [--imdb PATH_TO_NPZ] [--rounds 3] [--epochs 2]

Without --imdb, random tokens of the same shape (5,000 reviews of 80 tokens,
vocabulary 500) are used.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))


def load_arrays(imdb: str | None):
    import keras
    import numpy as np

    if imdb:
        from seqlab.data.loaders.imdb import read_imdb_file

        x_train, y_train, x_val, y_val = read_imdb_file(imdb, 500)
        pad = lambda reviews: keras.utils.pad_sequences(reviews, maxlen=80).astype("int32")  # noqa: E731
        return pad(x_train), y_train, pad(x_val), y_val
    rng = np.random.default_rng(0)
    x = rng.integers(1, 500, size=(6000, 80), dtype="int32")
    y = rng.integers(0, 2, size=6000)
    return x[:5000], y[:5000], x[5000:], y[5000:]


def run_plain(arrays, epochs: int) -> float:
    from plain_seed_script import train

    from seqlab.training.timing import StepTimer, Timing

    timer = StepTimer(warmup_steps=5)
    train(*arrays, cell="lstm", vocab=500, epochs=epochs, seed=22, callbacks=[timer])
    timing = Timing()
    timer.fill(timing, 128)
    return timing.step_ms_median


def run_seqlab(
    imdb: str | None, epochs: int, workdir: Path, progress: bool, extra: list[str] = ()
) -> float:
    from hydra import compose, initialize_config_dir

    from seqlab.config.store import conf_dir
    from seqlab.runs.experiment import run_experiment

    overrides = [
        "+experiment=imdb_lstm_manual",
        f"trainer.epochs={epochs}",
        f"trainer.progress={str(progress).lower()}",
        "dataset.num_words=500",
    ]
    if imdb:
        overrides.append(f"dataset.path={imdb}")
    else:  # the same shape, from seqlab's random_tokens dataset
        overrides += [
            "dataset=random_tokens",
            "dataset.vocab_size=500",
            "dataset.length=80",
            "dataset.n_train=5000",
            "dataset.n_test=1000",
            "~dataset.num_words",
            "model.dropout=0.5",
        ]
        overrides = [o for o in overrides if not o.startswith(("dataset.num_words", "~"))]
    overrides += list(extra)
    with initialize_config_dir(str(conf_dir()), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    results = run_experiment(cfg, workdir, overrides)
    if results["status"] != "ok":
        raise SystemExit(f"seqlab run failed: {results['error']}")
    return results["timing"]["step_ms_median"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imdb", help="an IMDB .npz in the keras format (arr_* layout ok)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="run seqlab with trainer.progress=false (the plain script is silent either way)",
    )
    args = parser.parse_args()

    from seqlab.config.store import register_schemas

    register_schemas()
    arrays = load_arrays(args.imdb)
    plain, seqlab = [], []
    with TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            plain.append(run_plain(arrays, args.epochs))
            seqlab.append(
                run_seqlab(args.imdb, args.epochs, Path(tmp) / str(round_), not args.no_progress)
            )
            print(
                f"round {round_ + 1}: plain {plain[-1]:.2f} ms/step, "
                f"seqlab {seqlab[-1]:.2f} ms/step",
                flush=True,
            )
    p, s = statistics.median(plain), statistics.median(seqlab)
    print(f"median steady-state step: plain Keras {p:.2f} ms, seqlab {s:.2f} ms")
    print(f"overhead ratio seqlab/plain: {s / p:.3f} (target <= 1.03)")


if __name__ == "__main__":
    main()
