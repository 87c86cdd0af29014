"""Mutation score of the modules that hold seqlab's guarantees (issue 24, item 3).

For each module, mutmut (3.x) changes one thing at a time (a comparison, a constant, a
string, a call's argument...) and runs the fast-tier tests that reach the changed
function (`pytest -m "not e2e"`, limited to the test files mapped to the module in
MODULES below). A mutant no test notices "survived": either it cannot change what the
code does, or the tests do not pin that behaviour. Prints one row per module:

    module  mutants  killed  survived  no tests  timeout  other  score

score = (killed + timeout) / (mutants - other); "no tests" (a changed function that no
mapped fast test calls) counts against the score, like a survivor. Surviving mutants
(with their line and diff) are written to a report file, one section per module.

    pip install -e ".[test]" mutmut        # mutmut>=3.3 (uses its fork server)
    nice -n 19 python benchmarks/mutation.py                        # every module
    nice -n 19 python benchmarks/mutation.py --modules sweeps/stats.py --max-mutants 20
    python benchmarks/mutation.py --modules runs/decision.py --tests tests/test_records.py

How long: on 2 shared cores, 10 to 60 minutes a module and about 4 hours for all
nine (the checkpoint and resume tests train small models, so the record, files and
decision modules cost the most); --max-mutants 20 takes 2 to 5 minutes a module
(most of it is mutmut's three clean runs of the mapped tests). --time-limit (minutes
per module, default 60) stops a module's campaign and reports what it counted so far.
Not part of CI's default run.

It never touches the checkout: the tracked and untracked-but-not-ignored files are
copied into a temporary folder (deleted afterwards unless --keep), mutmut's config is
written into the copy's pyproject.toml, mutmut makes its mutants/ there, and the copy's
sources come first on PYTHONPATH (so tests that start `python -m seqlab` run the mutant
too). Tests that fail on the unmutated copy are reported and deselected, since mutmut
needs a green baseline. mutmut only mutates code inside functions and methods: module
constants and class bodies (dataclass defaults, tables such as columns.COLUMNS) are not
mutated, so a score says nothing about them.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path("src/seqlab")

# Module (under src/seqlab/) -> the fast-tier test files that reach it. Chosen from a
# coverage run of the whole fast tier with per-test contexts: every file with a test
# that executes the module, less the few that reach it only through a whole training
# run and assert nothing about it (test_config_validation, test_gpu_path,
# test_custom_cells). mutmut itself narrows each mutant to the tests that call its
# function, so a broader list costs only the clean runs.
RECORD_TESTS = [
    "tests/test_records.py",
    "tests/test_hostile.py",
    "tests/test_summary.py",
    "tests/test_compare.py",
    "tests/test_stats.py",
    "tests/test_saved_runs.py",
    "tests/test_resume_edges.py",
    "tests/test_experiment.py",
    "tests/test_auto_repeats.py",
]
SWEEP_TESTS = [
    "tests/test_summary.py",
    "tests/test_compare.py",
    "tests/test_stats.py",
    "tests/test_auto_repeats.py",
    "tests/test_baseline.py",
    "tests/test_sequential.py",
    "tests/test_crossover.py",
    "tests/test_growth.py",
    "tests/test_records.py",
    "tests/test_hostile.py",
]
PAGE_TESTS = [
    "tests/test_page.py",
    "tests/test_summary.py",
    "tests/test_stats.py",
    "tests/test_growth.py",
    "tests/test_records.py",
    "tests/test_hostile.py",
]
MODULES: dict[str, list[str]] = {
    "records/files.py": RECORD_TESTS,
    "records/record.py": RECORD_TESTS,
    "records/columns.py": RECORD_TESTS,
    "runs/decision.py": [
        "tests/test_records.py",
        "tests/test_hostile.py",
        "tests/test_resume_edges.py",
        "tests/test_experiment.py",
    ],
    "models/numpy_init.py": [
        "tests/test_same_start.py",
        "tests/test_resume_edges.py",
        "tests/test_experiment.py",
    ],
    "reports/stats.py": SWEEP_TESTS,
    "reports/compare.py": SWEEP_TESTS,
    "reports/baseline.py": SWEEP_TESTS,
    "reports/speedup.py": SWEEP_TESTS,
    "reports/sequential.py": ["tests/test_sequential.py", "tests/test_stats.py"],
    "reports/crossover.py": ["tests/test_crossover.py", "tests/test_auto_repeats.py"],
    "reports/growth.py": SWEEP_TESTS,
    "reports/page/__init__.py": PAGE_TESTS,
    "reports/page/charts.py": PAGE_TESTS,
}
# Where a module lived before the re-cut (issue 24), for reading older reports.
MOVED = {
    "sweeps/columns.py": "records/columns.py",
    "sweeps/stats.py": "reports/stats.py",
    "sweeps/compare.py": "reports/compare.py",
    "sweeps/page/__init__.py": "reports/page/__init__.py",
    "sweeps/page/charts.py": "reports/page/charts.py",
}

# mutmut's exit codes, as mutmut.stats.status_by_exit_code has them (read from there
# when it is importable, so a newer mutmut's codes are used).
STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "caught by type check",
    None: "not checked",
}
try:
    from mutmut.stats import status_by_exit_code as _mutmut_status

    def status_of(code: int | None) -> str:
        return _mutmut_status[code]
except ImportError:  # pragma: no cover - mutmut not importable here

    def status_of(code: int | None) -> str:
        return STATUS.get(code, "suspicious")


def copy_checkout(dest: Path) -> None:
    """The checkout's tracked and untracked-but-not-ignored files (or src/tests/conf)."""
    try:
        names = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=ROOT,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
    except (OSError, subprocess.CalledProcessError):  # an sdist: no git
        names = [
            str(p.relative_to(ROOT))
            for top in ("src", "tests", "conf", "pyproject.toml")
            for p in ([ROOT / top] if (ROOT / top).is_file() else (ROOT / top).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts
        ]
    for name in filter(None, names):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def configure(tree: Path, module: str, tests: list[str], deselect: list[str], marker: str) -> None:
    """mutmut's settings for one module, in the copy's pyproject.toml."""
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text()
    if "[tool.mutmut]" in text:
        text = text[: text.index("[tool.mutmut]")]  # ours replaces the project's
    # One process: the project's addopts run the suite on two workers (pytest-xdist).
    args = ["-m", marker, "-p", "no:cacheprovider", "-q", "-n", "0"]
    for test in deselect:
        args += ["--deselect", test]
    pyproject.write_text(
        text
        + "\n[tool.mutmut]\n"
        + f"only_mutate = {toml_list([str(PACKAGE / module)])}\n"
        + f"also_copy = {toml_list(['conf'])}\n"
        + f"pytest_add_cli_args = {toml_list(args)}\n"
        + f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        # TensorFlow is not fork-safe once it has run an op: forking mutmut's main
        # process (which ran the tests to collect coverage) hangs the training tests,
        # and every such mutant reads as a timeout. A fork server that only imported
        # the test modules is safe.
        + 'process_isolation = "forkserver"\n'
        + 'forkserver_warmup = "collect"\n'
        + "use_git_change_detection = false\n"
    )


def env_for(tree: Path, sources: Path) -> dict[str, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(sources), os.environ.get("PYTHONPATH")]))
    env.pop("MUTANT_UNDER_TEST", None)
    return env


def baseline_failures(tree: Path, tests: list[str], marker: str, log) -> list[str]:
    """Tests that fail on the unmutated copy: mutmut needs them deselected."""
    report = tree / ".baseline.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            marker,
            "-p",
            "no:cacheprovider",
            "-q",
            "-n",
            "0",
            f"--junitxml={report}",
            *tests,
        ],
        cwd=tree,
        env=env_for(tree, tree / "src"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    if not report.exists():
        raise SystemExit(f"the baseline run of {tests} wrote no report; see the log")
    failed = []
    for case in ET.parse(report).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            path = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
            failed.append(f"{path}::{case.get('name')}")
    return failed


def mutmut(tree: Path, names: list[str], jobs: int, deadline: float | None, log) -> bool:
    """`mutmut run NAMES` in the copy; False when the deadline stopped it."""
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *names]
    # mutants/src is first on PYTHONPATH; were it missing when Python starts, Python
    # would remember it as no folder and import the unmutated checkout instead.
    (tree / "mutants" / "src").mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        command,
        cwd=tree,
        env=env_for(tree, tree / "mutants" / "src"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        while process.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGINT)  # mutmut saves what it has
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                return False
            time.sleep(2)
    except KeyboardInterrupt:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    return True


def results(tree: Path, module: str) -> dict[str, int | None]:
    meta = tree / "mutants" / PACKAGE / (module + ".meta")
    if not meta.exists():
        return {}
    return json.loads(meta.read_text())["exit_code_by_key"]


def import_time_functions(path: Path) -> set[str]:
    """The module's functions that it calls while being imported (a factory such as
    columns._at building the COLUMNS table). mutmut switches mutants on inside processes
    that imported the module already, so such a mutant is never what runs: it needs a
    fresh process with MUTANT_UNDER_TEST set before the import."""
    tree = ast.parse(path.read_text())
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    evaluated: list[ast.AST] = []
    for statement in tree.body:
        inner = statement.body if isinstance(statement, ast.ClassDef) else [statement]
        if isinstance(statement, ast.ClassDef):
            evaluated += statement.decorator_list + statement.bases
        for node in inner:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                evaluated += node.decorator_list + node.args.defaults
                evaluated += [d for d in node.args.kw_defaults if d is not None]
            else:
                evaluated.append(node)
    return {
        call.func.id
        for node in evaluated
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id in functions
    }


def recheck(
    tree: Path, names: list[str], tests: list[str], deselect: list[str], marker: str, log
) -> set:
    """The mutants (of import-time functions) that the tests kill in a fresh process."""
    killed = set()
    for name in names:
        env = {**env_for(tree, tree / "mutants" / "src"), "MUTANT_UNDER_TEST": name}
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-n",
            "0",
            "-m",
            marker,
            "-p",
            "no:cacheprovider",
            *tests,
        ]
        for test in deselect:
            command += ["--deselect", test]
        log.write(f"\n== recheck {name}\n")
        log.flush()
        done = subprocess.run(
            command, cwd=tree / "mutants", env=env, stdout=log, stderr=subprocess.STDOUT
        )
        if done.returncode not in (0, 5):
            killed.add(name)
    return killed


def where(tree: Path, module: str, diff: str) -> int | None:
    """The line of the original module that a mutant's diff changes (its first "-" line,
    found by matching the hunk's old side, context included, against the module)."""
    source = [line.strip() for line in (tree / PACKAGE / module).read_text().splitlines()]
    hunk = diff.split("\n@@", 1)[-1].splitlines()[1:]
    old = [line for line in hunk if line[:1] in (" ", "-")]
    first = next((i for i, line in enumerate(old) if line.startswith("-")), None)
    if first is None:
        return None
    block = [line[1:].strip() for line in old]
    for start in range(len(source) - len(block) + 1):
        if source[start : start + len(block)] == block:
            return start + first + 1
    return None


def describe(tree: Path, module: str, name: str) -> tuple[int | None, str]:
    shown = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", name],
        cwd=tree,
        env=env_for(tree, tree / "mutants" / "src"),
        capture_output=True,
        text=True,
    ).stdout
    diff = shown.split("\n", 1)[-1]
    changed = [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("---", "+++"))
    ]
    return where(tree, module, diff), "\n".join(changed)


def run_module(module: str, tests: list[str], args, report) -> dict:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="seqlab-mutation-", dir=args.workdir))
    tree = work / "tree"
    tree.mkdir()
    log_path = work / "mutmut.log"
    row = {"module": module, "stopped": False}
    try:
        copy_checkout(tree)
        with open(log_path, "w") as log:
            failing = baseline_failures(tree, tests, args.marker, log)
            configure(tree, module, tests, failing, args.marker)
            row["deselected"] = failing
            deadline = started + args.time_limit * 60 if args.time_limit else None
            names: list[str] = only(args.only, module) if args.only else []
            if args.only and not names:
                row.update(counts=Counter(), total=0, minutes=0.0)
                return row
            if args.max_mutants and not names:
                # Generation and mutmut's stats only (a name that matches nothing ends
                # the run there), then an even sample of the mutants by name.
                mutmut(tree, ["__none__"], args.jobs, deadline, log)
                every = sorted(results(tree, module), key=_natural)
                step = max(1, len(every) // args.max_mutants)
                names = every[::step][: args.max_mutants]
            row["stopped"] = not mutmut(tree, names, args.jobs, deadline, log)
        codes = results(tree, module)
        if names:
            codes = {k: v for k, v in codes.items() if k in names}
        at_import = import_time_functions(tree / PACKAGE / module)
        # A function's mutant is "module.x_name__mutmut_N"; a method's names its class
        # ("module.xǁClassǁname__mutmut_N") and never runs at import.
        plain = {k: re.search(r"\.x_(.+)__mutmut_\d+$", k) for k in codes}
        again = [
            k
            for k, v in codes.items()
            if status_of(v) in ("survived", "no tests")
            and plain[k] is not None
            and plain[k][1] in at_import
        ]
        if again:
            with open(log_path, "a") as log:
                killed = recheck(
                    tree, sorted(again, key=_natural), tests, failing, args.marker, log
                )
            codes.update({k: 1 for k in killed})
            row["rechecked"] = (len(again), len(killed))
        counts = Counter(status_of(code) for code in codes.values())
        row.update(counts=counts, total=len(codes), minutes=(time.monotonic() - started) / 60)
        lost = [k for k, v in codes.items() if status_of(v) in ("survived", "no tests")]
        report.write(f"\n## {module}\n\ntests: {' '.join(tests)}\n")
        if failing:
            report.write(f"deselected (fail unmutated): {' '.join(failing)}\n")
        for name in sorted(lost, key=_natural):
            line, change = describe(tree, module, name)
            report.write(f"\n### {name} ({status_of(codes[name])}) line {line}\n{change}\n")
        report.flush()
        if row["total"] == 0:
            print(f"{module}: no results; the log says why: {log_path}", file=sys.stderr)
            args.keep = True
    finally:
        if args.keep:
            print(f"{module}: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return row


def only(report: Path, module: str) -> list[str]:
    """The mutants of `module` that an earlier run's report lists as surviving."""
    prefix = "seqlab." + module.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    names = re.findall(r"^### (\S+) \(", report.read_text(), flags=re.M)
    return [n for n in names if re.fullmatch(re.escape(prefix) + r"\.x[^.]*__mutmut_\d+", n)]


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def table(rows: list[dict]) -> str:
    head = [
        "module",
        "mutants",
        "killed",
        "survived",
        "no tests",
        "timeout",
        "other",
        "score",
        "min",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        c = row.get("counts", Counter())
        killed, timeout = c["killed"], c["timeout"]
        other = row.get("total", 0) - killed - timeout - c["survived"] - c["no tests"]
        scored = row.get("total", 0) - other
        score = f"{100 * (killed + timeout) / scored:.1f} %" if scored else "-"
        if row.get("stopped"):
            score += " (stopped: partial)"
        lines.append(
            "| "
            + " | ".join(
                str(v)
                for v in [
                    row["module"],
                    row.get("total", 0),
                    killed,
                    c["survived"],
                    c["no tests"],
                    timeout,
                    other,
                    score,
                    f"{row.get('minutes', 0):.0f}",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--modules",
        nargs="+",
        default=list(MODULES),
        help="paths under src/seqlab/ (default: all of MODULES)",
    )
    parser.add_argument(
        "--tests",
        nargs="+",
        help="test files for every module chosen (default: each module's files in MODULES)",
    )
    parser.add_argument(
        "--max-mutants",
        type=int,
        default=0,
        help="test an even sample of this many mutants per module",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60,
        help="minutes per module before its campaign is stopped (0: none)",
    )
    parser.add_argument(
        "--marker",
        default="not e2e",
        help='pytest -m expression (default "not e2e"; "e2e" with --only asks which '
        "survivors the e2e tier kills)",
    )
    parser.add_argument(
        "--only",
        type=Path,
        help="a survivors report of an earlier run: test only the mutants it lists",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--report", type=Path, help="where the survivors go (default: a file in the temp folder)"
    )
    parser.add_argument("--workdir", help="where the temporary copies are made")
    parser.add_argument("--keep", action="store_true", help="keep the copies (mutants/ inside)")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if not (ROOT / PACKAGE / m).is_file()]
    if unknown:
        parser.error(f"no such module under {PACKAGE}: {unknown}")
    report_path = args.report or Path(tempfile.mkstemp(prefix="mutation-", suffix=".md")[1])
    rows = []
    with open(report_path, "w") as report:
        report.write("# Surviving mutants\n")
        for module in args.modules:
            tests = args.tests or MODULES.get(module)
            if not tests:
                parser.error(f"{module} has no tests in MODULES; pass --tests")
            rows.append(run_module(module, tests, args, report))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
            if "rechecked" in rows[-1]:
                again, killed = rows[-1]["rechecked"]
                print(f"    import-time mutants rerun in a fresh process: {again}, killed {killed}")
            for test in rows[-1].get("deselected", []):
                print(f"    deselected, fails unmutated: {test}", flush=True)
    print()
    print(table(rows))
    print(f"\nsurvivors: {report_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
