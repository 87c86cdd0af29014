"""The page's growth charts: each numeric key on log-log axes, the fits over the points,
and the exponents, crossovers and break-evens in words (`seqlab.reports.growth`)."""

from __future__ import annotations

from typing import Any

from seqlab.reports.page.charts import MAX_CURVES, Chart, plotly_text

MAX_SENTENCES = 8  # crossovers and break-evens said under a growth chart


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


def growth_charts(go: Any, growth: Any, keys: list[str]) -> list[Chart]:
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
        out.append(Chart(f"How cost grows with {key}", note, fig, f"growth-{place}", titled=True))
    return out
