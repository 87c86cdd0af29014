"""summary.html: a sweep you can look at, written beside summary.csv.

The page answers the sweep's question in words first (the configurations against the
baseline, with their intervals), then counts the jobs, then shows charts that people
read faster than a table (step time per configuration with its interval; the
validation metric against the step time, with the configurations nothing beats on
both marked; learning curves from each job's history.csv; each numeric swept axis as
a line), then the table itself, sortable by any column and filterable by any swept
value, each job linked to its folder and failed jobs with their error.

It opens from the file system with no network: the data is inlined, and Plotly's
JavaScript is written beside it once (plotly.min.js). Without the plotly package
(`seqlab[charts]`) the page has the words and the table and says how to get the
charts. Past `MAX_DRAWN` configurations a chart shows the best and the worst and says
what it left out; the table always has every row.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

from seqlab.records.files import write_text_atomic
from seqlab.reports.baseline import Baseline
from seqlab.reports.page.charts import by_metric, charts, direction, jobs_of
from seqlab.reports.page.template import TEMPLATE
from seqlab.reports.rows import status_counts, swept_keys
from seqlab.reports.shown import label
from seqlab.reports.speedup import seeds_to_decide

PAGE_FILE = "summary.html"
PLOTLY_FILE = "plotly.min.js"
MAX_SENTENCES = 8  # comparisons said in words; past that, counts and the extremes


def headline(
    shown: list[dict[str, Any]], keys: list[str], baseline: str | None, grouped: bool
) -> list[str]:
    """The sweep's answer in words: one sentence per configuration against the baseline,
    or the fastest and the best configuration when there is no baseline."""
    ok = [row for row in shown if row.get("step_ms_median")]
    said = []
    if not ok:
        said.append("No job measured a step time (smoke runs and failed jobs have none).")
    elif baseline:
        chosen = Baseline.parse(baseline)
        compared = [r for r in ok if not chosen.holds(r["overrides"]) and r.get("speedup")]
        if not compared:
            return [f"No configuration has a matching baseline ({baseline})."]

        def say(row: dict[str, Any]) -> str:
            base_label = label({"overrides": chosen.counterpart(row["overrides"]), "job": ""}, keys)
            return _comparison(row, label(row, keys), base_label, grouped)

        if len(compared) <= MAX_SENTENCES:
            return [say(row) for row in compared]
        ranked = sorted(compared, key=lambda r: r["speedup"], reverse=True)
        half = MAX_SENTENCES // 2
        return (
            [_tally(compared, baseline, grouped)]
            + [say(r) for r in ranked[:half]]
            + [say(r) for r in ranked[-half:]]
        )
    else:
        fastest = min(ok, key=lambda r: r["step_ms_median"])
        said.append(
            f"Fastest: {label(fastest, keys)}, {fastest['step_ms_median']:.3g} ms per step."
        )
    # A smoke run's metric is no result (too few steps to learn anything).
    scored = [r for r in shown if r.get("val_metric") is not None and not r.get("smoke")]
    for metric, rows in by_metric(scored).items():  # never the best of mse and accuracy
        higher = direction(rows)
        if higher is None:
            continue  # a record from before seqlab kept the direction: no guess from the name
        best = (max if higher else min)(rows, key=lambda r: r["val_metric"])
        said.append(f"Best validation {metric}: {label(best, keys)}, {best['val_metric']:.4g}.")
    return said


def _tally(compared: list[dict[str, Any]], baseline: str, grouped: bool) -> str:
    """One sentence counting many comparisons: faster, slower, within the noise."""
    faster = sum(1 for r in compared if r.get("beyond_noise") and r["speedup"] > 1)
    slower = sum(1 for r in compared if r.get("beyond_noise") and r["speedup"] < 1)
    rest = len(compared) - faster - slower
    return (
        f"{len(compared)} configurations against {baseline}: {faster} faster and {slower} "
        f"slower beyond the noise, {rest} within it or without an interval that decides. "
        "The largest speed-ups and slowdowns (the table has them all, with the method of "
        "each interval):"
    )


def _comparison(row: dict[str, Any], mine: str, theirs: str, grouped: bool) -> str:
    """One comparison in words: the factor, its interval as the factor's own (a slowdown's
    interval inverted with it), whether it decides, over how many pairs."""
    speedup, low, high = row["speedup"], row.get("speedup_low"), row.get("speedup_high")
    faster = speedup >= 1
    how = f"{speedup:.2f}x faster" if faster else f"{1 / speedup:.2f}x slower"
    text = f"{mine} vs {theirs} (baseline): {how}"
    if low is not None:
        low, high = (low, high) if faster else (1 / high, 1 / low)
        text += f" [{low:.2f}, {high:.2f}]"
        if row.get("beyond_noise") is None:  # one interleaved pair: within-pair noise only
            text += ", within one pair of processes (decides nothing)"
        elif row["beyond_noise"]:
            text += ", beyond the noise"
        else:
            text += ", within the noise"
        if row.get("speedup_n"):
            text += f", {row['speedup_n']} seeds"
        if row.get("crossover"):
            text += " (adjusted for which job warmed up first)"
        text += _seeds_for_5pct(row)
    else:
        text += ", one run each (repeats=N or auto gives an interval)"
    if str(row.get("same_start") or "").startswith("no"):
        text += f"; started differently ({row['same_start'][4:]})"
    if row.get("stopped"):
        text += f"; stopped: {row['stopped']}"
    return text + "."


def _seeds_for_5pct(row: dict[str, Any]) -> str:
    """Where seeds left a comparison undecided with an interval wider than +-5 %: how many
    a new sweep would need at the spread its pairs showed (`speedup.seeds_to_decide`)."""
    seeds = seeds_to_decide(row)
    if seeds is None:
        return ""
    return f"; +-5 % would take about {seeds} seeds (a new sweep, repeats={seeds}) at this spread"


def _plotly_js(out_dir: Path) -> None:
    """plotly.min.js beside the page, once (4.8 MB), so the page needs no network."""
    import plotly.offline

    text = plotly.offline.get_plotlyjs()
    target = out_dir / PLOTLY_FILE
    if not target.exists() or target.stat().st_size != len(text.encode()):
        write_text_atomic(target, text)


def write_page(
    out_dir: Path,
    rows: list[dict[str, Any]],
    shown: list[dict[str, Any]],
    header: list[str],
    cells: list[list],
    *,
    baseline: str | None,
    grouped: bool,
    notes: list[str],
    sweep_dirs: list[Path],
    growth: Any = None,
) -> Path:
    """Write summary.html (and plotly.min.js) into `out_dir`; returns the page's path."""
    from seqlab.errors import MissingExtra

    out_dir = Path(out_dir)
    keys = swept_keys(shown)
    try:
        drawn = charts(shown, keys, sweep_dirs, grouped, growth)
        _plotly_js(out_dir)
        missing = None
    except MissingExtra as exc:
        drawn, missing = [], str(exc)
    counts = {status: n for status, n in status_counts(rows).items() if n}
    data = {
        "header": header,
        "numeric": [
            all(isinstance(c[i], int | float) or c[i] is None for c in cells)
            for i in range(len(header))
        ],
        "cells": [[_cell(v) for v in row] for row in cells],
        "links": [[_link(out_dir, row, job) for job in jobs_of(row)] for row in shown],
        "status": [str(row.get("status")) for row in shown],
        "errors": [row.get("error") or "" for row in shown],
        "keys": keys,
    }
    sentences = headline(shown, keys, baseline, grouped)
    page = TEMPLATE.format(
        title=html.escape(f"seqlab sweep: {', '.join(str(d) for d in sweep_dirs)}"),
        question=html.escape(_question(keys, baseline)),
        answers="".join(f"<li>{html.escape(s)}</li>" for s in sentences),
        counts=" · ".join(
            f"<span class='count {html.escape(s.replace(' ', '-'))}'>{n} {html.escape(s)}</span>"
            for s, n in counts.items()
        ),
        notes="".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes),
        plotly=f'<script src="{PLOTLY_FILE}"></script>' if drawn else "",
        charts="".join(
            f"<section class='chart'><h2>{html.escape(t)}</h2><p class='note'>"
            f"{html.escape(n)}</p>{d}</section>"
            for t, n, d in drawn
        )
        or f"<p class='note'>{html.escape(missing or 'No chart: nothing was measured.')}</p>",
        # Inside <script> only "<" can end the element or start a comment ("<!--<script"
        # emptied the table): as \u003c it is the same JSON string and no markup.
        data=json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e"),
        what="groups of seeds" if grouped else "jobs",
        n=len(shown),
    )
    path = out_dir / PAGE_FILE
    write_text_atomic(path, page)
    return path


def _question(keys: list[str], baseline: str | None) -> str:
    swept = ", ".join(keys) if keys else "one configuration"
    if baseline:
        return f"How do the configurations of {swept} compare with {baseline}?"
    return f"Which configuration of {swept} is fastest, and which scores best?"


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def _link(out_dir: Path, row: dict[str, Any], job: str) -> str:
    """The job's folder, relative to the page (merged sweeps name their folder)."""
    import os
    from urllib.parse import quote

    sweep = Path(str(row.get("sweep") or out_dir))
    return quote(os.path.relpath(sweep / job, out_dir)) + "/"  # a "#" or "?" in a name
