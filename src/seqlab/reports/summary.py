"""A sweep's summary: its files (summary.csv, summary.md, summary.png) and what the
terminal shows when the sweep ends or is stopped. Only the process driving the sweep
writes it (`seqlab.sweeps.driver`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqlab.errors import ConfigError, MissingExtra
from seqlab.records.files import write_text_atomic
from seqlab.reports.baseline import Baseline
from seqlab.reports.compare import derive, notes
from seqlab.reports.page import write_page
from seqlab.reports.rows import collect, headline, swept_keys
from seqlab.reports.speedup import add_group_speedups, seeds_note
from seqlab.reports.stats import group_rows, has_repeats
from seqlab.reports.table import GROUP_SPEEDUP, sort_rows, table, to_csv, to_markdown

SUMMARY_FILES = (
    "summary.csv",
    "summary.md",
    "summary.png",
    "summary.html",
    "growth.csv",
    "crossovers.csv",
)


def write_summary(
    sweep_dirs: list[Path],
    out_dir: Path,
    *,
    baseline: str | None = None,
    sort: str | None = None,
    columns: list[str] | None = None,
    chart: bool = True,
) -> tuple[list[dict[str, Any]], list[str], list[list], list[str]]:
    """Collect the jobs of `sweep_dirs` and write summary.csv/.md/.png into `out_dir`.

    Jobs that differ only in trainer.seed are summarised as groups with statistics
    (`seqlab.reports.stats`); every job is then listed in summary_jobs.csv/.md.
    `columns` limits the measured columns (the job and swept overrides always stay).
    Returns the jobs' rows, the header and the cells written to summary.csv, and the
    notes written under the table (`seqlab.reports.compare.notes`, and what was left out).
    """
    rows = collect([Path(d) for d in sweep_dirs])
    if not rows:
        raise ConfigError(
            f"No seqlab jobs under {', '.join(map(str, sweep_dirs))}: no results.json was "
            "found, so there is nothing to summarise (no summary files were written). Pass "
            "the folder of a sweep (multirun/<date>/<time>) or of a run."
        )
    if baseline:
        Baseline.parse(baseline).check(row["overrides"] for row in rows)
    derive(rows, baseline)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = rows
    if has_repeats(rows):
        # Every job stays listed in summary_jobs.*; summary.* has one row per group.
        header, cells = table(rows, baseline)
        write_text_atomic(out_dir / "summary_jobs.csv", to_csv(header, cells))
        write_text_atomic(out_dir / "summary_jobs.md", to_markdown(header, cells))
        shown = group_rows(rows)
        if baseline:
            add_group_speedups(shown, baseline, _decided([Path(d) for d in sweep_dirs]))
        add_stop_reasons(shown, [Path(d) for d in sweep_dirs])
        header, cells = table(shown, baseline, grouped=True)
    else:
        header, cells = table(rows, baseline)
    keys = swept_keys(shown)
    if sort in GROUP_SPEEDUP and not baseline:
        raise ConfigError(
            f"Cannot sort by {sort!r} without a baseline: the speed-up is measured against "
            "one. Add --baseline KEY=VALUE (e.g. --baseline impl=cell_loop), or sort by "
            "step_ms_median."
        )
    if sort:
        position = {id(row): i for i, row in enumerate(shown)}
        shown = sort_rows(shown, sort)
        cells = [cells[position[id(row)]] for row in shown]
    if columns:
        fixed = ["sweep", "metric", "job", *keys]
        unknown = [c for c in columns if c not in header]
        if unknown:
            raise ConfigError(
                f"Unknown summary column(s) {', '.join(unknown)}. Known columns: "
                f"{', '.join(h for h in header if h not in fixed)}."
            )
        keep = [i for i, h in enumerate(header) if h in fixed or h in columns]
        header = [header[i] for i in keep]
        cells = [[row[i] for i in keep] for row in cells]
    csv_file, md_file, png_file = (out_dir / name for name in SUMMARY_FILES[:3])
    write_text_atomic(csv_file, to_csv(header, cells))
    said = notes(rows)
    seeds = seeds_note(shown, keys) if baseline and shown is not rows else None
    if seeds:
        said.append(seeds)
    grown = write_growth(out_dir, shown, keys, baseline)
    if chart:
        from seqlab.reports.chart import summary_chart

        try:
            summary_chart(shown, keys, png_file)
        except MissingExtra as exc:  # the table is the summary; the chart is a picture of it
            said.append(f"chart: summary.png was not drawn: {exc}")
    below = "".join(f"\n{note}\n" for note in said)  # where a reader of the numbers looks
    write_text_atomic(md_file, to_markdown(header, cells) + below)
    write_page(out_dir, rows, shown, header, cells, baseline=baseline, grouped=shown is not rows,
               notes=said, sweep_dirs=[Path(d) for d in sweep_dirs], growth=grown)  # fmt: skip
    return rows, header, cells, said


def all_ok(rows: list[dict[str, Any]]) -> bool:
    """Whether a sweep counts as ok: every job ok, and no rows of one dataset's options
    trained on different data (`seqlab.reports.compare.data_note`)."""
    return all(row["status"] == "ok" and not row.get("data_mixed") for row in rows)


def write_growth(
    out_dir: Path, shown: list[dict[str, Any]], keys: list[str], baseline: str | None = None
) -> Any:
    """growth.csv and crossovers.csv when some numeric swept key has 3 or more values
    (`seqlab.reports.growth`); stale ones from an earlier summary go. Returns the
    curves, growth rows and crossover rows for the page (None without such a key)."""
    from seqlab.reports import growth
    from seqlab.reports.shown import label

    found = growth.curves(shown, keys, label)
    for name in ("growth.csv", "crossovers.csv"):
        (Path(out_dir) / name).unlink(missing_ok=True)
    if not found:
        return None
    grown, crossed = growth.growth_rows(found), growth.crossover_rows(found, baseline)
    write_text_atomic(Path(out_dir) / "growth.csv", growth.to_csv(grown))
    if crossed:
        write_text_atomic(Path(out_dir) / "crossovers.csv", growth.to_csv(crossed))
    return found, grown, crossed


def _decided(sweep_dirs: list[Path]) -> dict[tuple, dict[str, Any]]:
    """repeats=auto's recorded decisions, keyed by (sweep folder, overrides): each sweep's
    decisions speak of its own rows only, merged or not."""
    from seqlab.reports.decisions import decisions

    return {
        (str(folder), key): entry
        for folder in sweep_dirs
        for key, entry in decisions(folder).items()
    }


def add_stop_reasons(groups: list[dict[str, Any]], sweep_dirs: list[Path]) -> None:
    """Each group's `stopped`: why repeats=auto gave it no more seeds (auto.json)."""
    from seqlab.reports.decisions import stop_reasons

    reasons = {str(d): stop_reasons(d) for d in sweep_dirs}
    for group in groups:
        found = reasons.get(str(group.get("sweep")), {})
        group["stopped"] = found.get(tuple(sorted(group["overrides"].items())))


def finish(sweep_dir: Path, baseline: str | None) -> list[dict[str, Any]]:
    """Write and print the summary of what the sweep folder holds; return its rows."""
    from rich.console import Console

    from seqlab.reports.table import print_table

    rows, header, cells, said = write_summary([sweep_dir], sweep_dir, baseline=baseline)
    print_table(f"seqlab sweep: {sweep_dir}", header, cells)
    Console().print(f"{headline(rows)}; {files_line(sweep_dir)}", highlight=False, markup=False)
    for note in said:
        Console().print(note, highlight=False, markup=False)
    return rows


def files_line(out_dir: Path) -> str:
    """ "summary.csv, summary.md, summary.png in DIR", naming only the files written."""
    written = [name for name in SUMMARY_FILES if (Path(out_dir) / name).exists()]
    return f"{', '.join(written)} in {out_dir}"


def interrupted_paragraph(name: str, sweep_dir: Path) -> str:
    """What a signal to the sweep's driver does, in one paragraph."""
    return (
        f"interrupted by {name}; the sweep stops, and with it its jobs that are still "
        f"running (their records then read interrupted or incomplete). {sweep_dir} keeps "
        "what finished; the same command runs the rest again (a job resumes from its "
        "last checkpoint)."
    )


def summarise_interrupted(name: str, sweep_dir: Path, baseline: str | None) -> None:
    """Say that a signal stops the sweep, and write the summary of what its folder holds.

    Jobs still running are listed as `running`; once their processes are gone their
    records read `incomplete`, and the same command resumes them.
    """
    from seqlab.errors import say

    say("seqlab", interrupted_paragraph(name, sweep_dir))
    finish_quietly(sweep_dir, baseline)


def finish_quietly(sweep_dir: Path, baseline: str | None) -> None:
    """`finish`, for a sweep that stops: a summary that cannot be written is said in one
    line (the exit status is the signal's, whatever happens here)."""
    from seqlab.errors import say

    try:
        finish(sweep_dir, baseline)
    except Exception as exc:
        say("seqlab", f"no summary written: {exc}; `seqlab-report {sweep_dir}` writes it.")
