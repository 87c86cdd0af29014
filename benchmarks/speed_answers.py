"""How far a speed answer can be trusted on this machine: the measurements behind
docs/benchmarks.md ("A speed answer you can trust").

    python benchmarks/speed_answers.py aa [--sweeps 20] [--launcher interleaved|basic|both]
                                          [--max-rounds 4] [--keep DIR] [--neighbour]
    python benchmarks/speed_answers.py side [--max-rounds 4] [--keep DIR] [--neighbour]
    python benchmarks/speed_answers.py load [--jobs 10]

aa    A/A: two configurations of equal cost (bench_impls' LSTM cell loop on two draws of
      random data of the same shapes), repeats=auto, `--sweeps` times, each in fresh
      processes, the baseline's role alternating between the two draws. Prints each
      sweep's speed-up, interval, decision and time, how many declared a difference that
      does not exist (the rule's promise: 5 % per sweep), and the mean log-ratio of the
      same two draws over all sweeps (a bias of the method shows there). `--launcher
      both` alternates the interleaving and the sequential launcher sweep by sweep.
side  bench_impls with repeats=auto, the sequential launcher then the interleaving one,
      the same max_rounds, alternated (`--pairs` times): each comparison's interval
      half-width, how many were decided, and the wall time of each.
load  The load measure: `--jobs` quiet single runs, then as many with one CPU hog and
      with two (plain `while True` processes at normal priority) started after the
      run's first epoch; how many of each were marked busy (reports.compare).

--neighbour (aa, side): a neighbour's load that comes and goes runs the whole time (one
process at normal priority, busy 5-40 s then idle 5-40 s, the same pattern each run),
to see what each launcher makes of a shared machine.

Everything runs the real command line into a temporary folder; nothing is written to
the checkout. Run it on a machine with nothing else running: the point is to see what
the machine itself does.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AA = [
    "-m",
    "+experiment=bench_impls",
    "model=lstm",
    "impl=cell_loop",
    "dataset.seed=1,2",
    "trainer.epochs=3",
    "repeats=auto",
]


def seqlab(args: list[str], cwd: Path, timeout: float = 7200) -> tuple[int, float]:
    """Run `python -m seqlab ARGS` in `cwd`; (exit status, seconds)."""
    start = time.perf_counter()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-m", "seqlab", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode not in (0, 1):
        print(done.stderr[-2000:], file=sys.stderr)
    return done.returncode, time.perf_counter() - start


def summary(sweep: Path) -> list[dict[str, str]]:
    with open(sweep / "summary.csv") as f:
        return list(csv.DictReader(f))


def busy_jobs(row: dict[str, str]) -> int:
    """How many of a row's jobs were marked busy: a single job's True, a group's count."""
    value = row.get("busy") or ""
    return int(value) if value.isdigit() else int(value == "True")


def half_width(row: dict[str, str]) -> float | None:
    """Half the interval's width on a log scale, as a fraction (0.05: +-5 %)."""
    if not row.get("speedup_low") or not row.get("speedup_high"):
        return None
    return (math.log(float(row["speedup_high"])) - math.log(float(row["speedup_low"]))) / 2


def aa(args: argparse.Namespace) -> None:
    launchers = ["interleaved", "basic"] if args.launcher == "both" else [args.launcher]
    rounds = [f"hydra.sweeper.max_rounds={args.max_rounds}"]
    false = dict.fromkeys(launchers, 0)
    widths: dict[str, list] = {name: [] for name in launchers}
    sides: dict[str, list] = {name: [] for name in launchers}
    with tempfile.TemporaryDirectory() as scratch, neighbour(args.neighbour):
        top = args.keep or scratch  # --keep: the sweeps stay there, to be read again
        Path(top).mkdir(parents=True, exist_ok=True)
        for number in range(args.sweeps):
            # The baseline's role alternates between the two data draws, so a bias that
            # follows the role and one that follows the configuration can be told apart;
            # with both launchers, they alternate too (each pair of sweeps, both roles).
            name = launchers[number % len(launchers)]
            turn = number // len(launchers)
            launcher = ["hydra/launcher=interleaved"] if name == "interleaved" else []
            base, other = ("1", "2") if turn % 2 == 0 else ("2", "1")
            sweep = Path(top) / f"aa{number}"
            given = [*AA, f"report.baseline=dataset.seed:{base}", *launcher, *rounds]
            code, seconds = seqlab([*given, f"hydra.sweep.dir={sweep}"], Path(top))
            rows = summary(sweep)
            row = next(r for r in rows if r["dataset.seed"] == other)
            width = half_width(row)
            widths[name].append(width)
            false[name] += row["beyond_noise"] == "True"
            # log(step of seed 1 / step of seed 2), whichever was the baseline
            side = math.log(float(row["speedup"])) * (1 if base == "1" else -1)
            sides[name].append(side)
            busy = sum(busy_jobs(r) for r in rows)
            print(f"sweep {number + 1:2d} {name} (baseline seed {base}): speed-up "
                  f"{float(row['speedup']):.3f} [{row['speedup_low']:.6}, "
                  f"{row['speedup_high']:.6}] +-{(width or 0):.1%}, {row['stopped']}, "
                  f"{seconds:.0f} s, exit {code}, busy jobs {busy}", flush=True)  # fmt: skip
            print(f"    {row['speedup_method']}", flush=True)
    for name in launchers:
        known = sorted(w for w in widths[name] if w is not None)
        print(f"A/A, {name}: {false[name]} of {len(widths[name])} sweeps declared a "
              f"difference; half-widths median +-{known[len(known) // 2]:.1%}, "
              f"range +-{known[0]:.1%} to +-{known[-1]:.1%}")  # fmt: skip
        if len(sides[name]) >= 2:
            mean = sum(sides[name]) / len(sides[name])
            spread = math.sqrt(sum((x - mean) ** 2 for x in sides[name]) / (len(sides[name]) - 1))
            print(f"    log(step of seed 1 / step of seed 2) over the sweeps: mean {mean:+.4f}, "
                  f"standard error {spread / math.sqrt(len(sides[name])):.4f} (a bias of "
                  "the method shows as a mean far from 0)")  # fmt: skip


# A neighbour's load that comes and goes, as on a shared machine: one process busy for
# 5-40 s, then idle for 5-40 s, drawn from its own seed (the same pattern each run).
NEIGHBOUR = """
import random, sys, time
rng = random.Random(int(sys.argv[1]))
while True:
    end = time.monotonic() + rng.uniform(5, 40)
    while time.monotonic() < end:
        pass
    time.sleep(rng.uniform(5, 40))
"""


@contextlib.contextmanager
def neighbour(on: bool, seed: int = 0):
    """`--neighbour`: a bursty CPU hog at normal priority for the whole measurement."""
    if not on:
        yield
        return
    hog = subprocess.Popen([sys.executable, "-c", NEIGHBOUR, str(seed)])
    try:
        yield
    finally:
        hog.send_signal(signal.SIGKILL)
        hog.wait()


def side(args: argparse.Namespace) -> None:
    rounds = f"hydra.sweeper.max_rounds={args.max_rounds}"
    base = ["-m", "+experiment=bench_impls", "repeats=auto", rounds]
    with tempfile.TemporaryDirectory() as scratch, neighbour(args.neighbour):
        top = args.keep or scratch  # --keep: the sweeps stay there, to be read again
        Path(top).mkdir(parents=True, exist_ok=True)
        for pair in range(args.pairs):
            for name, extra in (
                ("sequential", []),
                ("interleaved", ["hydra/launcher=interleaved"]),
            ):
                sweep = Path(top) / f"{name}{pair}"
                code, seconds = seqlab([*base, *extra, f"hydra.sweep.dir={sweep}"], Path(top))
                rows = [r for r in summary(sweep) if r["impl"] != "cell_loop"]
                widths = [half_width(r) for r in rows]
                decided = sum(
                    1 for r in rows if r["stopped"].startswith(("faster", "slower", "within"))
                )
                busy = sum(busy_jobs(r) for r in summary(sweep))
                print(f"{name:11s} run {pair + 1}: {seconds:.0f} s, exit {code}, {decided} of "
                      f"{len(rows)} decided, {busy} jobs busy", flush=True)  # fmt: skip
                for row, width in zip(rows, widths, strict=True):
                    print(f"    {row['model']:10s} {row['impl']:9s} {float(row['speedup']):.3f} "
                          f"[{row['speedup_low']:.5}, {row['speedup_high']:.5}] "
                          f"+-{(width or 0):.1%}  {row['stopped']}")  # fmt: skip


def _hogs(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def load(args: argparse.Namespace) -> None:
    from seqlab.reports.compare import derive
    from seqlab.reports.rows import collect

    run = ["+experiment=bench_impls", "model=lstm", "impl=cell_loop", "trainer.epochs=4"]
    with tempfile.TemporaryDirectory() as top:
        for hogs in (0, 1, 2):
            marked, figures = 0, []
            for number in range(args.jobs):
                folder = Path(top) / f"h{hogs}_{number}"
                env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
                process = subprocess.Popen(
                    [sys.executable, "-m", "seqlab", *run, f"hydra.run.dir={folder}"],
                    cwd=top, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                started: list[subprocess.Popen] = []
                try:
                    while process.poll() is None:
                        record = folder / "results.json"
                        epochs = json.loads(record.read_text()).get("epochs_finished", 0) \
                            if record.exists() else 0  # fmt: skip
                        if hogs and not started and epochs >= 1:
                            started = _hogs(hogs)  # during training, not before it
                        time.sleep(0.2)
                finally:
                    for hog in started:
                        hog.send_signal(signal.SIGKILL)
                        hog.wait()
                rows = collect([folder])
                derive(rows)
                marked += bool(rows[0].get("busy"))
                figures.append((rows[0].get("others_cores"), rows[0].get("others_peak")))
            shown = ", ".join(f"{m:.2f}/{p:.2f}" for m, p in figures if m is not None)
            print(f"{hogs} hog(s): {marked} of {args.jobs} marked busy "
                  f"(others' cores mean/peak: {shown})", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("aa")
    one.add_argument("--sweeps", type=int, default=20)
    one.add_argument("--launcher", choices=("interleaved", "basic", "both"), default="interleaved")
    one.add_argument("--max-rounds", type=int, default=4)
    one.add_argument("--keep", help="a folder to keep the sweeps in (default: deleted)")
    two = sub.add_parser("side")
    two.add_argument("--max-rounds", type=int, default=4)
    two.add_argument("--pairs", type=int, default=1)
    two.add_argument("--keep", help="a folder to keep the sweeps in (default: deleted)")
    for command in (one, two):
        command.add_argument(
            "--neighbour", action="store_true", help="a bursty CPU hog the whole time"
        )
    three = sub.add_parser("load")
    three.add_argument("--jobs", type=int, default=10)
    args = parser.parse_args()
    {"aa": aa, "side": side, "load": load}[args.what](args)


if __name__ == "__main__":
    main()
