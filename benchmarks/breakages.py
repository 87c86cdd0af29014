"""Break one promise at a time, by hand, and see whether the suite notices (issue 24).

Mutation testing (`benchmarks/mutation.py`) changes one token at a time, at random;
this script makes the breakages a careless change would make to seqlab's guarantees,
each a plain text substitution in a copy of the checkout, and runs the fast tier
(`pytest -m "not e2e" -x`) against it. A breakage the tier does not fail on is a
promise the suite does not pin. Prints one row per breakage:

    breakage  promise  caught-by (the first failing test) | SURVIVED

    nice -n 19 python benchmarks/breakages.py                 # all, about 30 minutes
    python benchmarks/breakages.py --only in_place page_json  # some
    python benchmarks/breakages.py --marker e2e --only ...    # ask the e2e tier instead

A substitution that no longer matches the source (the code moved) is reported as
"stale" and counts as a failure of this script (exit 1), so the list cannot rot
silently. Never touches the checkout: the copy's sources come first on PYTHONPATH.
Not part of CI's default run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutation import ROOT, copy_checkout


@dataclass(frozen=True)
class Breakage:
    name: str
    promise: str
    path: str  # under src/seqlab/
    old: str
    new: str


BREAKAGES = [
    Breakage(
        "in_place",
        "a record is written to a temporary and renamed: a kill leaves the old file whole",
        "records/files.py",
        "    write_atomic(path, lambda tmp: tmp.write_text(text))",
        "    path.write_text(text)",
    ),
    Breakage(
        "no_cleanup",
        "a write that fails leaves no temporary behind",
        "records/files.py",
        "        if tmp.exists():\n            tmp.unlink()",
        "        pass",
    ),
    Breakage(
        "page_json",
        "the page's inline JSON cannot close its <script>",
        "reports/page/__init__.py",
        '.replace("<", "\\\\u003c").replace(">", "\\\\u003e")',
        "",
    ),
    Breakage(
        "page_notes",
        "a note from a record is text on the page, never markup",
        "reports/page/__init__.py",
        "<p class='note'>{html.escape(n)}</p>\" for n in notes",
        "<p class='note'>{n}</p>\" for n in notes",
    ),
    Breakage(
        "no_numpy_start",
        "every impl and backend starts from the same weights (drawn in NumPy)",
        "training/trainer.py",
        "return model, initialize(model, run.cfg.trainer.seed)",
        "return model, []",
    ),
    Breakage(
        "group_kinds",
        "a group of seeds shows each column as its kind says (mean, worst, first...)",
        "reports/stats.py",
        'kind = "worst" if column.name == "same_start" else column.group',
        'kind = "first"',
    ),
    Breakage(
        "slower_as_within",
        "an interval wholly below 1 reads 'slower beyond the noise'",
        "reports/decisions.py",
        "SLOWER: lambda low, high, resolution: high < 1.0,",
        "SLOWER: lambda low, high, resolution: False,",
    ),
    Breakage(
        "direction",
        "'best' follows the record's higher_is_better (pixel_mse: lower)",
        "reports/page/charts.py",
        "return said.pop() if len(said) == 1 else None",
        "return True",
    ),
    Breakage(
        "resume_other_config",
        "a folder holding another experiment is refused, not resumed or skipped",
        "runs/decision.py",
        "    if guarded and theirs is not None and theirs != mine:",
        "    if False:",
    ),
    Breakage(
        "read_only_other_config",
        "a finished run in a read-only folder is skipped only for the same experiment",
        "runs/decision.py",
        'return record if fingerprint(record["config"]) == fingerprint(config) else None',
        "return record",
    ),
    Breakage(
        "nominal_alpha",
        "repeats=auto keeps its 5 % over all looks (not 5 % at each look)",
        "reports/sequential.py",
        "return (nominal_level(min_looks, max_looks, alpha),) * count",
        "return (alpha,) * count",
    ),
    Breakage(
        "busy_never",
        "a job trained beside a neighbour's load is marked busy",
        "reports/compare.py",
        'row["busy"] = mean > BUSY_MEAN or (peak is not None and peak > BUSY_PEAK)',
        'row["busy"] = False',
    ),
    Breakage(
        "fixed_turns",
        "the interleaving launcher grants turns in a fresh random order each round",
        "sweeps/interleave.py",
        "    rng.shuffle(order)\n    return order",
        "    return order",
    ),
    Breakage(
        "crossover_ignored",
        "an interleaved speed-up is adjusted for which job warmed up first",
        "reports/crossover.py",
        "def usable(orders: Sequence[int | None]) -> bool:\n",
        "def usable(orders: Sequence[int | None]) -> bool:\n    return False\n",
    ),
]


SURVIVED, STALE, UNCLEAR = "SURVIVED", "stale", "unclear"


def stale_breakages(root: Path = ROOT) -> list[str]:
    """The breakages whose text to replace is not in their source exactly once."""
    return [
        b.name
        for b in BREAKAGES
        if (root / "src" / "seqlab" / b.path).read_text().count(b.old) != 1
    ]


def first_failure(output: str) -> str:
    # "FAILED tests/x.py::test[an id with spaces] - AssertionError: ..."
    found = re.search(r"^(?:FAILED|ERROR) (.+?)(?: - |$)", output, re.M)
    return found[1] if found else "(failed: see the log)"


def run(breakage: Breakage, marker: str, workdir: str | None) -> tuple[str, float]:
    with tempfile.TemporaryDirectory(prefix="seqlab-break-", dir=workdir) as scratch:
        tree = Path(scratch)
        copy_checkout(tree)
        source = tree / "src" / "seqlab" / breakage.path
        text = source.read_text()
        if text.count(breakage.old) != 1:
            return f"{STALE} (the text to break is not in the source once)", 0.0
        source.write_text(text.replace(breakage.old, breakage.new))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(tree / "src"), env.get("PYTHONPATH")])
        )
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-m", marker, "-x", "-q", "-p", "no:cacheprovider"],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
        )
        took = time.monotonic() - start
        if done.returncode == 0:
            return SURVIVED, took
        # -x under pytest-xdist ends with exit 2 ("Interrupted") after the first failure.
        if done.returncode in (1, 2) and re.search(r"^(FAILED|ERROR) ", done.stdout, re.M):
            return first_failure(done.stdout), took
        # Not a test failing on the breakage (a collection error, no tests): not "caught".
        return f"{UNCLEAR} (pytest exit {done.returncode}: {done.stdout[-300:]!r})", took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", help="breakage names (default: all)")
    parser.add_argument("--marker", default="not e2e", help='pytest -m (default "not e2e")')
    parser.add_argument("--workdir", help="where the temporary copies are made")
    args = parser.parse_args()
    chosen = [b for b in BREAKAGES if not args.only or b.name in args.only]
    unknown = set(args.only or []) - {b.name for b in BREAKAGES}
    if unknown:
        parser.error(f"no breakage named {', '.join(sorted(unknown))}")
    if shutil.which("git") is None:
        print("note: no git here; the copy is src, tests, conf and pyproject.toml", file=sys.stderr)
    caught = stale = 0
    print(f"# breakages against `pytest -m {args.marker!r}` at {ROOT}", flush=True)
    for breakage in chosen:
        verdict, took = run(breakage, args.marker, args.workdir)
        caught += not verdict.startswith((SURVIVED, STALE, UNCLEAR))
        stale += verdict.startswith(STALE)
        print(
            f"{breakage.name:20} {took:6.0f} s  {verdict}\n{'':20} ({breakage.promise})", flush=True
        )
    print(f"# caught {caught} of {len(chosen)}" + (f"; {stale} stale" if stale else ""))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
