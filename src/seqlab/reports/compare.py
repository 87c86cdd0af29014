"""What a sweep's rows say only together: shared hosts, busy machines, speed-ups and
whether the rows compared started alike.

- `jobs_at_once`: the most jobs that trained on a job's host at the same time
  (measured from every record's fit window, for every launcher).
- `busy`: a job during whose training other processes took cores (`BUSY_MEAN`,
  `BUSY_PEAK`, from the kernel's counts in its record) was measured on a busy machine.
- `speedup` (with a baseline; `seqlab.reports.speedup`) and `same_start`: where a job
  and its baseline job should share a start (they differ in how the same model runs:
  impl, backend, jit, device, precision), whether their initial weights, data and
  data order were the same.

Each has a note for under the table (`notes`), where a reader of the numbers looks.
"""

from __future__ import annotations

import bisect
from typing import Any

from seqlab.reports.baseline import Baseline

# Cores other processes took while a job trained (seqlab.training.load) past which the
# job was measured on a busy machine: over its whole fit, or over any 3 s of it.
# Calibrated in docs/benchmarks.md ("The load measure").
BUSY_MEAN = 0.2
BUSY_PEAK = 0.6
# Swept keys that change how the same model runs, not which model or data: rows that
# differ only in one of them should start from the same weights, data and order.
SAME_FUNCTION_KEYS = ("impl", "impl.name", "backend", "backend.name", "device", "device.name",
                      "trainer.jit_compile", "trainer.precision")  # fmt: skip
START_PARTS = (("weights", "weights"), ("data", "data"), ("data_order", "data order"))


def derive(rows: list[dict[str, Any]], baseline: str | None = None) -> None:
    """Fill the derived columns of the jobs' rows (and the speed-up with a baseline)."""
    mark_shared(rows)
    mark_busy(rows)
    mark_mixed_data(rows)
    if baseline:
        from seqlab.reports.speedup import add_job_speedups

        add_job_speedups(rows, baseline)
        add_same_start(rows, baseline)


def mark_shared(rows: list[dict[str, Any]]) -> None:
    """Set `jobs_at_once`: the most jobs, this one included, that ran model.fit on this
    job's host at the same moment during its own fit (1: it trained alone).

    Measured from the records' fit windows, so it holds for every launcher; a job
    without a window (not run, failed before training) gets None.
    """
    # The jobs of an interleaved family lived at once but computed in turns: together
    # they are one fit, spanning their windows.
    spans: dict[str, list[float]] = {}
    for row in rows:
        if row.get("fit_window") is not None and row.get("family"):
            _, start, end = row["fit_window"]
            span = spans.setdefault(row["family"], [start, end])
            span[0], span[1] = min(span[0], start), max(span[1], end)

    def window(row: dict[str, Any]) -> tuple[str, float, float]:
        host, start, end = row["fit_window"]
        if row.get("family"):
            start, end = spans[row["family"]]
        return host, start, end

    by_host: dict[str, set[tuple[float, float]]] = {}
    for row in rows:
        if row.get("fit_window") is not None:
            host, start, end = window(row)
            # A set: the same job listed twice (a folder merged twice, or a copy of it)
            # is one fit, not two that ran side by side.
            by_host.setdefault(host, set()).add((start, end))
    timelines = {
        host: (sorted(w[0] for w in spans), sorted(w[1] for w in spans))
        for host, spans in by_host.items()
    }
    for row in rows:
        if row.get("fit_window") is None:
            row["jobs_at_once"] = None
            continue
        host, start, end = window(row)
        starts, ends = timelines[host]
        # The number of running fits only rises when one starts, so the most during my
        # fit is at my start or at another start inside my window [start, end).
        first, last = bisect.bisect_left(starts, start), bisect.bisect_left(starts, end)
        running = [_running(starts, ends, m) for m in starts[first:last]]
        # A fit of zero length is not among the running ones at its own start.
        row["jobs_at_once"] = max(running) if running else 1 + _running(starts, ends, start)


def _running(starts: list[float], ends: list[float], moment: float) -> int:
    """How many fits [start, end) were running at `moment` (both lists sorted)."""
    return bisect.bisect_right(starts, moment) - bisect.bisect_right(ends, moment)


def sharing_note(rows: list[dict[str, Any]]) -> str | None:
    """A sentence for the headline when some jobs trained on one host at the same time."""
    shared = [row for row in rows if (row.get("jobs_at_once") or 0) > 1]
    if not shared:
        return None
    most = max(row["jobs_at_once"] for row in shared)
    launchers = sorted({str(row.get("launcher")) for row in shared})
    workers = sorted({str(row.get("workers_per_node")) for row in shared} - {"None"})
    per_node = f", {'/'.join(map(str, workers))} workers per node" if workers else ""
    return (
        f"timing: {len(shared)} of {len(rows)} jobs trained while other jobs trained on the "
        f"same host (up to {most} at once; launcher {', '.join(launchers)}{per_node}), so "
        "their step times include the others' load (column jobs_at_once). Compare step "
        "times only between jobs with the same jobs_at_once, or run one job per node for "
        "timing (the basic launcher, hydra.launcher.n_jobs=1, or Ray tasks that ask for a "
        "whole node's CPUs)."
    )


def mark_busy(rows: list[dict[str, Any]]) -> None:
    """Set `busy` from what the kernel counted (`seqlab.training.load`): other processes
    took more than BUSY_MEAN cores over the job's fit, or more than BUSY_PEAK over any
    3 s of it; None for a record that has no such figure (older seqlab, not Linux)."""
    for row in rows:
        mean, peak = row.get("others_cores"), row.get("others_peak")
        if mean is None:
            row["busy"] = None
            continue
        row["busy"] = mean > BUSY_MEAN or (peak is not None and peak > BUSY_PEAK)


def busy_note(rows: list[dict[str, Any]]) -> str | None:
    """A sentence under the table when some jobs were measured on a busy machine."""
    busy = [row for row in rows if row.get("busy")]
    if not busy:
        return None
    jobs = ", ".join(str(row["job"]) for row in busy[:12]) + (" ..." if len(busy) > 12 else "")
    return (
        f"load: {len(busy)} of {len(rows)} jobs were measured on a busy machine (other "
        f"processes took more than {BUSY_MEAN} cores over their training, or more than "
        f"{BUSY_PEAK} over some 3 s of it; columns others_cores, others_peak, busy): {jobs}. "
        "Their step times include that load. "
        + (
            "They were interleaved, so both sides of each comparison met the load in "
            "alternating turns and their paired ratios cancel what it did to both alike; "
            "their absolute times are not the machine's best."
            if all(row.get("family") for row in busy)
            else "Run them again on a quiet machine (the same command, after moving their "
            "folders away), or interleave the comparison (hydra/launcher=interleaved), which "
            "gives both sides the same load."
        )
    )


def _dataset_options(row: dict[str, Any]) -> str | None:
    """The job's resolved dataset options (from its record's config: a preset sets them
    too, not only the overrides)."""
    return row.get("dataset_options")


def mark_mixed_data(rows: list[dict[str, Any]]) -> None:
    """Set `data_mixed` on the rows whose dataset options equal other rows' while their
    data does not (a file replaced under its name between jobs): such rows are not one
    experiment, whatever their configurations."""
    seen: dict[tuple, set[str]] = {}
    for row in rows:
        data = (row.get("start") or {}).get("data")
        if isinstance(data, str):
            seen.setdefault(_dataset_options(row), set()).add(data)
    for row in rows:
        known = isinstance((row.get("start") or {}).get("data"), str)
        row["data_mixed"] = known and len(seen[_dataset_options(row)]) > 1


def data_note(rows: list[dict[str, Any]]) -> str | None:
    """A sentence under the table when rows with the same dataset options saw other data."""
    mixed = [row for row in rows if row.get("data_mixed")]
    if not mixed:
        return None
    named = "; ".join(f"{row['job']}: {row['start']['data']}" for row in mixed[:8])
    return (
        f"data: {len(mixed)} jobs have the same dataset options but trained on different "
        f"data (job: data fingerprint; {named}{' ...' if len(mixed) > 8 else ''}): a data "
        "file was replaced or changed between them, so their rows are not one experiment "
        "and the sweep does not count as ok. Put the original file back and run the same "
        "command again, or run every job on the new file in a new folder."
    )


def smoke_note(rows: list[dict[str, Any]]) -> str | None:
    smoke = [row for row in rows if row.get("smoke")]
    if not smoke:
        return None
    return (
        f"smoke: {len(smoke)} of {len(rows)} jobs are smoke runs (trainer=smoke): a few "
        "steps to check that a configuration runs. Their times are not measurements (too "
        "few steps for a step time), and their metrics are not results."
    )


def add_same_start(rows: list[dict[str, Any]], baseline: str) -> None:
    """`same_start` where a job and its baseline job should have started alike (they
    differ in how the same model runs: impl, backend, jit, device, precision)."""
    chosen = Baseline.parse(baseline)
    if chosen.key not in SAME_FUNCTION_KEYS:
        for row in rows:
            row["same_start"] = None
        return
    bases = chosen.pair(rows, lambda row: row["overrides"], lambda row: row.get("sweep"))
    for i, row in enumerate(rows):
        row["same_start"] = same_start(row, bases[i])


def same_start(row: dict[str, Any], base: dict[str, Any] | None) -> str | None:
    """ "yes", or "no: <what differs>", comparing a job's start with its baseline job's;
    None when either has no record of its start (a run from before seqlab kept one)."""
    if base is None or row is base:
        return None if base is None else "yes"
    mine, theirs = row.get("start"), base.get("start")
    if not mine or not theirs:
        return None
    differ = [label for part, label in START_PARTS if mine.get(part) != theirs.get(part)]
    if "data order" in differ and mine.get("pipeline") != theirs.get("pipeline"):
        differ[differ.index("data order")] = (
            f"data order ({theirs.get('pipeline')} vs {mine.get('pipeline')} pipelines)"
        )
    return "yes" if not differ else "no: " + ", ".join(differ)


def start_note(rows: list[dict[str, Any]]) -> str | None:
    """A sentence under the table naming the rows that did not start like their baseline."""
    apart = [row for row in rows if str(row.get("same_start") or "").startswith("no")]
    if not apart:
        return None
    named = "; ".join(f"{row['job']}: {row['same_start'][4:]}" for row in apart[:8])
    return (
        f"start: {len(apart)} row(s) did not start from their baseline's weights, data or "
        f"data order ({named}{' ...' if len(apart) > 8 else ''}), so their metrics differ "
        "for that reason too. TensorFlow shuffles with tf.data and the other backends with "
        "NumPy: across backends the batch order differs (the weights and data do not)."
    )


def notes(rows: list[dict[str, Any]]) -> list[str]:
    """Every note that belongs under the table, in this order."""
    found = (
        data_note(rows),
        sharing_note(rows),
        busy_note(rows),
        smoke_note(rows),
        start_note(rows),
    )
    return [note for note in found if note]
