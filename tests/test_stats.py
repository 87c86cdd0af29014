"""Repeated seeds: grouped rows with mean, std, 95 % interval, n, and the speed-up's interval."""

from __future__ import annotations

import csv
import json
import math
import statistics

import pytest
from scipy import stats as scipy_stats

from seqlab.cli.arguments import expand_repeats
from seqlab.errors import ConfigError
from seqlab.reports.compare import derive
from seqlab.reports.sequential import seeds_for
from seqlab.reports.speedup import add_group_speedups
from seqlab.reports.stats import describe, group_rows, has_repeats
from seqlab.reports.summary import write_summary
from seqlab.reports.table import table

from .conftest import run_cli
from .records import seqlab_record
from .test_summary import write_job


def test_describe_matches_textbook_statistics():
    values = [10.0, 12.0, 11.0, 15.0]
    mean, std, half = describe(values)
    assert mean == pytest.approx(statistics.mean(values))
    assert std == pytest.approx(statistics.stdev(values))
    expected = scipy_stats.t.ppf(0.975, 3) * statistics.stdev(values) / 2
    assert half == pytest.approx(expected)
    assert describe([3.0]) == (3.0, None, None) and describe([]) == (None, None, None)


@pytest.fixture
def seeded_sweep(tmp_path):
    """lstm is clearly slower than gru over 4 seeds; simple_rnn equals lstm within noise."""
    sweep = tmp_path / "sweep"
    times = {
        "lstm": [100.0, 102.0, 98.0, 101.0],
        "gru": [50.0, 51.0, 49.0, 50.5],
        "simple_rnn": [90.0, 115.0, 95.0, 105.0],
    }
    number = 0
    for model, steps in times.items():
        for seed, ms in enumerate(steps, 1):
            write_job(
                sweep, number, [f"model={model}", f"trainer.seed={seed}"], ms, 0.5 + seed / 100
            )
            number += 1
    return sweep


def test_jobs_that_differ_only_in_the_seed_become_one_row_each(seeded_sweep, tmp_path):
    _, header, cells, _ = write_summary([seeded_sweep], tmp_path / "out", chart=False)
    assert [c[header.index("model")] for c in cells] == ["lstm", "gru", "simple_rnn"]
    assert "trainer.seed" not in header
    lstm = dict(zip(header, cells[0], strict=True))
    assert lstm["n"] == 4 and lstm["seeds"] == "1,2,3,4" and lstm["job"] == "0,1,2,3"
    assert lstm["step_ms_median"] == pytest.approx(100.25)
    assert lstm["step_ms_median_std"] == pytest.approx(statistics.stdev([100, 102, 98, 101]))
    assert lstm["val_accuracy"] == pytest.approx(0.525)
    with open(tmp_path / "out" / "summary_jobs.csv") as f:
        assert len(list(csv.DictReader(f))) == 12  # every job is still listed


def _groups(sweep, baseline):
    from seqlab.reports.rows import collect

    rows = collect([sweep])
    derive(rows, baseline)
    groups = group_rows(rows)
    add_group_speedups(groups, baseline)
    return groups


def test_the_speed_up_is_paired_seed_by_seed_with_an_interval_that_decides(seeded_sweep):
    groups = _groups(seeded_sweep, "model=lstm")
    header, cells = table(groups, "model=lstm", grouped=True)
    rows = {c[header.index("model")]: dict(zip(header, c, strict=True)) for c in cells}
    gru = rows["gru"]
    # Seed r of gru against seed r of lstm: the geometric mean of the 4 paired ratios.
    ratios = [100 / 50, 102 / 51, 98 / 49, 101 / 50.5]
    assert gru["speedup"] == pytest.approx(statistics.geometric_mean(ratios))
    assert gru["speedup_low"] == pytest.approx(2.0) == gru["speedup_high"]  # 2x every seed
    assert gru["beyond_noise"] is True and gru["speedup_n"] == 4
    assert "paired over 4 seeds" in gru["speedup_method"]
    # scipy's one-sample t interval of the log-ratios is the oracle.
    logs = [math.log(100 / 90), math.log(102 / 115), math.log(98 / 95), math.log(101 / 105)]
    oracle = scipy_stats.ttest_1samp(logs, 0.0).confidence_interval(0.95)
    noisy = rows["simple_rnn"]
    assert noisy["speedup_low"] == pytest.approx(math.exp(oracle.low))
    assert noisy["speedup_high"] == pytest.approx(math.exp(oracle.high))
    assert noisy["beyond_noise"] is False
    assert rows["lstm"]["speedup"] == pytest.approx(1.0)
    # The seeds +-5 % would take at each one's spread: 2 at none, more for the noisy one.
    assert gru["seeds_for_5pct"] == 2 and rows["lstm"]["seeds_for_5pct"] is None
    assert noisy["seeds_for_5pct"] == seeds_for(statistics.stdev(logs)) > 4


def test_pairing_removes_a_drift_that_two_means_keep(tmp_path):
    """The machine slows 30 % over the sweep; gru is 1.5x faster in every round. The ratio
    of the two means reads the drift as noise; the pairs do not."""
    sweep = tmp_path / "sweep"
    number = 0
    for seed in range(1, 5):
        machine = 1.0 + 0.1 * (seed - 1)
        for model, ms in (("lstm", 150.0), ("gru", 100.0)):
            write_job(sweep, number, [f"trainer.seed={seed}", f"model={model}"], ms * machine)
            number += 1
    gru = next(g for g in _groups(sweep, "model=lstm") if g["overrides"]["model"] == "gru")
    assert gru["speedup"] == pytest.approx(1.5)
    assert gru["speedup_high"] / gru["speedup_low"] == pytest.approx(1.0)
    assert gru["beyond_noise"] is True


def test_without_seed_repeats_the_table_stays_one_row_per_job(tmp_path):
    sweep = tmp_path / "sweep"
    write_job(sweep, 0, ["model=lstm"], 10.0, 0.5)
    write_job(sweep, 1, ["model=gru"], 12.0, 0.6)
    from seqlab.reports.rows import collect

    assert not has_repeats(collect([sweep]))
    _, header, _, _ = write_summary([sweep], tmp_path / "out", chart=False)
    assert "n" not in header and not (tmp_path / "out" / "summary_jobs.csv").exists()


def test_repeats_n_is_a_seed_sweep_and_its_misuse_is_refused():
    assert expand_repeats(["-m", "model=lstm,gru", "repeats=3"]) == [
        "-m",
        "trainer.seed=1,2,3",  # first: the seed varies slowest, rounds alternate
        "model=lstm,gru",
    ]
    assert expand_repeats(["model=lstm"]) == ["model=lstm"]
    for argv, message in (
        (["model=lstm", "repeats=3"], "Add -m"),
        (["-m", "repeats=0"], "integer >= 1"),
        (["-m", "repeats=2", "trainer.seed=5"], "Keep one of them"),
    ):
        with pytest.raises(ConfigError, match=message):
            expand_repeats(argv)


@pytest.mark.e2e
def test_the_issue_command_groups_two_models_over_three_seeds(tmp_path):
    args = ["-m", "model=lstm,gru", "trainer.seed=1,2,3", "trainer=smoke"]
    result = run_cli(*args, "trainer.progress=false", "hydra.sweep.dir=sweep", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    with open(tmp_path / "sweep" / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["model"], r["n"]) for r in rows] == [("lstm", "3"), ("gru", "3")]
    for row in rows:
        assert float(row["val_accuracy_std"]) >= 0 and float(row["first_epoch_s_std"]) > 0
    assert "n" in result.stdout and "6 ok" in result.stdout
    repeated = run_cli(
        "-m", "model=lstm", "repeats=2", "trainer=smoke", "trainer.progress=false",
        "hydra.sweep.dir=again", cwd=tmp_path,
    )  # fmt: skip
    assert repeated.returncode == 0, repeated.stderr[-2000:]
    with open(tmp_path / "again" / "summary.csv") as f:
        (row,) = list(csv.DictReader(f))
    assert row["n"] == "2" and row["seeds"] == "1,2"


def test_n_counts_the_values_used_and_a_job_without_a_step_time_is_not_one(tmp_path):
    sweep = tmp_path / "sweep"
    for number, (seed, ms) in enumerate([(1, 100.0), (2, 102.0), (3, None)]):
        write_job(sweep, number, ["model=lstm", f"trainer.seed={seed}"], ms)
    from seqlab.reports.rows import collect

    (group,) = group_rows(collect([sweep]))
    assert group["n"] == 3 and group["n_timed"] == 2
    assert group["step_ms_median_ci95"] == pytest.approx(
        scipy_stats.t.ppf(0.975, 1) * statistics.stdev([100.0, 102.0]) / math.sqrt(2)
    )


def test_a_seed_without_metrics_stays_in_its_configuration_and_keeps_the_speed_ups(seeded_sweep):
    """An interrupted job has no metrics; grouped by its metric it became a group of its
    own that took its configuration's place, and every speed-up of that baseline vanished."""

    folder = seeded_sweep / "12"
    folder.mkdir()
    record = {"status": "interrupted", "overrides": ["model=lstm", "trainer.seed=5"]}
    (folder / "results.json").write_text(json.dumps(seqlab_record(record)))
    groups = _groups(seeded_sweep, "model=lstm")
    by_model = {g["overrides"]["model"]: g for g in groups}
    assert len(groups) == 3 and by_model["lstm"]["seeds"] == "1,2,3,4,5"
    assert by_model["lstm"]["metric"] == "accuracy" and by_model["lstm"]["n"] == 4
    assert by_model["lstm"]["status"] == "4 ok, 1 interrupted"
    assert by_model["gru"]["speedup"] == pytest.approx(2.0) and by_model["gru"]["speedup_n"] == 4


def test_a_group_shows_each_column_as_the_column_table_says(tmp_path):
    """Ignoring the table's group kinds passed every test before: max, count, all, first,
    worst and stats, each on values that tell them apart."""
    from seqlab.reports.rows import collect

    sweep = tmp_path / "s"
    for seed, (memory, others, smoke, kernel) in enumerate(
        [(100.0, 0.9, True, "generic"), (300.0, 0.0, False, "cudnn"), (200.0, 0.5, True, None)], 1
    ):
        folder = sweep / str(seed)
        folder.mkdir(parents=True)
        record = {"status": "ok", "overrides": ["model=lstm", f"trainer.seed={seed}"],
                  "config": {"trainer": {"smoke": smoke}},
                  "metrics": {"metric": "accuracy", "val_accuracy": 0.1 * seed},
                  "timing": {"step_ms_median": 10.0 * seed}, "memory": {"peak_rss_mb": memory},
                  "load": {"others_cores_mean": others, "others_cores_peak": others},
                  "cudnn": {"eligible": False, "kernel": kernel}}  # fmt: skip
        (folder / "results.json").write_text(json.dumps(seqlab_record(record)))
    rows = collect([sweep])
    derive(rows)
    (group,) = group_rows(rows)
    assert group["peak_rss_mb"] == 300.0  # max
    assert group["busy"] == 2  # count: two of three seeds measured busy
    assert group["smoke"] is False  # all: not every seed was a smoke run
    assert group["kernel"] == "generic"  # first: the first ok seed's
    assert group["step_ms_median"] == pytest.approx(20.0)  # stats: the mean, with ...
    assert group["step_ms_median_std"] == pytest.approx(10.0)
    assert group["step_ms_median_ci95"] == pytest.approx(scipy_stats.t.ppf(0.975, 2) * 10 / 3**0.5)
    assert group["others_cores"] == 0.9  # max
    # worst: the first start that is not "yes"; "yes" when every seed's is.
    for row, start in zip(rows, ["yes", "no: weights", "no: data"], strict=True):
        row["same_start"] = start
    assert group_rows(rows)[0]["same_start"] == "no: weights"
    (alone,) = group_rows([{**rows[0], "same_start": "yes"}])  # a group of one seed
    assert alone["same_start"] == "yes" and alone["overrides"] == {"model": "lstm"}


def test_a_groups_error_joins_its_members_errors_in_job_order(tmp_path):
    sweep = tmp_path / "s"
    for seed, status in enumerate(["failed", "ok", "failed"], 1):
        write_job(sweep, seed, ["model=lstm", f"trainer.seed={seed}"], 10.0, status=status)
        path = sweep / str(seed) / "results.json"
        record = json.loads(path.read_text())
        error = f"boom {seed}" if status == "failed" else None
        path.write_text(json.dumps({**record, "error": error}))
    from seqlab.reports.rows import collect

    (group,) = group_rows(collect([sweep]))
    assert group["error"] == "boom 1; boom 3" and group["status"] == "2 failed, 1 ok"
