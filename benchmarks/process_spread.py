"""How much a fresh pair of processes differs: the floor of an interleaved interval.

    python benchmarks/process_spread.py [--model lstm] [--repeats 6]
                                        [--env NAME=VALUE ...] [--cpus 0,1] [--keep DIR]

Runs `seqlab -m +experiment=bench_impls model=MODEL repeats=N
hydra/launcher=interleaved` (every impl against the cell loop, N seeds, each seed a
fresh family of processes computing in turns) with the given environment added to
the jobs' (e.g. `--env TF_NUM_INTEROP_THREADS=1`, `--env PYTHONHASHSEED=0`), then fits
each comparison's paired log-ratios as the crossover does (`seqlab.reports.crossover`:
d = mu + beta * s) and prints mu, beta and the standard deviation of the rest: what a
pair of processes adds beyond its chunks' noise. An interval's half-width at n seeds is
about t * rest_sd / sqrt(n), so rest_sd says how many seeds +-5 % takes. The last line
pools the comparisons' rests (each fit has n - 2 degrees of freedom) with a 90 %
chi-square interval: one run's figure, with how well one run knows it. `--cpus` pins
the sweep and every job it starts to those CPUs (the affinity is inherited). Run it on a
machine with nothing else running; nothing is written to the checkout.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def fits(sweep: Path, baseline: str = "impl:cell_loop") -> list[dict]:
    """Each comparison's crossover fit over its seeds' pairs."""
    from seqlab.reports.compare import derive
    from seqlab.reports.rows import collect
    from seqlab.reports.stats import SEED_KEY

    rows = collect([sweep])
    derive(rows, baseline)
    pairs: dict[str, list[tuple[int, float, int]]] = {}
    for row in rows:
        if row.get("paired_d") is None or row.get("paired_order") is None:
            continue
        name = str(row["overrides"].get("impl"))
        pairs.setdefault(name, []).append(
            (int(row["overrides"][SEED_KEY]), row["paired_d"], row["paired_order"])
        )
    out = []
    for name, values in sorted(pairs.items()):
        values.sort()
        d = np.array([v[1] for v in values])
        s = np.array([v[2] for v in values], dtype=float)
        design = np.c_[np.ones_like(s), s]
        coef, *_ = np.linalg.lstsq(design, d, rcond=None)
        rest = d - design @ coef
        sd = math.sqrt(float(rest @ rest) / (len(d) - 2)) if len(d) > 2 else math.nan
        out.append({"impl": name, "n": len(d), "mu": coef[0], "beta": coef[1], "rest_sd": sd,
                    "d": [round(float(x), 3) for x in d]})  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="lstm")
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--cpus", help="CPUs to pin the jobs to, e.g. 0 or 0,1")
    parser.add_argument("--keep", help="a folder to keep the sweep in (default: deleted)")
    args = parser.parse_args()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for pair in args.env:
        name, _, value = pair.partition("=")
        env[name] = value
    if args.cpus:
        os.sched_setaffinity(0, {int(cpu) for cpu in args.cpus.split(",")})
    with tempfile.TemporaryDirectory() as scratch:
        sweep = Path(args.keep or scratch) / "spread"
        command = [sys.executable, "-m", "seqlab", "-m", "+experiment=bench_impls",
                   f"model={args.model}", f"repeats={args.repeats}",
                   "hydra/launcher=interleaved", f"hydra.sweep.dir={sweep}"]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode not in (0, 1):
            sys.exit(f"seqlab exited {done.returncode}:\n{done.stderr[-2000:]}")
        cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
        print(f"{args.model}, {args.repeats} seeds, env {args.env or 'as is'}, "
              f"CPUs {cpus}: {seconds:.0f} s")  # fmt: skip
        print("| impl | seeds | speed-up exp(mu) | beta | rest sd | log-ratios by seed |")
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        found = fits(sweep)
        for fit in found:
            print(f"| {fit['impl']} | {fit['n']} | {math.exp(fit['mu']):.3f} | "
                  f"{fit['beta']:+.3f} | {fit['rest_sd']:.3f} | {fit['d']} |")  # fmt: skip
        print(pooled(found))


def pooled(found: list[dict]) -> str:
    """The comparisons' rests pooled, with a 90 % chi-square interval for their sd."""
    from scipy.stats import chi2

    usable = [fit for fit in found if fit["n"] > 2]  # a fit of 2 seeds leaves no rest
    if not usable:
        return "pooled rest sd: no fit has more than 2 seeds"
    dof = sum(fit["n"] - 2 for fit in usable)
    squares = sum(fit["rest_sd"] ** 2 * (fit["n"] - 2) for fit in usable)
    sd = math.sqrt(squares / dof)
    low = math.sqrt(squares / chi2.ppf(0.95, dof))
    high = math.sqrt(squares / chi2.ppf(0.05, dof))
    return f"pooled rest sd {sd:.3f} (90 %: {low:.3f}-{high:.3f}, {dof} degrees of freedom)"


if __name__ == "__main__":
    main()
