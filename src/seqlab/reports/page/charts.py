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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqlab.reports.shown import extremes, label

MAX_DRAWN = 40  # configurations a bar chart shows: the best and the worst half each
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
    drawn = [
        step_chart(go, shown, keys, grouped),
        tradeoff_chart(go, scored, keys, grouped, metric, higher, apart),
        curves_chart(go, scored, keys, grouped, metric, higher, apart, sweep_dirs),
    ]
    if growth is not None:
        from seqlab.reports.page.growth import growth_charts

        drawn += growth_charts(go, growth, keys)
    return [chart.html() for chart in drawn if chart is not None]


def div(fig: Any, name: str, titled: bool = False) -> str:
    """A figure's HTML: the legend above the plot, in rows (at the side it took most of a
    phone's width), above the subplots' titles where they have some."""
    import plotly.io as pio

    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 80 if titled else 30, "b": 40},
        template="plotly_white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.1 if titled else 1.02, "x": 0},
    )
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=name)


@dataclass(frozen=True)
class Chart:
    """One chart of the page: its title, the note under it, the Plotly figure (what the
    tests read), the element's id, and whether its subplots have titles."""

    title: str
    note: str
    figure: Any
    name: str
    titled: bool = False

    def html(self) -> tuple[str, str, str]:
        """(title, note, div html), as the page writes it."""
        return self.title, self.note, div(self.figure, self.name, self.titled)


def step_chart(
    go: Any, shown: list[dict[str, Any]], keys: list[str], grouped: bool
) -> Chart | None:
    """The step time per configuration with its interval, busy ones red."""
    timed = sorted((r for r in shown if r.get("step_ms_median")), key=lambda r: r["step_ms_median"])
    drawn, left = extremes(timed, "step_ms_median", MAX_DRAWN)
    if not drawn:
        return None
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
    return Chart("Step time per configuration", note, fig, "chart-step")


def tradeoff_chart(
    go: Any,
    scored: list[dict[str, Any]],
    keys: list[str],
    grouped: bool,
    metric: str,
    higher: bool | None,
    apart: str,
) -> Chart | None:
    """The validation metric against the step time, the configurations nothing beats on
    both marked and joined."""
    both = [r for r in scored if r.get("step_ms_median")]
    if not both or higher is None:
        return None
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
    note = f"{len(front)} configuration(s) nothing beats on both (diamonds, joined)."
    return Chart("Validation metric against step time", note + apart, fig, "chart-tradeoff")


def curves_chart(
    go: Any,
    scored: list[dict[str, Any]],
    keys: list[str],
    grouped: bool,
    metric: str,
    higher: bool | None,
    apart: str,
    sweep_dirs: list[Path],
) -> Chart | None:
    """The learning curves of the best configurations (the mean over their seeds)."""
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
    if not drawn_curves:
        return None
    fig.update_layout(
        height=420, xaxis_title="epoch", yaxis_title=plotly_text(f"validation {metric}")
    )
    fig.update_xaxes(tickformat="d", dtick=None if len(curve) > 20 else 1)
    note = "The mean over seeds per epoch. " if grouped else ""
    if len(scored) > MAX_CURVES:
        which = "best" if higher is not None else "first"
        note += f"The {MAX_CURVES} {which} configurations of {len(scored)}; the table has all."
    return Chart("Learning curves", note + apart, fig, "chart-curves")
