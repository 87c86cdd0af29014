"""Hydra callback: at the end of a sweep, write and print the summary table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class SweepSummary(Callback):
    """Writes summary.csv, summary.md and summary.png into the sweep folder, prints the table.

    Exits non-zero after writing when any job failed, so scripts notice; the
    finished jobs' results stay where they are.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from rich.console import Console

        from seqlab.sweeps.summary import write_summary
        from seqlab.sweeps.table import print_table

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
