"""How seqlab-report scales: the time for a sweep folder of 1,200 jobs against 12.

Builds two sweep folders of finished jobs (records and history.csv files shaped like
a real run's, over a grid of swept values) and times `seqlab-report` on each in a
fresh process (the whole command: reading every record, the table files, the chart,
the page), alternating the two, several rounds. The target (issue 19): the time for
1,200 jobs is at most 4x the time for 12, because reading records dominates and
drawing never grows past a readable size.

    python benchmarks/report_scale.py [--jobs 12 1200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_sweep(folder: Path, jobs: int) -> None:
    """`jobs` finished jobs over a grid (model x impl x units x seed), like a real sweep."""
    grid = itertools.product(
        range(1, 1 + max(1, jobs // 120)),  # seeds
        ("lstm", "gru", "simple_rnn"),
        ("layer", "cell_loop", "manual", "unrolled"),
        (8, 16, 32, 64, 128, 256, 512, 768, 1024, 2048),
    )
    for number, (seed, model, impl, units) in enumerate(itertools.islice(grid, jobs)):
        job = folder / str(number)
        job.mkdir(parents=True)
        step = 10.0 + units / 50.0 + {"layer": 0.0, "cell_loop": 1.0}.get(impl, 2.0) + seed * 0.1
        record = {
            "status": "ok",
            "overrides": [
                f"model={model}",
                f"impl={impl}",
                f"model.units={units}",
                f"trainer.seed={seed}",
            ],
            "config": {"trainer": {"smoke": False, "seed": seed}, "model": {"units": units}},
            "metrics": {
                "metric": "accuracy",
                "val_accuracy": 0.5 + units / 5000.0,
                "test_accuracy": 0.5,
            },
            "timing": {
                "step_ms_median": step,
                "step_ms_p90": step * 1.1,
                "samples_per_s": 128000.0 / step,
                "first_epoch_s": 2.0,
                "total_s": 10.0,
                "fit_window": [1.0e9 + number * 20.0, 1.0e9 + number * 20.0 + 15.0],
            },
            "env": {"backend": "tensorflow", "launcher": {"name": "basic", "workers_per_node": 1}},
            "settings": {"jit_compile": False, "precision": "float32"},
            "cudnn": {"eligible": impl == "layer", "kernel": "generic"},
            "device": {"used": "cpu", "requested": "auto"},
            "memory": {"peak_rss_mb": 900.0},
            "params": units * 100,
            "host": "bench",
            "start": {"weights": "w", "data": "d", "data_order": "o", "pipeline": "tf.data"},
            "load_probe": {"median_ms": 40.0},
        }
        (job / "results.json").write_text(json.dumps(record))
        rows = ["epoch,loss,accuracy,val_loss,val_accuracy"]
        rows += [f"{e},{1 / e},{0.5 + e / 100},{1 / e},{0.5 + e / 90}" for e in range(1, 21)]
        (job / "history.csv").write_text("\n".join(rows) + "\n")
    (folder / "sweep.json").write_text(json.dumps({"jobs": None}))


def time_report(folder: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from seqlab.cli.report import console_main; console_main()",
            str(folder),
            "--baseline",
            "impl=cell_loop",
        ],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"seqlab-report failed on {folder}: {done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs=2, default=[12, 1200])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seqlab-report-scale-") as scratch:
        folders = {n: Path(scratch) / f"sweep_{n}" for n in args.jobs}
        for n, folder in folders.items():
            make_sweep(folder, n)
        times: dict[int, list[float]] = {n: [] for n in args.jobs}
        for _ in range(args.rounds):  # alternated: a drift of the machine hits both
            for n, folder in folders.items():
                times[n].append(time_report(folder))
        small, large = (statistics.median(times[n]) for n in args.jobs)
        for n in args.jobs:
            print(f"{n:>6} jobs: " + ", ".join(f"{t:.2f}" for t in times[n]) + " s")
        print(f"median {args.jobs[1]} / {args.jobs[0]} jobs: {large / small:.2f}x (target <= 4x)")


if __name__ == "__main__":
    main()
