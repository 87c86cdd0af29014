"""A sweep's summary chart: per job, steady step time beside the validation metric."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqlab.records.files import write_atomic
from seqlab.reports.shown import extremes, label
from seqlab.training.figures import pyplot

MAX_BARS = 40  # a readable chart: past this, the fastest and the slowest half each


def readable(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    """At most MAX_BARS rows, the fastest and the slowest by step time (in the table's
    order), and a sentence saying what was left out; all rows when they fit."""
    kept, left = extremes(rows, "step_ms_median", MAX_BARS)
    if not left:
        return rows, None
    half = MAX_BARS // 2
    return kept, (
        f"the {half} fastest and the {half} slowest of {len(rows)}: "
        f"{left} not drawn (summary.csv and summary.html list them all)"
    )


def summary_chart(rows: list[dict[str, Any]], keys: list[str], path: Path) -> Path:
    """Per job (or group of seeds, with 95 % error bars), steady step time and the task
    metric side by side (jobs that are not ok marked); never more than MAX_BARS bars."""
    total = len(rows)
    rows, left_out = readable(rows)
    plt = pyplot()
    labels = [label(row, keys) for row in rows]
    metrics = {row["metric"] for row in rows if row["metric"]}
    metric = metrics.pop() if len(metrics) == 1 else "metric (each job's own)"
    step = [row["step_ms_median"] or 0.0 for row in rows]
    score = [row["val_metric"] if row["val_metric"] is not None else 0.0 for row in rows]
    failed = [row["status"] != "ok" for row in rows]

    height = max(2.5, 0.45 * len(rows) + 1.2)
    fig, (ax_step, ax_metric) = plt.subplots(1, 2, figsize=(11, height), sharey=True)
    y = list(range(len(rows)))
    colors = ["#bbbbbb" if f else "#4c72b0" for f in failed]
    # Groups of repeated seeds: error bars are the 95 % intervals of the means.
    step_err = [row.get("step_ms_median_ci95") or 0.0 for row in rows]
    score_err = [row.get("val_metric_ci95") or 0.0 for row in rows]
    ax_step.barh(y, step, color=colors, xerr=step_err if any(step_err) else None, capsize=3)
    ax_step.set_yticks(y, labels)
    ax_step.invert_yaxis()  # job order top to bottom, as in the table
    ax_step.set_xlabel("steady-state step time, median (ms) - lower is better")
    ax_metric.barh(
        y,
        score,
        color=["#bbbbbb" if f else "#55a868" for f in failed],
        xerr=score_err if any(score_err) else None,
        capsize=3,
    )
    ax_metric.set_xlabel(f"validation {metric}")
    for i, row in enumerate(rows):
        if failed[i]:
            ax_step.text(0, i, f"  {row['status']}", va="center", color="#aa0000")
            continue
        speedup = row.get("speedup")
        note = f" {step[i]:.1f}" + (f"  (x{speedup:.2f})" if speedup else "")
        ax_step.text(step[i] + step_err[i], i, note, va="center", fontsize=8)  # past the bar
        name = "" if len(metrics) <= 1 and "each" not in metric else f" {row['metric']}"
        ax_metric.text(
            score[i] + score_err[i], i, f" {score[i]:.3g}{name}", va="center", fontsize=8
        )
    for ax in (ax_step, ax_metric):
        ax.margins(x=0.25)
        ax.grid(axis="x", alpha=0.3)
    what = "groups of seeds" if any("n" in row for row in rows) else "jobs"
    title = f"{total} {what}: " + (", ".join(keys) if keys else "one configuration")
    fig.suptitle(title + (f"\n{left_out}" if left_out else ""))
    fig.tight_layout()
    write_atomic(Path(path), lambda tmp: fig.savefig(tmp, dpi=110), staged=True)
    plt.close(fig)
    return Path(path)
