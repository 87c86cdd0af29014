"""TensorFlow with its tf.data pipeline against the NumPy pipeline every backend can use.

Runs seqlab's `+experiment=imdb_lstm_manual` (impl=manual, and the same with
impl=layer) on TensorFlow twice per round, once feeding batches through tf.data
(`seqlab.backends.tensorflow`) and once through the backend-independent NumPy
PyDataset (`seqlab.data.arrays`), alternating, and prints the ratio of the median
steady-state step times (new/old; the target for switching TensorFlow to NumPy was
<= 1.02).

    python benchmarks/pipeline.py [--imdb PATH_TO_NPZ] [--rounds 3] [--epochs 2]
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


def run(imdb: str | None, impl: str, pipeline: str, epochs: int, workdir: Path) -> float:
    from overhead import run_seqlab

    import seqlab.backends.tensorflow as tf_backend
    from seqlab.data import arrays

    original = tf_backend.pipeline
    if pipeline == "numpy":
        tf_backend.pipeline = lambda: arrays
    try:
        return run_seqlab(imdb, epochs, workdir, progress=False, extra=[f"impl={impl}"])
    finally:
        tf_backend.pipeline = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imdb", help="an IMDB .npz in the keras format (arr_* layout ok)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()

    from seqlab.config.store import register_schemas

    register_schemas()
    times: dict[tuple[str, str], list[float]] = {}
    with TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for impl in ("layer", "manual"):
                for pipeline in ("tf_data", "numpy"):
                    folder = Path(tmp) / f"{round_}-{impl}-{pipeline}"
                    ms = run(args.imdb, impl, pipeline, args.epochs, folder)
                    times.setdefault((impl, pipeline), []).append(ms)
                    print(
                        f"round {round_ + 1} impl={impl} {pipeline}: {ms:.2f} ms/step", flush=True
                    )
    for impl in ("layer", "manual"):
        old = statistics.median(times[(impl, "tf_data")])
        new = statistics.median(times[(impl, "numpy")])
        print(f"impl={impl}: tf.data {old:.2f} ms, numpy {new:.2f} ms, new/old {new / old:.3f}")


if __name__ == "__main__":
    main()
