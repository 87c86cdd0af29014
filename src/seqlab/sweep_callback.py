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


class SweepSummary(Callback):
    """Writes summary.csv and summary.md into the sweep folder and prints the table.

    Exits non-zero after writing when any job failed, so scripts notice; the
    finished jobs' results stay where they are.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from rich.console import Console
        from rich.table import Table

        from seqlab.summary import collect, fmt, table, to_csv, to_markdown

        sweep_dir = Path(config.hydra.sweep.dir)
        rows = collect([sweep_dir])
        baseline = config.get("report", {}).get("baseline")
        header, cells = table(rows, baseline)
        (sweep_dir / "summary.csv").write_text(to_csv(header, cells))
        (sweep_dir / "summary.md").write_text(to_markdown(header, cells))

        # The terminal gets the columns that answer "which is better"; the files have all.
        shown = [i for i, name in enumerate(header) if name not in HIDDEN_IN_TERMINAL]
        view = Table(title=f"seqlab sweep: {sweep_dir}")
        for i in shown:
            view.add_column(header[i], overflow="fold")
        for row in cells:
            view.add_row(*(fmt(row[i]) for i in shown))
        console = Console()
        if not console.is_terminal:  # a log file: no reason to wrap at 80 columns
            console = Console(width=160)
        console.print(view)
        failed = [row for row in rows if row["status"] != "ok"]
        console.print(f"{len(rows) - len(failed)} ok, {len(failed)} failed; summary in {sweep_dir}")
        if failed:
            sys.exit(1)
