"""Hydra callback: at the end of a sweep, write and print the summary table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

HIDDEN_IN_TERMINAL = {
    "step_ms_p90",
    "total_s",
    "params",
    "peak_rss_mb",
    "device",
    "kernel",
    "error",
}


def print_table(title: str, header: list[str], cells: list[list]) -> None:
    """The columns that answer "which is better" as a rich table; the files have all."""
    from rich.console import Console
    from rich.table import Table

    from seqlab.summary import fmt

    shown = [i for i, name in enumerate(header) if name not in HIDDEN_IN_TERMINAL]
    view = Table(title=title)
    for i in shown:
        view.add_column(header[i], overflow="fold")
    for row in cells:
        view.add_row(*(fmt(row[i]) for i in shown))
    console = Console()
    if not console.is_terminal:  # a log file: no reason to wrap at 80 columns
        console = Console(width=160)
    console.print(view)


class SweepSummary(Callback):
    """Writes summary.csv, summary.md and summary.png into the sweep folder, prints the table.

    Exits non-zero after writing when any job failed, so scripts notice; the
    finished jobs' results stay where they are.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from rich.console import Console

        from seqlab.summary import write_summary

        sweep_dir = Path(config.hydra.sweep.dir)
        baseline = config.get("report", {}).get("baseline")
        rows, header, cells = write_summary([sweep_dir], sweep_dir, baseline=baseline)
        print_table(f"seqlab sweep: {sweep_dir}", header, cells)
        failed = [row for row in rows if row["status"] != "ok"]
        Console().print(
            f"{len(rows) - len(failed)} ok, {len(failed)} failed; "
            f"summary.csv, summary.md, summary.png in {sweep_dir}",
            highlight=False,
        )
        if failed:
            sys.exit(1)
