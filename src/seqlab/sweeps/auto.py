"""The rounds of `repeats=auto`: seeds until every comparison with the baseline is decided.

Three seeds could not tell a 10 % difference from noise in the README's tables, while
ten would be wasted on differences that are clear after three. So the sweep runs
rounds: round r runs every configuration still undecided, and its baseline, once with
`trainer.seed=r`, in an order shuffled anew each round (a drift of the machine then
lands on either side of a comparison alike, instead of always on the one that runs
later), through whatever launcher is configured (`hydra/launcher=interleaved` runs each
configuration beside its baseline, in turns). Each round pairs a configuration's job
with its baseline's job of the same seed (`seqlab.reports.speedup`).

From `min_rounds` on, after each round, a configuration is decided by the sequential
rule (`seqlab.reports.sequential`): its paired interval, whose level is calibrated so
that the chance of a false "faster" or "slower" over all the looks up to `max_rounds`
is `alpha` (5 %), excludes 1, or lies within 1 +- `resolution`. Interleaved pairs,
whose warm-up order alternates from round to round, are read as a crossover
(`seqlab.reports.crossover`: the same rule on the estimate adjusted for which job warmed
up first, from round 4 on). A decided configuration
gets no more seeds. The decision and the interval it was taken from are recorded once,
in auto.json, and the summary shows exactly those (columns `stopped`, `beyond_noise`,
`speedup_low`, `speedup_high`): the two can never disagree.

The same command again resumes: every finished job is skipped (its record is read back)
and the decisions are replayed from the records, so only what is missing runs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqlab.errors import SeqlabError, refuse
from seqlab.reports.decisions import AUTO_FILE
from seqlab.reports.stats import SEED_KEY, seed_of
from seqlab.sweeps.auto_checks import check_auto, group_baselines


def run_rounds(sweeper: Any, arguments: list[str]) -> list[Any]:
    """The sweep: rounds until decided or capped. Errors are one paragraph, exit 2."""
    try:
        return _rounds(sweeper, arguments)
    except SeqlabError as exc:
        refuse("seqlab", exc)


def _rounds(sweeper: Any, arguments: list[str]) -> list[Any]:
    from seqlab.records.files import write_json_atomic
    from seqlab.sweeps.plan import folder_of

    config = sweeper.config
    sweep_dir = Path(str(config.hydra.sweep.dir))
    configs, base = check_auto(config, arguments)  # checked by the sweep's start too
    baseline = config.get("report", {}).get("baseline")
    rule = Rule(
        sweeper.min_rounds, sweeper.max_rounds, sweeper.alpha, sweeper.resolution,
        sweeper.halfwidth,
    )  # fmt: skip
    decided: dict[int, dict[str, Any]] = {}
    seeds = dict.fromkeys(range(len(configs)), 0)
    launched: list[dict[str, Any]] = []
    returns: list[Any] = []
    of = group_baselines(configs, baseline)
    bases = {i for i, b in of.items() if b == i}
    for round_number in range(1, sweeper.max_rounds + 1):
        undecided = [i for i in range(len(configs)) if i not in decided and i not in bases]
        if not undecided and len(configs) > 1:
            break
        # A baseline runs while some configuration compared with it is undecided.
        needed = {of[i] for i in undecided} | ({base} if len(configs) == 1 else set())
        active = [i for i in range(len(configs)) if i in undecided or i in needed]
        # Shuffled, the same way on every rerun (the folders follow the order).
        random.Random(f"seqlab round {round_number}").shuffle(active)
        batch = [[*configs[i], f"{SEED_KEY}={round_number}"] for i in active]
        for offset, job in enumerate(batch):
            number = sweeper.job_idx + offset
            folder = folder_of(config, job, number)
            launched.append({"number": number, "overrides": job, "folder": folder})
        returns += sweeper.launcher.launch(batch, initial_job_idx=sweeper.job_idx)
        sweeper.job_idx += len(batch)
        for i in active:
            seeds[i] += 1
        if round_number >= sweeper.min_rounds:
            _decide(sweep_dir, configs, baseline, rule, decided, round_number)
        _write(sweep_dir, configs, base, seeds, decided, rule, launched, write_json_atomic)
    for i in range(len(configs)):
        if i in decided:
            continue
        if i in bases:
            decided[i] = {"stopped": "baseline", "decision": None}
        else:
            decided[i] = _last_look(sweep_dir, configs, baseline, rule, i)
    _write(sweep_dir, configs, base, seeds, decided, rule, launched, write_json_atomic)
    return returns


@dataclass(frozen=True)
class Rule:
    """The sweeper's stopping rule: looks from min_rounds to max_rounds, the error rate it
    keeps over all of them, and the resolution of "no difference that large"."""

    min_rounds: int
    max_rounds: int
    alpha: float
    resolution: float
    # After its decision a comparison gets seeds until its interval is at most +-halfwidth
    # wide (or the cap); None: it stops at its decision.
    halfwidth: float | None = None


def _paired(sweep_dir: Path, baseline: str) -> list[dict[str, Any]]:
    """The sweep's job rows, each paired with its baseline job of the same seed."""
    from seqlab.reports.compare import derive
    from seqlab.reports.rows import collect

    rows = collect([sweep_dir])
    derive(rows, baseline)
    return rows


def _values(
    rows: list[dict[str, Any]], config: list[str], rounds: int
) -> tuple[list[float], int, int, list[int | None]]:
    """(the configuration's paired log-ratios in seed order, its jobs, its timed jobs,
    their warm-up orders), from its seeds up to `rounds`: a rerun replays each round
    with what that round had, not with the later seeds an earlier run left in the
    folder."""
    from seqlab.reports.rows import override_dict

    mine = {k: v for k, v in override_dict(config).items() if k != SEED_KEY}
    jobs = [
        row
        for row in rows
        if {k: v for k, v in row["overrides"].items() if k != SEED_KEY} == mine
        and 1 <= seed_of(row) <= rounds
    ]
    jobs.sort(key=seed_of)
    paired = [row for row in jobs if row.get("paired_d") is not None]
    timed = sum(1 for row in jobs if row.get("step_ms_median"))
    return (
        [row["paired_d"] for row in paired],
        len(jobs),
        timed,
        [row.get("paired_order") for row in paired],
    )


def _crossover(orders: list[int | None], rule: Rule) -> bool:
    """Whether the rule reads the pairs as a crossover (`seqlab.reports.crossover`):
    every pair interleaved with its warm-up order recorded, and a look plan that
    reaches round 4 (`crossover.FIRST_LOOK`). Decided from what is recorded, so a replay
    decides alike."""
    from seqlab.reports import crossover

    return (
        bool(orders)
        and all(s in (1, -1) for s in orders)
        and (len(crossover.looks(rule.min_rounds, rule.max_rounds)) > 0)
    )


def _outcome(values: list[float], orders: list[int | None], rule: Rule) -> tuple[Any, bool]:
    """(the decision loop's outcome over these values, whether it read them as a
    crossover)."""
    from seqlab.reports import crossover, sequential

    looks = {"min_looks": rule.min_rounds, "max_looks": rule.max_rounds, "alpha": rule.alpha,
             "resolution": rule.resolution, "halfwidth": rule.halfwidth}  # fmt: skip
    if _crossover(orders, rule):
        return crossover.run_sequence(values, orders, **looks), True
    return sequential.run_sequence(values, **looks), False


def _decide(
    sweep_dir: Path,
    configs: list[list[str]],
    baseline: str,
    rule: Rule,
    decided: dict[int, dict[str, Any]],
    rounds: int | None = None,
) -> None:
    """Decide the configurations whose sequential interval now decides (or that more
    seeds cannot decide: none of their jobs, or none of their baseline's, has a step
    time: failed, or too short to time, as trainer=smoke)."""
    rows = _paired(sweep_dir, baseline)
    rounds = rule.max_rounds if rounds is None else rounds
    of = group_baselines(configs, baseline)
    for i, config in enumerate(configs):
        if of[i] == i or i in decided:
            continue
        if of[i] is not None:
            _, jobs, timed, _ = _values(rows, configs[of[i]], rounds)
            if jobs and not timed:
                decided[i] = {"stopped": f"the baseline has no step time after {jobs} seeds"}
                continue
        values, jobs, timed, orders = _values(rows, config, rounds)
        if jobs and not timed:
            decided[i] = {"stopped": f"no step time after {jobs} seeds: undecidable"}
            continue
        outcome, adjusted = _outcome(values[: rule.max_rounds], orders[: rule.max_rounds], rule)
        if outcome.decision is not None and not outcome.narrowing:  # else: one more seed
            decided[i] = _entry(outcome, rule, adjusted)


def _entry(outcome: Any, rule: Rule, adjusted: bool = False) -> dict[str, Any]:
    """What auto.json keeps of an outcome: the reason in words, the decision, the
    interval reported (the deciding one, or with a width target the intersection it
    narrowed to; the summary shows exactly these), the look that decided and whether it
    was the crossover interval."""
    from seqlab.reports import sequential

    decision, interval = outcome.decision, outcome.interval
    said = {
        sequential.FASTER: "faster",
        sequential.SLOWER: "slower",
        sequential.WITHIN: f"within {rule.resolution:.0%}",
    }.get(decision or "", "undecided")
    found: dict[str, Any] = {"decision": decision, "crossover": adjusted}
    if interval is None:
        found["stopped"] = f"cap of {rule.max_rounds} rounds"
        return found
    found["interval"] = {
        "estimate": interval.estimate,
        "low": interval.low,
        "high": interval.high,
        "n": interval.n,
        "quantile": interval.quantile,
        "level": interval.level,
    }
    if decision is None:
        found["stopped"] = f"cap of {rule.max_rounds} rounds"
        return found
    found["decided_after"] = outcome.decided_at
    found["stopped"] = f"{said} after {outcome.decided_at} seeds"
    if rule.halfwidth is None:
        return found
    width = f"+-{math.expm1(sequential.half_width(interval)):.1%}"
    if outcome.disjoint:
        found["stopped"] += (
            f"; narrowing stopped at {outcome.n} seeds, whose interval missed the one so "
            f"far ({width} kept): the seeds disagree more than the rule assumes"
        )
    elif outcome.narrowing:
        found["stopped"] += f"; {width} at the cap of {rule.max_rounds} rounds"
    elif interval.n > outcome.decided_at:
        found["stopped"] += f"; {width} after {interval.n}"
    return found


def _last_look(
    sweep_dir: Path, configs: list[list[str]], baseline: str, rule: Rule, i: int
) -> dict[str, Any]:
    """The entry of a configuration still running at the cap: undecided, with its last
    look's interval, or decided and still wider than the width target."""
    values, _, _, orders = _values(_paired(sweep_dir, baseline), configs[i], rule.max_rounds)
    outcome, adjusted = _outcome(values[: rule.max_rounds], orders[: rule.max_rounds], rule)
    return _entry(outcome, rule, adjusted)


def _rule_in_words(rule: Rule) -> str:
    from seqlab.reports import crossover, sequential

    text = (
        f"Pocock's sequential t on paired log-ratios: {rule.alpha:.0%} over the looks "
        f"after rounds {rule.min_rounds}-{rule.max_rounds}, "
        f"{sequential.nominal_level(rule.min_rounds, rule.max_rounds, rule.alpha):.4f} per look"
    )
    planned = crossover.looks(rule.min_rounds, rule.max_rounds)
    if len(planned) > 0:
        level = crossover.nominal_level(rule.min_rounds, rule.max_rounds, rule.alpha)
        text += (
            f"; interleaved pairs with their warm-up orders recorded: the crossover t "
            f"(adjusted for which job warmed up first) over the looks after rounds "
            f"{planned.start}-{planned.stop - 1}, {level:.4f} per look"
        )
    if rule.halfwidth is not None:
        text += (
            f"; after its decision a comparison gets seeds until its interval (the "
            f"intersection of its looks' intervals from the decision on) is within "
            f"+-{rule.halfwidth:.0%}, or the cap"
        )
    return text


def _write(sweep_dir, configs, base, seeds, decided, rule: Rule, launched, write) -> None:
    """auto.json (the rule and its decisions) and sweep.json (every job launched so far,
    for the summary)."""
    from seqlab.reports.rows import SWEEP_FILE

    write(
        sweep_dir / AUTO_FILE,
        {
            "baseline": base,
            "max_rounds": rule.max_rounds,
            "min_rounds": rule.min_rounds,
            "resolution": rule.resolution,
            "alpha": rule.alpha,
            "halfwidth": rule.halfwidth,
            "min_looks": rule.min_rounds,
            "max_looks": rule.max_rounds,
            "rule": _rule_in_words(rule),
            "configurations": [
                {"overrides": c, "seeds": seeds[i], **decided.get(i, {"stopped": None})}
                for i, c in enumerate(configs)
            ],
        },
    )
    from seqlab.records.files import read_json

    try:  # keep what the sweep's start wrote there (the MLflow parent run)
        plan = read_json(sweep_dir / SWEEP_FILE)
    except (OSError, ValueError):
        plan = {}
    write(sweep_dir / SWEEP_FILE, {**(plan if isinstance(plan, dict) else {}), "jobs": launched})
