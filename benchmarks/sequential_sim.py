"""Simulations of seqlab.reports.sequential's rule, driving its own functions decision for decision.

    nice -n 10 python benchmarks/sequential_sim.py SECTION [SIMS]

SECTION is one of null, power, within, chunks, family, crossover, recheck, plan, width,
timing.
Each prints a compact table and writes the full one to
$TMPDIR/seqlab_sequential_sim/SECTION.json. SIMS overrides the number of simulated
comparisons per cell (defaults: 6000 for error rates, Monte Carlo sd 0.28 pp at 5 %; 4000
for power and coverage).

The machine model. A job's step time (sequential launcher, one job per process) is, on
logs: its configuration's cost + the job's own noise (lognormal sd `noise`: 5, 10, 20 %)
+ the process's own speed (sd 0.03 / sqrt 2 per process, so that a pair of processes
differs by sd 0.03, the spread seen in NOTES.md) + the machine's state at the job's place
in time. Jobs run one after another; a job is one time slot. Machine states ("drift"):
  none      nothing;
  trend     +30 % over the sweep's planned length, linear;
  walk      a random walk, sd 2 % per job (the same config read 43-62 ms within ten
            minutes, about 50 jobs of bench_impls size);
  episodes  a neighbour's load: on/off bursts (on a quarter of the time, half a job long
            on average) that multiply step times by 1.3-2x over the part of a job they
            cover, so they hit one job of a pair and not the other;
  all       trend + walk + episodes;
  trend-fixed  the trend with the baseline always run first: the control that shows why
            the order is shuffled per round.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from seqlab.reports import crossover as co
from seqlab.reports import sequential as sq

PROCESS_SD = 0.03 / math.sqrt(2)
NOISES = (0.05, 0.10, 0.20)
DRIFTS = ("none", "trend", "walk", "episodes", "all", "trend-fixed")
MAX_ROUNDS = (2, 3, 4, 5, 6, 8, 10, 20)
# Full tables go outside the checkout (nothing generated is tracked).
RESULTS = Path(tempfile.gettempdir()) / "seqlab_sequential_sim"


def rng_for(*key: object) -> np.random.Generator:
    """A generator per table cell, seeded from the cell's parameters (reproducible, and
    independent of which other cells ran)."""
    text = "/".join(str(k) for k in key).encode()
    return np.random.default_rng(list(text))


# ---- the machine ----------------------------------------------------------------------


def machine_log_factor(rng: np.random.Generator, sims: int, slots: int, drift: str) -> np.ndarray:
    """(sims, slots): the machine's log multiplier on a job's step time at each slot."""
    factor = np.zeros((sims, slots))
    if drift in ("trend", "trend-fixed", "all"):
        factor += math.log(1.3) * np.arange(slots) / slots
    if drift in ("walk", "all"):
        factor += np.cumsum(rng.normal(0.0, 0.02, (sims, slots)), axis=1)
    if drift in ("episodes", "all"):
        factor += episodes(rng, sims, slots)
    return factor


def episodes(rng: np.random.Generator, sims: int, slots: int, steps: int = 10) -> np.ndarray:
    """log(1 + (m - 1) * share of the job under load), m ~ U(1.3, 2) per job: a two-state
    Markov chain over tenths of a job, on 25 % of the time, bursts half a job long."""
    to_off, to_on = 1 / 5, 1 / 15
    state = rng.random(sims) < 0.25
    on = np.empty((sims, slots * steps), dtype=bool)
    for i in range(slots * steps):
        flip = rng.random(sims)
        state = np.where(state, flip >= to_off, flip < to_on)
        on[:, i] = state
    share = on.reshape(sims, slots, steps).mean(axis=2)
    return np.log1p((rng.uniform(1.3, 2.0, (sims, slots)) - 1.0) * share)


def comparison(
    rng: np.random.Generator,
    sims: int,
    rounds: int,
    noise: float,
    drift: str,
    speedup: float = 1.0,
) -> np.ndarray:
    """(sims, rounds) paired log-ratios of one configuration against its baseline, the two
    run one after the other in each round (order shuffled unless drift is trend-fixed)."""
    config_first = rng.random((sims, rounds)) < 0.5
    if drift == "trend-fixed":
        config_first[:] = False
    start = 2 * np.arange(rounds)
    machine = machine_log_factor(rng, sims, 2 * rounds, drift)
    rows = np.arange(sims)[:, None]
    base_at = machine[rows, start + config_first]
    config_at = machine[rows, start + ~config_first]

    def job(shape: tuple[int, int]) -> np.ndarray:
        return rng.normal(0.0, noise, shape) + rng.normal(0.0, PROCESS_SD, shape)

    base = job((sims, rounds)) + base_at
    config = job((sims, rounds)) + config_at - math.log(speedup)
    return base - config


# ---- decision loops -------------------------------------------------------------------


def outcomes(d: np.ndarray, min_rounds: int, max_rounds: int, **rule) -> list[sq.Outcome]:
    """sequential.run_sequence over every simulated comparison."""
    return [
        sq.run_sequence(row, min_looks=min_rounds, max_looks=max_rounds, **rule)
        for row in d.tolist()
    ]


def uncalibrated(row: list[float], min_rounds: int, max_rounds: int) -> str | None:
    """Today's mistake on paired values: a plain 95 % interval at every look."""
    for n in range(min_rounds, min(len(row), max_rounds) + 1):
        interval = sq.t_interval(row[:n], float(stats.t.isf(0.025, n - 1)), 0.95)
        decision = sq.decide(interval)
        if decision is not None:
            return decision
    return None


def rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


def beyond(outcome: sq.Outcome) -> bool:
    return outcome.decision in (sq.FASTER, sq.SLOWER)


# ---- sections -------------------------------------------------------------------------


def null_section(sims: int) -> dict:
    """False 'beyond the noise' under the null, every (min, max) x noise x drift."""
    table = {}
    for min_rounds in (2, 3):
        for max_rounds in MAX_ROUNDS:
            if max_rounds < min_rounds:
                continue
            row = {}
            for noise in NOISES:
                for drift in DRIFTS:
                    d = comparison(
                        rng_for("null", min_rounds, max_rounds, noise, drift),
                        sims,
                        max_rounds,
                        noise,
                        drift,
                    )
                    row[f"{noise:.2f}/{drift}"] = rate(
                        [beyond(o) for o in outcomes(d, min_rounds, max_rounds)]
                    )
            d = comparison(rng_for("old", min_rounds, max_rounds), sims, max_rounds, 0.10, "none")
            old = [uncalibrated(r, min_rounds, max_rounds) for r in d.tolist()]
            row["uncalibrated 0.10/none"] = rate([o in (sq.FASTER, sq.SLOWER) for o in old])
            table[f"{min_rounds}-{max_rounds}"] = row
            shuffled = {k: v for k, v in row.items() if "fixed" not in k and "uncal" not in k}
            worst = max(shuffled, key=shuffled.get)
            print(
                f"min {min_rounds} max {max_rounds:2d}: "
                f"alpha' {sq.nominal_level(min_rounds, max_rounds):.4f}"
                f"  none {row['0.10/none']:.3f}  worst shuffled {shuffled[worst]:.3f} ({worst})"
                f"  mean shuffled {np.mean(list(shuffled.values())):.3f}"
                f"  trend-fixed {max(v for k, v in row.items() if 'fixed' in k):.3f}"
                f"  uncalibrated {row['uncalibrated 0.10/none']:.3f}",
                flush=True,
            )
    return table


def power_section(sims: int) -> dict:
    """P(faster) and mean rounds for true speed-ups, three boundary shapes, min 3."""
    table = {}
    for max_rounds in (4, 10):
        for noise in (0.01, *NOISES):
            for speedup in (1.05, 1.10, 1.20, 1.30):
                d = comparison(
                    rng_for("power", max_rounds, noise, speedup),
                    sims,
                    max_rounds,
                    noise,
                    "none",
                    speedup,
                )
                cell = {}
                for label, rule in (
                    ("pocock", {}),
                    ("obrien-fleming", {"shape": "obrien-fleming"}),
                    ("bonferroni", {"shape": "bonferroni"}),
                    ("pocock a/9", {"alpha": 0.05 / 9}),
                ):
                    found = outcomes(d, 3, max_rounds, **rule)
                    cell[label] = (
                        rate([o.decision == sq.FASTER for o in found]),
                        float(np.mean([o.n for o in found])),
                    )
                table[f"{max_rounds}/{noise:.2f}/{speedup:.2f}"] = cell
                print(
                    f"max {max_rounds:2d} noise {noise:.2f} speed-up {speedup:.2f}: "
                    + "  ".join(f"{s} {p:.3f} ({n:.1f} r)" for s, (p, n) in cell.items()),
                    flush=True,
                )
    return table


def within_section(sims: int) -> dict:
    """'within resolution' when the truth lies outside 1 +- 0.05 (and, for scale, at 1)."""
    table = {}
    for max_rounds in (4, 10, 20):
        for noise in (0.01, 0.05, 0.10):
            for drift in ("none", "episodes"):
                cell = {}
                for truth in (0.93, 0.95, 1.00, 1.05, 1.07):
                    d = comparison(
                        rng_for("within", max_rounds, noise, drift, truth),
                        sims,
                        max_rounds,
                        noise,
                        drift,
                        truth,
                    )
                    cell[truth] = rate(
                        [o.decision == sq.WITHIN for o in outcomes(d, 3, max_rounds)]
                    )
                table[f"{max_rounds}/{noise:.2f}/{drift}"] = cell
                print(
                    f"max {max_rounds:2d} noise {noise:.2f} {drift:8s}: "
                    + "  ".join(f"{t:.2f}: {v:.3f}" for t, v in cell.items()),
                    flush=True,
                )
    return table


# ---- interleaved chunks within one pair -----------------------------------------------

PAIR_MODELS = ("walk", "trend", "bursts", "bursts-short", "process", "process-short", "all")
BLOCK_RULES = {
    "B=1": lambda r: 1,
    "R//10": lambda r: max(1, r // 10),
    "R//8": lambda r: max(1, r // 8),
    "R//5": sq.block_size,
    "R//4": lambda r: max(1, r // 4),
    "sqrt": lambda r: max(1, math.ceil(math.sqrt(r))),
}


def pair_rounds(rng: np.random.Generator, sims: int, rounds: int, model: str):
    """Per-step chunk times (baseline, config), shape (sims, rounds), of one interleaved
    pair of processes of equal cost, and each pair's own true log-ratio (its two
    processes' speeds, sd 0.03 between pairs). Time unit: one chunk (~0.12 s: 3 steps of
    40 ms); a round is two adjacent chunks in random order. Chunk noise sd 4 %.
    bursts: a hog on ~10 rounds, off ~20, slowing the two processes by 1.3-2x each, unequally
    (sd 5 %); process: each process's own speed wanders (AR(1), sd 1.5 %, correlation time
    10 rounds); the -short variants last 2 rounds."""
    slots = 2 * rounds
    machine = np.zeros((sims, slots))
    own = {job: np.zeros((sims, slots)) for job in ("base", "config")}
    if model in ("trend", "all"):
        machine += math.log(1.3) * np.arange(slots) / slots
    if model in ("walk", "all"):
        machine += np.cumsum(rng.normal(0.0, 0.005, (sims, slots)), axis=1)
    if model in ("bursts", "bursts-short", "all"):  # 1-6 s of a hog: ~10 rounds on, ~20 off
        to_off = 1 / 4 if model == "bursts-short" else 1 / 20
        on = np.empty((sims, slots), dtype=bool)
        state = rng.random(sims) < 1 / 3
        for i in range(slots):
            flip = rng.random(sims)
            state = np.where(state, flip >= to_off, flip < to_off / 2)
            on[:, i] = state
        episode = np.cumsum(np.diff(on, axis=1, prepend=False) & on, axis=1)
        rows = np.arange(sims)[:, None]
        common = np.log(rng.uniform(1.3, 2.0, (sims, slots + 1)))[rows, episode]
        for job in own:  # the hog slows the two processes unequally (sd 5 %)
            unequal = rng.normal(0.0, 0.05, (sims, slots + 1))[rows, episode]
            own[job] += on * (common + unequal + rng.normal(0.0, 0.03, (sims, slots)))
    if model in ("process", "process-short", "all"):  # each process's speed wanders
        rho, sd = math.exp(-1 / (4 if model == "process-short" else 20)), 0.015
        for series in own.values():
            state = rng.normal(0.0, sd, sims)
            for i in range(slots):
                state = rho * state + math.sqrt(1 - rho * rho) * rng.normal(0.0, sd, sims)
                series[:, i] += state
    base_first = rng.random((sims, rounds)) < 0.5
    start = 2 * np.arange(rounds)
    rows = np.arange(sims)[:, None]
    at = {"base": start + ~base_first, "config": start + base_first}
    process = {job: rng.normal(0.0, PROCESS_SD, (sims, 1)) for job in own}
    times = {
        job: np.exp(
            process[job]
            + (machine + own[job])[rows, at[job]]
            + rng.normal(0.0, 0.04, (sims, rounds))
        )
        for job in own
    }
    return times["base"], times["config"], (process["base"] - process["config"])[:, 0]


def chunks_section(sims: int) -> dict:
    """Coverage of chunk_pair's batch-means interval of the pair's own ratio."""
    table = {}
    for rounds in (20, 40, 80):
        for model in PAIR_MODELS:
            base, config, truth = pair_rounds(rng_for("chunks", rounds, model), sims, rounds, model)
            cell = {}
            for name, rule in BLOCK_RULES.items():
                hits, widths = [], []
                for b, c, t in zip(base.tolist(), config.tolist(), truth.tolist(), strict=True):
                    pair = sq.chunk_pair(b, c, block=rule(rounds))
                    hits.append(pair.low <= math.exp(t) <= pair.high)
                    widths.append(math.sqrt(pair.high / pair.low) - 1)
                cell[name] = (rate(hits), float(np.median(widths)))
            across = [
                sq.chunk_pair(b, c) for b, c in zip(base.tolist(), config.tolist(), strict=True)
            ]
            cell["default holds 1 (A/A across processes)"] = rate(
                [p.low <= 1.0 <= p.high for p in across]
            )
            table[f"{rounds}/{model}"] = cell
            print(
                f"R {rounds:2d} {model:8s}: "
                + "  ".join(
                    f"{k} {v[0]:.3f} ±{v[1] * 100:.1f}%"
                    for k, v in cell.items()
                    if isinstance(v, tuple)
                )
                + f"  | A/A holds 1: {cell['default holds 1 (A/A across processes)']:.3f}",
                flush=True,
            )
    return table


# ---- a whole sweep: bench_impls shape --------------------------------------------------


def family_sweep(
    rng: np.random.Generator,
    machine: np.ndarray,
    max_rounds: int,
    noise: float,
    alpha: float,
    groups: int = 3,
    others: int = 3,
) -> int:
    """One sweep of `groups` groups (a baseline and `others` configurations of equal cost
    each), rounds of every undecided configuration and the baselines they need, one job
    after another in an order shuffled per round. Returns the number of false 'beyond the
    noise' decisions."""
    comparisons = [(g, k) for g in range(groups) for k in range(1, others + 1)]
    values: dict[tuple[int, int], list[float]] = {c: [] for c in comparisons}
    decided: dict[tuple[int, int], str] = {}
    slot = 0
    for _ in range(max_rounds):
        open_ = [c for c in comparisons if c not in decided]
        if not open_:
            break
        jobs = sorted({(g, 0) for g, _ in open_} | set(open_))
        order = rng.permutation(len(jobs))
        times = {}
        for place, index in enumerate(order):
            times[jobs[index]] = (
                rng.normal(0.0, noise) + rng.normal(0.0, PROCESS_SD) + machine[slot + place]
            )
        slot += len(jobs)
        for g, k in open_:
            values[(g, k)].append(times[(g, 0)] - times[(g, k)])
            interval = sq.paired_interval(
                values[(g, k)], min_looks=3, max_looks=max_rounds, alpha=alpha
            )
            decision = sq.decide(interval)
            if decision is not None:
                decided[(g, k)] = decision
    return sum(v in (sq.FASTER, sq.SLOWER) for v in decided.values())


def family_section(sims: int) -> dict:
    """P(at least one false 'beyond the noise' among 9 comparisons), per-comparison alpha
    0.05 and Bonferroni over the 9 (alpha 0.05 / 9, still calibrated over the looks)."""
    table = {}
    for max_rounds in (4, 10):
        for noise in NOISES:
            for drift in ("none", "walk", "episodes", "all"):
                rng = rng_for("family", max_rounds, noise, drift)
                machine = machine_log_factor(rng, sims, 12 * max_rounds, drift)
                cell = {}
                for label, alpha in (("0.05 each", 0.05), ("0.05/9 each", 0.05 / 9)):
                    false = [
                        family_sweep(rng, machine[i], max_rounds, noise, alpha) for i in range(sims)
                    ]
                    cell[label] = (rate([f > 0 for f in false]), sum(false) / (9 * sims))
                table[f"{max_rounds}/{noise:.2f}/{drift}"] = cell
                print(
                    f"max {max_rounds:2d} noise {noise:.2f} {drift:8s}: "
                    + "  ".join(
                        f"{k}: any {v[0]:.3f} per-comparison {v[1]:.4f}" for k, v in cell.items()
                    ),
                    flush=True,
                )
    return table


def recheck_section(sims: int) -> dict:
    """The null cells (shuffled order) that read above 5.2 % in null.json, again with
    `sims` new simulations: is the excess Monte Carlo error?"""
    first = json.loads((RESULTS / "null.json").read_text())["table"]
    table = {}
    for looks, row in first.items():
        min_rounds, max_rounds = (int(v) for v in looks.split("-"))
        for key, value in row.items():
            if "fixed" in key or "uncal" in key or value <= 0.052:
                continue
            noise, drift = float(key.split("/")[0]), key.split("/")[1]
            d = comparison(rng_for("recheck", looks, key), sims, max_rounds, noise, drift)
            again = rate([beyond(o) for o in outcomes(d, min_rounds, max_rounds)])
            table[f"{looks} {key}"] = (value, again)
            print(
                f"{looks:6s} {key:15s} first {value:.4f}  again {again:.4f}"
                f" (sd {math.sqrt(again * (1 - again) / sims):.4f})",
                flush=True,
            )
    return table


def timing_section(_: int) -> dict:
    """How long the calibration takes, cold, in this process."""
    out = {}
    for looks in ((3, 4), (3, 10), (2, 10), (3, 20), (2, 100), (3, 100)):
        sq.nominal_level.cache_clear()
        start = time.perf_counter()
        level = sq.nominal_level(*looks)
        out[str(looks)] = (level, time.perf_counter() - start)
        print(f"nominal_level{looks} = {level:.5f}  in {out[str(looks)][1]:.3f} s", flush=True)
    return out


# ---- interleaved pairs as a crossover (reports/crossover.py) ---------------------------

WARMUP = (0.0, 0.05, 0.15)  # the warm-up effect beta (log): 0.05-0.17 on the A/A records


def alternating(rng: np.random.Generator, sims: int, rounds: int) -> np.ndarray:
    """(sims, rounds) warm-up orders +1/-1, alternating from round to round as the
    interleaving launcher orders them, starting either way."""
    start = np.where(rng.random(sims) < 0.5, 1, -1)[:, None]
    return start * np.where(np.arange(rounds) % 2 == 0, 1, -1)[None, :]


def crossover_section(sims: int) -> dict:
    """The crossover rule under the null (false decisions at every cap, warm-up effect
    0-0.15, noise of a pair's value 1-10 %, drift none / walk / episodes), and its power
    at a 5 % and 10 % speed-up against the plain rule's on the same values."""
    table: dict = {"null": {}, "power": {}}
    for max_rounds in (4, 5, 6, 8, 10, 20):
        row = {}
        for noise in (0.01, 0.03, 0.10):
            for drift in ("none", "walk", "episodes"):
                for beta in WARMUP:
                    rng = rng_for("crossover", max_rounds, noise, drift, beta)
                    orders = alternating(rng, sims, max_rounds)
                    d = comparison(rng, sims, max_rounds, noise, drift) + beta * orders
                    found = [
                        co.run_sequence(r, o, min_looks=3, max_looks=max_rounds)
                        for r, o in zip(d.tolist(), orders.tolist(), strict=True)
                    ]
                    row[f"{noise:.2f}/{drift}/{beta:.2f}"] = rate([beyond(o) for o in found])
        table["null"][max_rounds] = row
        worst = max(row, key=row.get)
        print(f"null, rounds 4-{max_rounds:2d}: level {co.nominal_level(3, max_rounds):.4f}  "
              f"mean {np.mean(list(row.values())):.3f}  worst {row[worst]:.3f} ({worst})",
              flush=True)  # fmt: skip
    for max_rounds in (4, 6, 10):
        for beta in (0.0, 0.10):
            for speedup in (1.05, 1.10):
                rng = rng_for("crossover power", max_rounds, beta, speedup)
                orders = alternating(rng, sims, max_rounds)
                d = comparison(rng, sims, max_rounds, 0.01, "none", speedup) + beta * orders
                ours = [
                    co.run_sequence(r, o, min_looks=3, max_looks=max_rounds)
                    for r, o in zip(d.tolist(), orders.tolist(), strict=True)
                ]
                plain = outcomes(d, 3, max_rounds)
                cell = {
                    name: (
                        rate([o.decision == sq.FASTER for o in found]),
                        float(np.mean([o.n for o in found])),
                    )
                    for name, found in (("crossover", ours), ("plain", plain))
                }
                table["power"][f"{max_rounds}/{beta:.2f}/{speedup:.2f}"] = cell
                print(f"power, rounds 4-{max_rounds:2d}, warm-up {beta:.2f}, speed-up "
                      f"{speedup:.2f}: " + "  ".join(f"{k} {p:.3f} ({n:.1f} r)" for k, (p, n)
                                                     in cell.items()), flush=True)  # fmt: skip
    return table


# ---- the seeds a plan asks for (reports/sequential.py: seeds_for) ----------------------


def plan_section(sims: int) -> dict:
    """A pilot of 4 seeds, then N = seeds_for(the pilot's spread) under the null: how
    often the fixed interval of N seeds excludes 1 when N's seeds include the pilot's
    ("reuse") and when they are a new sweep ("new"), with the N it asked for (plain pairs
    and crossover pairs with a warm-up effect of 0.08; Gaussian pairs, sd 0.01-0.07)."""
    table: dict = {}
    pilot = 4
    for sd in (0.01, 0.03, 0.05, 0.07):
        for adjusted in (False, True):
            rng = rng_for("plan", sd, adjusted)
            orders = [1 if i % 2 == 0 else -1 for i in range(2 * sq.MAX_LOOKS)]
            wrong = {"reuse": [], "new": []}
            asked = []
            for _ in range(sims):
                d = rng.normal(0.0, sd, 2 * sq.MAX_LOOKS) + (0.08 * np.array(orders) * adjusted)
                head = d[:pilot].tolist()
                plain = float(np.std(head, ddof=1))
                spread = co.spread(head, orders[:pilot]) if adjusted else plain
                planned = (co.seeds_for if adjusted else sq.seeds_for)(spread)
                n = max(planned or sq.MAX_LOOKS, pilot)
                asked.append(n)
                for name, values in (("reuse", d[:n]), ("new", d[pilot : pilot + n])):
                    signs = orders[:n] if name == "reuse" else orders[pilot : pilot + n]
                    found = (co.fixed_interval(values.tolist(), signs) if adjusted
                             else sq.fixed_interval(values.tolist()))  # fmt: skip
                    wrong[name].append(not found.low <= 1.0 <= found.high)
            cell = {k: rate(v) for k, v in wrong.items()} | {"median_n": float(np.median(asked))}
            table[f"{sd:.2f}/{'crossover' if adjusted else 'plain'}"] = cell
            print(f"pilot of {pilot}, sd {sd:.2f}, {'crossover' if adjusted else 'plain    '}: "
                  f"median N {cell['median_n']:.0f}, false decisions reusing the pilot "
                  f"{cell['reuse']:.3f}, in a new sweep {cell['new']:.3f}", flush=True)  # fmt: skip
    return table


# ---- a width target after the decision (sequential.settle, hydra.sweeper.halfwidth) ----


def width_section(sims: int) -> dict:
    """repeats=auto with halfwidth 0.05 on interleaved pairs (the crossover, warm-up
    effect 0.08, alternating orders): how often the narrowed interval holds the truth,
    against the plain 95 % interval at the same stop (what adding seeds by hand until
    the interval is narrow gives), the share that reached +-5 %, the seeds used, and the
    false decisions under the null (the target must change none). Pair noise: job noise
    1 % or 5 % plus the process spread (sd 0.03 a pair), drift none / walk / episodes,
    caps 10 and 20, true speed-ups 1.0, 1.1, 1.3."""
    table = {}
    for cap in (10, 20):
        for noise in (0.01, 0.05):
            for drift in ("none", "walk", "episodes"):
                for truth in (1.0, 1.1, 1.3):
                    rng = rng_for("width", cap, noise, drift, truth)
                    orders = alternating(rng, sims, cap)
                    d = comparison(rng, sims, cap, noise, drift, truth) + 0.08 * orders
                    held, naive, narrow, seeds, false, same = [], [], [], [], [], []
                    for row, signs in zip(d.tolist(), orders.tolist(), strict=True):
                        rule = {"min_looks": 3, "max_looks": cap}
                        found = co.run_sequence(row, signs, halfwidth=0.05, **rule)
                        alone = co.run_sequence(row, signs, **rule)
                        fixed = co.fixed_interval(row[: found.n], signs[: found.n])
                        held.append(found.interval.low <= truth <= found.interval.high)
                        naive.append(fixed.low <= truth <= fixed.high)
                        narrow.append(sq.half_width(found.interval) <= math.log1p(0.05))
                        seeds.append(found.n)
                        false.append(truth == 1.0 and beyond(found))
                        same.append(found.decision == alone.decision)
                    cell = {
                        "coverage": rate(held),
                        "plain at the stop": rate(naive),
                        "within 5%": rate(narrow),
                        "mean seeds": float(np.mean(seeds)),
                        "false decisions": rate(false),
                        "same decision": rate(same),
                    }
                    table[f"{cap}/{noise:.2f}/{drift}/{truth:.1f}"] = cell
                    print(f"cap {cap:2d} noise {noise:.2f} {drift:8s} speed-up {truth:.1f}: "
                          f"coverage {cell['coverage']:.3f} (plain at the stop "
                          f"{cell['plain at the stop']:.3f}), within +-5 % "
                          f"{cell['within 5%']:.3f}, {cell['mean seeds']:.1f} seeds"
                          + (f", false {cell['false decisions']:.3f}" if truth == 1.0 else "")
                          , flush=True)  # fmt: skip
    return table


SECTIONS = {
    "null": (null_section, 6000),
    "power": (power_section, 4000),
    "within": (within_section, 6000),
    "chunks": (chunks_section, 4000),
    "family": (family_section, 2000),
    "crossover": (crossover_section, 4000),
    "recheck": (recheck_section, 40000),
    "plan": (plan_section, 4000),
    "width": (width_section, 3000),
    "timing": (timing_section, 0),
}


def main(argv: list[str]) -> None:
    name = argv[1] if len(argv) > 1 else "timing"
    function, sims = SECTIONS[name]
    sims = int(argv[2]) if len(argv) > 2 else sims
    start = time.perf_counter()
    table = function(sims)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"sims": sims, "table": table}, indent=1))
    print(f"{name}: {sims} simulations per cell, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main(sys.argv)
