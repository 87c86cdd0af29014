"""`seqlab-report DIR [DIR ...]`: rebuild a sweep's summary files from its results.json files.

Several sweep directories merge into one table, so sweeps run on different days
or machines can be compared side by side.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seqlab.records.columns import COLUMNS

EPILOG = f"""\
columns: {", ".join(c.name for c in COLUMNS)}, speedup (with --baseline), error; merged
folders add sweep, and jobs with different task metrics add metric.
exit status: 0 every job ok, 1 some job failed, was interrupted, is incomplete,
unreadable or not run, 2 bad arguments or nothing to summarise.
examples:
  seqlab-report multirun/2026-11-23/10-00-00
  seqlab-report multirun/a multirun/b --out compare --sort step_ms_median \\
      --baseline impl=cell_loop --columns val_accuracy step_ms_median speedup
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="seqlab-report",
        description="Write summary.csv, summary.md and summary.png for one or more sweeps.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dirs", nargs="+", type=Path, help="sweep directories (searched deeply)")
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write the files (default: the sweep directory when there is one, "
        "else the current directory)",
    )
    parser.add_argument("--sort", help="a column or swept override to sort by (default: job order)")
    parser.add_argument("--columns", nargs="+", help="measured columns to keep (default: all)")
    parser.add_argument("--baseline", help="an override such as impl=cell_loop: adds speedup")
    parser.add_argument("--no-chart", action="store_true", help="skip summary.png")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from rich.console import Console

    from seqlab.errors import SeqlabError
    from seqlab.reports.rows import headline
    from seqlab.reports.summary import all_ok, files_line, write_summary
    from seqlab.reports.table import print_table

    err = Console(stderr=True, markup=False)  # folder names and values are text, not markup
    missing = [str(d) for d in args.dirs if not d.is_dir()]
    if missing:
        err.print(
            f"seqlab-report: no such directory: {', '.join(missing)}. Pass the sweep "
            "directories that Hydra created (e.g. multirun/<date>/<time>).",
            highlight=False,
            soft_wrap=True,
        )
        return 2
    resolved = [d.resolve() for d in args.dirs]
    twice = sorted({str(d) for d in args.dirs if resolved.count(d.resolve()) > 1})
    if twice:
        err.print(
            f"seqlab-report: {', '.join(twice)} given more than once; every job would be "
            "listed (and counted) twice. Pass each sweep directory once.",
            highlight=False,
            soft_wrap=True,
        )
        return 2
    nested = [
        f"{inner} is inside {outer}"
        for inner, inner_path in zip(args.dirs, resolved, strict=True)
        for outer, outer_path in zip(args.dirs, resolved, strict=True)
        if inner_path != outer_path and inner_path.is_relative_to(outer_path)
    ]
    if nested:
        err.print(
            f"seqlab-report: {'; '.join(nested)}, so the jobs below both would be listed (and "
            "counted) twice: a folder's report includes every sweep below it. Pass the outer "
            "folder alone, or the inner folders without it.",
            highlight=False,
            soft_wrap=True,
        )
        return 2
    out = args.out or (args.dirs[0] if len(args.dirs) == 1 else Path.cwd())
    try:
        rows, header, cells, said = write_summary(
            args.dirs,
            out,
            baseline=args.baseline,
            sort=args.sort,
            columns=args.columns,
            chart=not args.no_chart,
        )
    except SeqlabError as exc:
        err.print(f"seqlab-report: {exc}", highlight=False, soft_wrap=True)
        return 2
    except OSError as exc:
        err.print(
            f"seqlab-report: could not write the summary into {out}: {exc.strerror} "
            f"({exc.filename}). Choose a writable folder with --out.",
            highlight=False,
            soft_wrap=True,
        )
        return 2
    print_table(f"seqlab report: {len(rows)} jobs", header, cells)
    files = files_line(out)
    Console().print(f"{headline(rows)}; {files}", highlight=False, markup=False)
    for note in said:
        Console().print(note, highlight=False, markup=False)
    # Like the sweep itself: a table with a job that is not ok is not a clean result.
    return 0 if all_ok(rows) else 1


def console_main() -> None:
    sys.exit(main())
