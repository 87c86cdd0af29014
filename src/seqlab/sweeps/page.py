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

import csv
import html
import json
import math
from pathlib import Path
from typing import Any

from seqlab.records.files import write_text_atomic
from seqlab.sweeps.rows import status_counts, swept_keys

PAGE_FILE = "summary.html"
PLOTLY_FILE = "plotly.min.js"
MAX_DRAWN = 40  # configurations a bar chart shows: the best and the worst half each
MAX_CURVES = 12  # learning curves drawn: the best configurations by validation metric
MAX_SENTENCES = 8  # comparisons said in words; past that, counts and the extremes


def label(row: dict[str, Any], keys: list[str]) -> str:
    """A configuration's name from its swept values, e.g. "gru / layer"."""
    values = [str(row["overrides"].get(k, "")) for k in keys if row["overrides"].get(k)]
    return " / ".join(values) if values else f"job {row['job']}"


def headline(
    shown: list[dict[str, Any]], keys: list[str], baseline: str | None, grouped: bool
) -> list[str]:
    """The sweep's answer in words: one sentence per configuration against the baseline,
    or the fastest and the best configuration when there is no baseline."""
    ok = [row for row in shown if row.get("step_ms_median")]
    if not ok:
        return ["No job measured a step time (smoke runs and failed jobs have none)."]
    if baseline:
        key, _, value = baseline.replace(":", "=", 1).partition("=")
        compared = [r for r in ok if r["overrides"].get(key) != value and r.get("speedup")]
        if not compared:
            return [f"No configuration has a matching baseline ({baseline})."]

        def say(row: dict[str, Any]) -> str:
            base = {**row["overrides"], key: value}
            base_label = label({"overrides": base, "job": ""}, keys)
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
    fastest = min(ok, key=lambda r: r["step_ms_median"])
    said = [f"Fastest: {label(fastest, keys)}, {fastest['step_ms_median']:.3g} ms per step."]
    scored = [r for r in shown if r.get("val_metric") is not None]
    if scored:
        higher = (shown[0].get("metric") or "accuracy") != "mse"
        best = (max if higher else min)(scored, key=lambda r: r["val_metric"])
        said.append(
            f"Best validation {best.get('metric') or 'metric'}: {label(best, keys)}, "
            f"{best['val_metric']:.4g}."
        )
    return said


def _tally(compared: list[dict[str, Any]], baseline: str, grouped: bool) -> str:
    """One sentence counting many comparisons: faster, slower, within the noise."""
    if grouped:
        faster = sum(1 for r in compared if r.get("beyond_noise") and r["speedup"] > 1)
        slower = sum(1 for r in compared if r.get("beyond_noise") and r["speedup"] < 1)
        rest = len(compared) - faster - slower
        return (
            f"{len(compared)} configurations against {baseline}: {faster} faster and "
            f"{slower} slower beyond the seed-to-seed noise, {rest} within it or without "
            "an interval. The largest speed-ups and slowdowns (the table has them all):"
        )
    faster = sum(1 for r in compared if r["speedup"] > 1)
    return (
        f"{len(compared)} configurations against {baseline}, one run each: {faster} faster, "
        f"{len(compared) - faster} slower (no interval: repeats=auto gives one). The "
        "largest speed-ups and slowdowns (the table has them all):"
    )


def _comparison(row: dict[str, Any], mine: str, theirs: str, grouped: bool) -> str:
    speedup, low, high = row["speedup"], row.get("speedup_low"), row.get("speedup_high")
    faster = speedup >= 1
    how = f"{speedup:.2f}x faster" if faster else f"{1 / speedup:.2f}x slower"
    text = f"{mine} vs {theirs} (baseline): {how}"
    if grouped and low is not None:  # the interval of the factor said, not of its inverse
        low, high = (low, high) if faster else (1 / high, 1 / low)
        text += f" [{low:.2f}, {high:.2f}]"
        text += (
            ", beyond the seed-to-seed noise"
            if row.get("beyond_noise")
            else ", within the seed-to-seed noise"
        )
        text += f", {row.get('n_timed')} seeds"
    elif not grouped:
        text += ", one run each (repeat the sweep with repeats=auto for an interval)"
    if str(row.get("same_start") or "").startswith("no"):
        text += f"; started differently ({row['same_start'][4:]})"
    if row.get("stopped"):
        text += f"; stopped: {row['stopped']}"
    return text + "."


def _jobs_of(row: dict[str, Any]) -> list[str]:
    return [job for job in str(row["job"]).split(",") if job]


def _curve(sweep: Path, job: str, metric: str) -> list[tuple[int, float]]:
    """(epoch, validation metric) from a job's history.csv; empty when there is none."""
    try:
        with open(sweep / job / "history.csv", newline="") as f:
            points = []
            for line in csv.DictReader(f):
                value = line.get(f"val_{metric}")
                if value not in (None, ""):
                    points.append((int(float(line["epoch"])), float(value)))
            return points
    except (OSError, ValueError, KeyError):
        return []


def _mean_curve(curves: list[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    by_epoch: dict[int, list[float]] = {}
    for curve in curves:
        for epoch, value in curve:
            by_epoch.setdefault(epoch, []).append(value)
    return [(e, sum(v) / len(v)) for e, v in sorted(by_epoch.items())]


def _pareto(points: list[tuple[float, float, int]], higher: bool) -> set[int]:
    """Indices of the points nothing beats on both step time (lower) and metric."""
    front = set()
    for x, y, i in points:
        beaten = any(
            (x2 <= x and (y2 >= y if higher else y2 <= y)) and (x2 < x or y2 != y)
            for x2, y2, _ in points
        )
        if not beaten:
            front.add(i)
    return front


def _extremes(rows: list[dict[str, Any]], key: str) -> tuple[list[dict[str, Any]], int]:
    """At most MAX_DRAWN rows with a value: the best and the worst half; and how many left."""
    valued = sorted((r for r in rows if r.get(key) is not None), key=lambda r: r[key])
    if len(valued) <= MAX_DRAWN:
        return valued, 0
    half = MAX_DRAWN // 2
    return valued[:half] + valued[-half:], len(valued) - MAX_DRAWN


def charts(
    shown: list[dict[str, Any]], keys: list[str], sweep_dirs: list[Path], grouped: bool
) -> list[tuple[str, str, str]]:
    """(title, note, div html) of each chart; raises MissingExtra without plotly."""
    from seqlab.errors import require

    require("plotly", "charts", "The page's charts")
    import plotly.graph_objects as go
    import plotly.io as pio

    def div(fig: Any, name: str) -> str:
        fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 40}, template="plotly_white")
        return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=name)

    out = []
    metric = next((r["metric"] for r in shown if r.get("metric")), "metric")
    higher = metric != "mse" and not metric.endswith("mse")

    drawn, left = _extremes(shown, "step_ms_median")
    if drawn:
        names = [label(r, keys) for r in drawn]
        errors = [r.get("step_ms_median_ci95") or 0.0 for r in drawn]
        fig = go.Figure(
            go.Bar(
                x=[r["step_ms_median"] for r in drawn],
                y=names,
                orientation="h",
                error_x={"type": "data", "array": errors, "visible": grouped},
                marker_color=["#c44e52" if r.get("busy") else "#4c72b0" for r in drawn],
                hovertext=[f"job {r['job']}" for r in drawn],
            )
        )
        fig.update_layout(
            height=120 + 22 * len(drawn),
            xaxis_title="steady-state step time, median (ms): lower is better",
            xaxis={"rangemode": "nonnegative"},
            yaxis={"autorange": "reversed", "type": "category"},
        )
        note = "Bars are the mean over seeds with the 95 % interval. " if grouped else ""
        if any(r.get("busy") for r in drawn):
            note += "Red: measured on a busy machine (a group: at least one of its seeds). "
        if left:
            note += (
                f"{left} configurations in the middle of the ranking are not drawn: the "
                f"{MAX_DRAWN // 2} fastest and the {MAX_DRAWN // 2} slowest are; the table "
                "has them all."
            )
        out.append(("Step time per configuration", note, div(fig, "chart-step")))

    both = [r for r in shown if r.get("step_ms_median") and r.get("val_metric") is not None]
    if both:
        points = [(r["step_ms_median"], r["val_metric"], i) for i, r in enumerate(both)]
        front = _pareto(points, higher)
        fig = go.Figure()
        for on_front in (False, True):
            chosen = [r for i, r in enumerate(both) if (i in front) == on_front]
            if not chosen:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[r["step_ms_median"] for r in chosen],
                    y=[r["val_metric"] for r in chosen],
                    mode="markers",
                    name="nothing beats it on both" if on_front else "beaten on both",
                    marker={
                        "size": 11 if on_front else 7,
                        "color": "#dd8452" if on_front else "#8c8c8c",
                        "symbol": "diamond" if on_front else "circle",
                    },
                    error_x={
                        "type": "data",
                        "visible": grouped,
                        "array": [r.get("step_ms_median_ci95") or 0 for r in chosen],
                    },
                    error_y={
                        "type": "data",
                        "visible": grouped,
                        "array": [r.get("val_metric_ci95") or 0 for r in chosen],
                    },
                    text=[label(r, keys) for r in chosen],
                    hovertemplate="%{text}<br>%{x:.3g} ms, %{y:.4g}<extra></extra>",
                )
            )
        ordered = sorted((both[i] for i in front), key=lambda r: r["step_ms_median"])
        fig.add_trace(
            go.Scatter(
                x=[r["step_ms_median"] for r in ordered],
                y=[r["val_metric"] for r in ordered],
                mode="lines",
                line={"dash": "dot", "color": "#dd8452"},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.update_layout(
            height=420,
            xaxis={"rangemode": "nonnegative"},
            xaxis_title="steady-state step time, median (ms): lower is better",
            yaxis_title=f"validation {metric}: " + ("higher" if higher else "lower") + " is better",
        )
        out.append(
            (
                "Validation metric against step time",
                f"{len(front)} configuration(s) nothing beats on both (diamonds, joined).",
                div(fig, "chart-tradeoff"),
            )
        )

    scored = [r for r in shown if r.get("val_metric") is not None]
    scored.sort(key=lambda r: r["val_metric"], reverse=higher)
    fig, drawn_curves = go.Figure(), 0
    for row in scored[:MAX_CURVES]:
        sweep = Path(str(row.get("sweep") or sweep_dirs[0]))
        curve = _mean_curve([_curve(sweep, job, metric) for job in _jobs_of(row)])
        if curve:
            drawn_curves += 1
            fig.add_trace(
                go.Scatter(
                    x=[e for e, _ in curve],
                    y=[v for _, v in curve],
                    mode="lines+markers",
                    name=label(row, keys),
                )
            )
    if drawn_curves:
        fig.update_layout(height=420, xaxis_title="epoch", yaxis_title=f"validation {metric}")
        fig.update_xaxes(tickformat="d", dtick=None if len(curve) > 20 else 1)
        note = "The mean over seeds per epoch. " if grouped else ""
        if len(scored) > MAX_CURVES:
            note += f"The {MAX_CURVES} best configurations of {len(scored)}; the table has all."
        out.append(("Learning curves", note, div(fig, "chart-curves")))

    for key in keys:
        values = {r["overrides"].get(key) for r in shown}
        numbers = {v: _number(v) for v in values}
        if len(values) < 3 or any(n is None for n in numbers.values()):
            continue
        others = [k for k in keys if k != key]
        lines: dict[str, list[dict[str, Any]]] = {}
        for row in shown:
            rest = {"overrides": {k: row["overrides"].get(k) for k in others}, "job": ""}
            lines.setdefault(label(rest, others) if others else "all", []).append(row)
        fig = go.Figure()
        for name, members in list(lines.items())[:MAX_CURVES]:
            members = sorted(
                (m for m in members if m.get("step_ms_median")),
                key=lambda m: numbers[m["overrides"].get(key)],
            )
            if members:
                fig.add_trace(
                    go.Scatter(
                        x=[numbers[m["overrides"].get(key)] for m in members],
                        y=[m["step_ms_median"] for m in members],
                        error_y={
                            "type": "data",
                            "visible": grouped,
                            "array": [m.get("step_ms_median_ci95") or 0 for m in members],
                        },
                        mode="lines+markers",
                        name=name,
                    )
                )
        fig.update_layout(
            height=400,
            xaxis_title=key,
            yaxis_title="step time, median (ms)",
            yaxis={"rangemode": "nonnegative"},
        )
        out.append(
            (f"Step time over {key}", "How the cost grows with it.", div(fig, f"axis-{key}"))
        )
    return out


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


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
) -> Path:
    """Write summary.html (and plotly.min.js) into `out_dir`; returns the page's path."""
    from seqlab.errors import MissingExtra

    out_dir = Path(out_dir)
    keys = swept_keys(shown)
    try:
        drawn = charts(shown, keys, sweep_dirs, grouped)
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
        "links": [[_link(out_dir, row, job) for job in _jobs_of(row)] for row in shown],
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
        data=json.dumps(data).replace("</", "<\\/"),
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

    sweep = Path(str(row.get("sweep") or out_dir))
    return os.path.relpath(sweep / job, out_dir) + "/"


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px;
       color: #222; padding: 0 16px; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }} h2 {{ font-size: 16px; margin: 18px 0 4px; }}
.question {{ color: #555; margin: 0 0 8px; }}
ul.answers {{ font-size: 16px; margin: 6px 0 10px; }}
.count {{ font-weight: 600; }} .count.failed, .count.unreadable {{ color: #b00; }}
.count.interrupted, .count.incomplete, .count.not-run {{ color: #a60; }}
.note {{ color: #555; margin: 4px 0; }}
.filters label {{ margin-right: 12px; }}
table {{ border-collapse: collapse; margin-top: 8px; font-size: 13px; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 3px 7px; text-align: left;
         white-space: nowrap; }}
th {{ cursor: pointer; background: #f4f4f4; position: sticky; top: 0; }}
th.sorted-asc::after {{ content: " ▲"; }} th.sorted-desc::after {{ content: " ▼"; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.bad td {{ background: #fff0f0; }}
details {{ white-space: normal; max-width: 520px; }}
.tablebox {{ overflow: auto; max-height: 70vh; }}
</style>
{plotly}
</head><body>
<h1>{title}</h1>
<p class="question">{question}</p>
<ul class="answers">{answers}</ul>
<p>{counts}</p>
{notes}
{charts}
<h2>Table: {n} {what}</h2>
<div class="filters" id="filters"></div>
<div class="tablebox"><table id="summary"><thead></thead><tbody></tbody></table></div>
<script type="application/json" id="data">{data}</script>
<script>
(function () {{
  const data = JSON.parse(document.getElementById("data").textContent);
  const table = document.getElementById("summary");
  const head = table.tHead, body = table.tBodies[0];
  let order = data.cells.map((_, i) => i), sortColumn = -1, ascending = true;
  const filters = {{}};
  function show(v) {{
    if (v === null || v === undefined) return "";
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "number") return Math.abs(v) < 1000 ? Number(v.toPrecision(4)).toString()
                                                          : v.toFixed(0);
    return String(v);
  }}
  function render() {{
    head.innerHTML = "";
    const tr = head.insertRow();
    data.header.forEach((name, i) => {{
      const th = document.createElement("th");
      th.textContent = name;
      if (i === sortColumn) th.className = ascending ? "sorted-asc" : "sorted-desc";
      th.addEventListener("click", () => sortBy(i));
      tr.appendChild(th);
    }});
    body.innerHTML = "";
    const jobAt = data.header.indexOf("job"), errorAt = data.header.indexOf("error");
    for (const r of order) {{
      const cells = data.cells[r];
      const visible = data.keys.every(k => !filters[k] ||
        String(cells[data.header.indexOf(k)]) === filters[k]);
      if (!visible) continue;
      const row = body.insertRow();
      row.dataset.row = r;
      if (!["ok"].includes(data.status[r])) row.className = "bad";
      cells.forEach((v, i) => {{
        const td = row.insertCell();
        if (data.numeric[i]) td.className = "num";
        if (i === jobAt) {{
          data.links[r].forEach((href, j) => {{
            const a = document.createElement("a");
            a.href = href; a.textContent = String(v).split(",")[j] || href;
            if (j) td.append(", ");
            td.appendChild(a);
          }});
        }} else if (i === errorAt && v) {{
          const d = document.createElement("details");
          const s = document.createElement("summary");
          s.textContent = String(v).slice(0, 60) + (String(v).length > 60 ? "…" : "");
          d.appendChild(s); d.append(String(v)); td.appendChild(d);
        }} else td.textContent = show(v);
      }});
    }}
  }}
  function sortBy(i) {{
    ascending = sortColumn === i ? !ascending : true;
    sortColumn = i;
    order.sort((a, b) => {{
      const x = data.cells[a][i], y = data.cells[b][i];
      if (x === null || x === "") return 1;
      if (y === null || y === "") return -1;
      const c = (typeof x === "number" && typeof y === "number") ? x - y
                : String(x).localeCompare(String(y), undefined, {{numeric: true}});
      return ascending ? c : -c;
    }});
    render();
  }}
  const box = document.getElementById("filters");
  data.keys.forEach(k => {{
    const at = data.header.indexOf(k);
    const values = [...new Set(data.cells.map(c => String(c[at])))].sort();
    const label = document.createElement("label");
    label.textContent = k + " ";
    const select = document.createElement("select");
    select.dataset.key = k;
    ["(all)", ...values].forEach(v => {{
      const o = document.createElement("option"); o.textContent = v; select.appendChild(o);
    }});
    select.addEventListener("change", () => {{
      filters[k] = select.value === "(all)" ? null : select.value; render();
    }});
    label.appendChild(select); box.appendChild(label);
  }});
  render();
}})();
</script>
</body></html>
"""
