"""What a chart shows of a sweep's rows: each row's name, and which rows fit.

The summary chart (summary.png) and the page's charts (summary.html) both name a row
by its swept values and both draw at most a readable number of rows, the best and the
worst half by a figure: one definition of each, for both.
"""

from __future__ import annotations

from typing import Any


def label(row: dict[str, Any], keys: list[str]) -> str:
    """A row's name from its swept values: "lstm / cell_loop" for up to three keys,
    "model=lstm impl=cell_loop ..." past that (bare values stop reading as names);
    "job 3" when it has none of them."""
    given = [(k, str(row["overrides"].get(k))) for k in keys if row["overrides"].get(k)]
    if not given:
        return f"job {row['job']}"
    if len(keys) <= 3:
        return " / ".join(value for _, value in given)
    return " ".join(f"{key}={value}" for key, value in given)


def extremes(rows: list[dict[str, Any]], key: str, most: int) -> tuple[list[dict[str, Any]], int]:
    """At most `most` rows: all when they fit, else the half with the lowest and the half
    with the highest `key` (rows without it left out), in the rows' own order; and how
    many were left out."""
    if len(rows) <= most:
        return rows, 0
    valued = sorted((r for r in rows if r.get(key) is not None), key=lambda r: r[key])
    half = most // 2
    chosen = {id(r) for r in (valued[:half] + valued[-half:] if len(valued) > most else valued)}
    kept = [r for r in rows if id(r) in chosen]
    return kept, len(rows) - len(kept)
