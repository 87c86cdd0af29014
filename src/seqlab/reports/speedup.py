"""Speed-ups against the baseline: paired, with an interval that says what it covers.

Every job is paired with its baseline job (`seqlab.reports.baseline`: the same other
overrides, the same seed). A pair gives one log-ratio d = log(baseline step time / job
step time):

- two jobs interleaved by `hydra/launcher=interleaved` (one family, chunks of steps in
  a random order each round): the mean of their rounds' chunk log-ratios, whose
  batch-means interval covers the noise inside that pair of processes only
  (`sequential.chunk_pair`);
- two jobs run one after the other: the log-ratio of their median steps.

A configuration's speed-up is exp(mean d) over its pairs (seeds), or, for interleaved
pairs whose warm-up order is recorded and differs between them, the crossover estimate
that takes out the effect of which job warmed up first (`crossover`):

- repeats=auto: the interval and the decision its sweeper recorded in auto.json, the
  sequential interval that keeps its error rate over every look (`sequential`,
  `crossover`);
- three or more interleaved pairs with both warm-up orders: the crossover t interval;
- two or more pairs otherwise: the paired t interval, which covers the seed-to-seed
  and process-to-process noise together, since each pair is a fresh pair of processes;
- one interleaved pair: its within-pair interval, never a decision ("beyond the noise"
  needs fresh pairs);
- one pair run one after the other: no interval.

`speedup_method` says which, in words, on every row that has a speed-up, and a group's
`seeds_for_5pct` how many seeds a fixed repeats=N would need for +-5 % at the spread its
pairs showed (`sequential.seeds_for`): a plan for the next sweep, not a promise.
"""

from __future__ import annotations

import math
from typing import Any

from seqlab.reports import crossover, sequential
from seqlab.reports.baseline import Baseline
from seqlab.reports.stats import describe, seed_of

WITHIN_PAIR = (
    "one interleaved pair: batch means over {rounds} rounds of chunks; covers the noise "
    "within this pair of processes only (a fresh pair has its own few percent), so it "
    "decides nothing: run seeds (repeats=N or auto) for that"
)
TOO_FEW = (
    "one interleaved pair of {rounds} round(s): too few for an interval, which needs two "
    "(train longer, or lower hydra.launcher.chunk_steps)"
)
ONE_EACH = "one run each, one after the other: no interval (repeats=N or auto gives one)"
FIXED = (
    "paired over {n} seeds (each a fresh pair of processes{how}): 95 % t interval of the "
    "mean log-ratio; covers seed-to-seed and process-to-process noise"
)
CROSSOVER = (
    "paired over {n} seeds (each a fresh pair of processes, interleaved), adjusted for "
    "which job warmed up first (crossover: {first} pairs with the baseline first, {last} "
    "with it last): 95 % t interval on {df} degrees of freedom; covers seed-to-seed and "
    "process-to-process noise"
)
SEQUENTIAL = (
    "repeats=auto: paired over {n} seeds{how}, sequential interval (Pocock, {level:.2%} "
    "per look over looks {min}-{max}) that keeps {alpha:.0%} over every look; the "
    "sweeper decided from it"
)
ADJUSTED = ", adjusted for which job warmed up first (crossover)"
NARROWED = (
    "; decided after {at} seeds, then seeded toward +-{target:.0%}: the intersection of "
    "the intervals of looks {at}-{n}"
)


def _chunk_series(row: dict[str, Any]) -> dict[int, float] | None:
    chunks = row.get("chunks")
    return chunks if isinstance(chunks, dict) and chunks else None


def pair_ratio(
    row: dict[str, Any], base: dict[str, Any]
) -> tuple[float | None, sequential.ChunkPair | None]:
    """(d, the chunk pair when interleaved) of a job against its baseline job."""
    mine, theirs = _chunk_series(row), _chunk_series(base)
    if mine and theirs and row.get("family") and row.get("family") == base.get("family"):
        rounds = sorted(set(mine) & set(theirs))
        found = sequential.chunk_pair([theirs[r] for r in rounds], [mine[r] for r in rounds])
        if found is not None:
            return found.log_ratio, found
    step, base_step = row.get("step_ms_median"), base.get("step_ms_median")
    if step and base_step and row.get("status") == "ok" and base.get("status") == "ok":
        return math.log(base_step / step), None
    return None, None


def warmup_order(row: dict[str, Any], base: dict[str, Any]) -> int | None:
    """+1 when the baseline job warmed up before this job, -1 after; None when either
    place is not recorded (not interleaved, or an older record)."""
    mine, theirs = row.get("warmup_place"), base.get("warmup_place")
    if mine is None or theirs is None or mine == theirs:
        return None
    return 1 if theirs < mine else -1


def add_job_speedups(rows: list[dict[str, Any]], baseline: str) -> None:
    """Each job's `speedup` against its baseline job, with the within-pair interval of an
    interleaved pair; `paired_d` (internal) keeps its log-ratio for the groups."""
    bases = Baseline.parse(baseline).pair(
        rows, lambda row: row["overrides"], lambda row: row.get("sweep")
    )
    for i, row in enumerate(rows):
        base = bases[i]
        row["speedup"] = row["speedup_low"] = row["speedup_high"] = None
        row["speedup_method"] = row["paired_d"] = None
        row["paired_chunks"] = row["paired_order"] = None
        if base is None:
            continue
        if base is row:
            row["speedup"] = 1.0 if row.get("step_ms_median") else None
            continue
        d, chunks = pair_ratio(row, base)
        if d is None:
            continue
        row["speedup"], row["paired_d"], row["paired_chunks"] = math.exp(d), d, chunks
        row["paired_order"] = warmup_order(row, base) if chunks is not None else None
        if chunks is not None and chunks.low is not None:
            row["speedup_low"], row["speedup_high"] = chunks.low, chunks.high
            row["speedup_method"] = WITHIN_PAIR.format(rounds=chunks.rounds)
        elif chunks is not None:
            row["speedup_method"] = TOO_FEW.format(rounds=chunks.rounds)
        else:
            row["speedup_method"] = ONE_EACH


def add_group_speedups(
    groups: list[dict[str, Any]],
    baseline: str,
    decided: dict[tuple, dict[str, Any]] | None = None,
) -> None:
    """Each group's speed-up over its seeds' pairs (see the module docstring); `decided`
    holds repeats=auto's recorded decisions by the group's (sweep folder, overrides)."""
    chosen = Baseline.parse(baseline)
    for group in groups:
        group["speedup"] = group["speedup_low"] = group["speedup_high"] = None
        group["beyond_noise"] = group["speedup_method"] = None
        group["speedup_n"] = group["seeds_for_5pct"] = None
        group["crossover"] = False  # (internal) adjusted for the warm-up order: the page says so
        if chosen.holds(group["overrides"]):
            group["speedup"] = 1.0 if group.get("step_ms_median") else None
            continue
        pairs = [m for m in group.get("members", []) if m.get("paired_d") is not None]
        if not pairs:
            continue
        values = [m["paired_d"] for m in pairs]
        interleaved = all(m.get("paired_chunks") is not None for m in pairs)
        how = ", interleaved" if interleaved else ", one after the other"
        group["speedup_n"] = len(values)
        group["speedup"] = math.exp(math.fsum(values) / len(values))
        key = (str(group.get("sweep")), tuple(sorted(group["overrides"].items())))
        recorded = (decided or {}).get(key)
        if recorded and recorded.get("interval"):
            interval = recorded["interval"]
            group["speedup"] = interval["estimate"]
            group["speedup_low"], group["speedup_high"] = interval["low"], interval["high"]
            group["speedup_n"] = interval["n"]
            group["beyond_noise"] = recorded.get("decision") in (
                sequential.FASTER,
                sequential.SLOWER,
            )
            group["crossover"] = recorded.get("crossover") is True
            adjusted = ADJUSTED if group["crossover"] else ""
            first = recorded["min_looks"]  # the crossover's looks begin later
            first = max(first, crossover.FIRST_LOOK) if group["crossover"] else first
            group["speedup_method"] = SEQUENTIAL.format(
                n=interval["n"], how=how + adjusted, level=1 - interval["level"],
                min=first, max=recorded["max_looks"], alpha=recorded["alpha"],
            )  # fmt: skip
            at = recorded.get("decided_after")
            if at is not None and at < interval["n"] and recorded.get("halfwidth"):
                group["speedup_method"] += NARROWED.format(
                    at=at, n=interval["n"], target=recorded["halfwidth"]
                )
            used = sorted(pairs, key=seed_of)[: interval["n"]]  # those the sweeper decided from
            group["seeds_for_5pct"] = seeds_for_5pct(
                [m["paired_d"] for m in used], [m.get("paired_order") for m in used],
                group["crossover"],
            )  # fmt: skip
            continue
        orders = [m.get("paired_order") for m in pairs]
        adjusted = crossover.fixed_interval(values, orders) if interleaved else None
        if adjusted is not None:
            group["crossover"] = True
            group["speedup"] = adjusted.estimate
            group["speedup_low"], group["speedup_high"] = adjusted.low, adjusted.high
            group["beyond_noise"] = not adjusted.low <= 1.0 <= adjusted.high
            group["speedup_method"] = CROSSOVER.format(
                n=len(values), first=orders.count(1), last=orders.count(-1), df=len(values) - 2
            )
            group["seeds_for_5pct"] = seeds_for_5pct(values, orders, True)
        elif len(values) >= 2:
            interval = sequential.fixed_interval(values)
            group["speedup_low"], group["speedup_high"] = interval.low, interval.high
            group["beyond_noise"] = not interval.low <= 1.0 <= interval.high
            group["speedup_method"] = FIXED.format(n=len(values), how=how)
            group["seeds_for_5pct"] = seeds_for_5pct(values, orders, False)
        else:
            (only,) = pairs
            group["speedup_low"], group["speedup_high"] = only["speedup_low"], only["speedup_high"]
            group["speedup_method"] = only["speedup_method"]


def seeds_for_5pct(values: list[float], orders: list[int | None], adjusted: bool) -> int | None:
    """How many seeds a fixed repeats=N would need for a speed-up interval of +-5 %, at
    the spread these pairs showed (`sequential.seeds_for`): the crossover's rest when
    `adjusted`, else the pairs' standard deviation. None where the spread cannot be
    estimated or more than the sweeper's cap of seeds would be needed."""
    if adjusted:
        sd = crossover.spread(values, orders)  # type: ignore[arg-type]  # all +-1 here
        return None if sd is None else crossover.seeds_for(sd)
    _, sd, _ = describe(values)
    return None if sd is None else sequential.seeds_for(sd)


def seeds_to_decide(group: dict[str, Any]) -> int | None:
    """A group's `seeds_for_5pct` where seeds left its comparison within the noise with an
    interval wider than +-5 % (what the page and the notes under the table tell a user
    to run next); None where the question is answered or no number can be given."""
    seeds = group.get("seeds_for_5pct")
    if seeds is None or group.get("beyond_noise") is not False:
        return None
    if math.log(group["speedup_high"] / group["speedup"]) <= math.log1p(sequential.RESOLUTION):
        return None
    return seeds


def seeds_note(groups: list[dict[str, Any]], keys: list[str]) -> str | None:
    """A sentence under the table naming the comparisons seeds left undecided and wider
    than +-5 %, with the seeds each would need (`seeds_to_decide`); None when none."""
    from seqlab.reports.shown import label

    wanted = [(label(g, keys), seeds_to_decide(g)) for g in groups]
    wanted = [(name, n) for name, n in wanted if n is not None]
    if not wanted:
        return None
    listed = ", ".join(f"{n} seeds for {name}" for name, n in wanted)
    return (
        f"seeds: {len(wanted)} comparison(s) ended within the noise with an interval wider "
        f"than +-5 %; at the spread their seeds showed, +-5 % would take about {listed} "
        "(seeds_for_5pct: an estimate from few seeds). Run a new sweep with repeats=N for "
        "that: reusing these seeds raises the error rate above 5 % (docs/sweeps.md)."
    )
