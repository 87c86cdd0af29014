"""The charts of summary.html (Plotly), each readable at any size of sweep.

The step time per configuration with its interval (past MAX_DRAWN configurations the
fastest and the slowest half each); the validation metric against the step time, the
configurations nothing beats on both marked and joined; the learning curves of the
MAX_CURVES best configurations from their history.csv (the mean over seeds); and each
numeric swept axis as a line over its values.
"""

from __future__ import annotations

import csv
import html
import io
import math
from pathlib import Path
from typing import Any

from seqlab.reports.shown import extremes, label

MAX_DRAWN = 40  # configurations a bar chart shows: the best and the worst half each
MAX_SENTENCES = 8  # crossovers and break-evens said under a growth chart
MAX_CURVES = 12  # learning curves drawn: the best configurations by validation metric


def plotly_text(text: Any) -> str:
    """Any text for Plotly, which reads a subset of HTML in its labels and titles: shown as
    typed. (Plotly escapes its JSON for the page's script itself; the markup it would
    read inside a label is this function's to neutralise.)"""
    return html.escape(str(text), quote=False)


def chart_label(row: dict[str, Any], keys: list[str]) -> str:
    """`label` for Plotly (`plotly_text`)."""
    return plotly_text(label(row, keys))


def jobs_of(row: dict[str, Any]) -> list[str]:
    return [job for job in str(row["job"]).split(",") if job]


def _curve(sweep: Path, job: str, metric: str) -> list[tuple[int, float]]:
    """(epoch, validation metric) from a job's history.csv; empty when there is none."""
    from seqlab.records.files import read_regular

    try:
        text = read_regular(sweep / job / "history.csv")  # never a FIFO's endless wait
        points = []
        for line in csv.DictReader(io.StringIO(text)):
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


def pareto_front(points: list[tuple[float, float, int]], higher: bool) -> set[int]:
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


def by_metric(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows per task metric, the most common metric first (a sweep over datasets may mix
    accuracy and mse, which no chart or "best" may put on one scale)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row.get("metric") or "metric"), []).append(row)
    return dict(sorted(groups.items(), key=lambda item: -len(item[1])))


def direction(rows: list[dict[str, Any]]) -> bool | None:
    """Whether higher is better for these rows' metric, as their records say (the run's
    task decided it); None when no record says."""
    said = {r.get("higher_is_better") for r in rows} - {None}
    return said.pop() if len(said) == 1 else None


def charts(
    shown: list[dict[str, Any]],
    keys: list[str],
    sweep_dirs: list[Path],
    grouped: bool,
    growth: Any = None,
) -> list[tuple[str, str, str]]:
    """(title, note, div html) of each chart; raises MissingExtra without plotly."""
    from seqlab.errors import require

    require("plotly", "charts", "The page's charts")
    import plotly.graph_objects as go
    import plotly.io as pio

    def div(fig: Any, name: str, titled: bool = False) -> str:
        # The legend above the plot, in rows: at the side it took most of a phone's width;
        # above the subplots' titles where they have some.
        fig.update_layout(
            margin={"l": 10, "r": 10, "t": 80 if titled else 30, "b": 40},
            template="plotly_white",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.1 if titled else 1.02, "x": 0},
        )
        return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=name)

    out = []
    measured = [r for r in shown if r.get("val_metric") is not None]
    metrics = by_metric(measured)
    metric, scored = next(iter(metrics.items()), ("metric", []))
    higher = direction(scored)
    others = len(measured) - len(scored)
    apart = (
        f" {others} rows of other metrics ({', '.join(list(metrics)[1:])}) are not drawn "
        "here: the table has them."
        if others
        else ""
    )

    timed = sorted((r for r in shown if r.get("step_ms_median")), key=lambda r: r["step_ms_median"])
    drawn, left = extremes(timed, "step_ms_median", MAX_DRAWN)
    if drawn:
        names = [chart_label(r, keys) for r in drawn]
        errors = [r.get("step_ms_median_ci95") or 0.0 for r in drawn]
        fig = go.Figure(
            go.Bar(
                x=[r["step_ms_median"] for r in drawn],
                y=names,
                orientation="h",
                error_x={"type": "data", "array": errors, "visible": grouped},
                marker_color=["#c44e52" if r.get("busy") else "#4c72b0" for r in drawn],
                hovertext=[plotly_text(f"job {r['job']}") for r in drawn],
            )
        )
        fig.update_layout(
            height=120 + 22 * len(drawn),
            xaxis_title="step time, median (ms): lower is better",
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

    both = [r for r in scored if r.get("step_ms_median")]
    if both and higher is not None:
        points = [(r["step_ms_median"], r["val_metric"], i) for i, r in enumerate(both)]
        front = pareto_front(points, higher)
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
                    text=[chart_label(r, keys) for r in chosen],
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
            xaxis_title="step time, median (ms): lower is better",
            yaxis_title=plotly_text(
                f"validation {metric}: " + ("higher" if higher else "lower") + " is better"
            ),
        )
        out.append(
            (
                "Validation metric against step time",
                f"{len(front)} configuration(s) nothing beats on both (diamonds, joined)." + apart,
                div(fig, "chart-tradeoff"),
            )
        )

    scored = sorted(scored, key=lambda r: r["val_metric"], reverse=bool(higher))
    fig, drawn_curves = go.Figure(), 0
    for row in scored[:MAX_CURVES]:
        sweep = Path(str(row.get("sweep") or sweep_dirs[0]))
        curve = _mean_curve([_curve(sweep, job, metric) for job in jobs_of(row)])
        if curve:
            drawn_curves += 1
            fig.add_trace(
                go.Scatter(
                    x=[e for e, _ in curve],
                    y=[v for _, v in curve],
                    mode="lines+markers",
                    name=chart_label(row, keys),
                )
            )
    if drawn_curves:
        fig.update_layout(
            height=420, xaxis_title="epoch", yaxis_title=plotly_text(f"validation {metric}")
        )
        fig.update_xaxes(tickformat="d", dtick=None if len(curve) > 20 else 1)
        note = "The mean over seeds per epoch. " if grouped else ""
        if len(scored) > MAX_CURVES:
            which = "best" if higher is not None else "first"
            note += f"The {MAX_CURVES} {which} configurations of {len(scored)}; the table has all."
        out.append(("Learning curves", note + apart, div(fig, "chart-curves")))

    if growth is not None:
        out += growth_charts(growth, keys, div, go)
    return out


def _pair_sentences(rows: list[dict[str, Any]], key: str) -> list[str]:
    """Crossovers and break-evens in words; sizes where a pair's steps take the same time
    within the noise said once per pair."""
    said, same = [], {}
    for row in rows:
        pair = f"{row['a']} vs {row['b']}"
        if row["size"] is None:
            said.append(f"{pair}: {row['said']}")
        elif row["value"] is None:
            same.setdefault(pair, []).append(f"{row['size']:g}")
        else:
            said.append(f"{pair} at {key} = {row['size']:g}: {row['said']}")
    said += [
        f"{pair}: the same time per step within the noise at {key} = {', '.join(sizes)}"
        for pair, sizes in same.items()
    ]
    return said


COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
           "#8c8c8c", "#ccb974", "#64b5cd", "#1f3b73", "#7a3b00")  # fmt: skip


def growth_charts(growth: Any, keys: list[str], div: Any, go: Any) -> list[tuple[str, str, str]]:
    """Per numeric key: step time, first epoch and peak memory against it on log-log
    axes, each configuration's points with its fitted power law over their range."""
    from plotly.subplots import make_subplots

    from seqlab.reports.growth import FIGURES, fit, number

    found, grown, crossed = growth
    out = []
    for place, key in enumerate(keys):
        curves = [c for c in found if c.key == key][:MAX_CURVES]
        if not curves:
            continue
        fig = make_subplots(rows=1, cols=3, subplot_titles=[plotly_text(t) for _, t in FIGURES])
        ended = []
        for index, curve in enumerate(curves):
            colour = COLOURS[index % len(COLOURS)]
            for column, (figure, _) in enumerate(FIGURES, 1):
                points = sorted(
                    (number(r["overrides"].get(key)), r.get(figure))
                    for r in curve.rows
                    if r.get(figure) is not None and number(r["overrides"].get(key))
                )
                if not points:
                    continue
                marks = go.Scatter(
                    x=[x for x, _ in points],
                    y=[y for _, y in points],
                    mode="markers",
                    name=plotly_text(curve.label),
                    legendgroup=str(index),
                    showlegend=column == 1,
                    marker={"color": colour, "size": 8},
                )
                fig.add_trace(marks, row=1, col=column)
                fitted = fit(points)
                if fitted is None:
                    continue
                low, high = points[0][0], points[-1][0]
                xs = [low * (high / low) ** (i / 20) for i in range(21)]
                line = go.Scatter(
                    x=xs,
                    y=[fitted.at(x) for x in xs],
                    mode="lines",
                    name=plotly_text(f"{curve.label}: fit, exponent {fitted.exponent:.2f}"),
                    legendgroup=str(index),
                    showlegend=False,
                    line={"color": colour, "dash": "dot" if fitted.bends else "solid"},
                    meta="fit",
                )
                fig.add_trace(line, row=1, col=column)
            if curve.ended:
                ended.append(f"{curve.label} ended {curve.ended}")
        fig.update_xaxes(type="log", title_text=plotly_text(key))
        fig.update_yaxes(type="log")
        fig.update_layout(height=430)
        said = [
            f"{r['configuration']}: step time exponent {r['exponent']:.2f} "
            f"[{r['exponent_low']:.2f}, {r['exponent_high']:.2f}]"
            + ("" if r["fit"] == "power law" else f" ({r['fit']})")
            for r in grown
            if r["key"] == key and r["figure"] == "step_ms_median" and r["exponent_low"] is not None
        ]
        pairs = _pair_sentences([r for r in crossed if r["key"] == key], key)
        note = (
            "Log-log axes: a straight line is a power law, its slope the exponent (1: "
            "linear). Lines are least-squares fits (dotted where the points bend). "
            + ("; ".join(said) + ". " if said else "")
            + ("; ".join(ended) + ". " if ended else "")
            + ("; ".join(pairs[:MAX_SENTENCES]) + "." if pairs else "")
            + (" crossovers.csv has them all." if len(pairs) > MAX_SENTENCES else "")
        )
        # The element's id is the key's place, never the key: an id lands in an attribute
        # and in Plotly's script, where a key from a record could end either.
        out.append((f"How cost grows with {key}", note, div(fig, f"growth-{place}", titled=True)))
    return out


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
