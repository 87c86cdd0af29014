"""repeats=auto: rounds of seeds until every comparison with the baseline is decided."""

from __future__ import annotations

import csv
import json
import math
import statistics

import pytest

from seqlab.cli.arguments import expand_repeats
from seqlab.reports import sequential as sq
from seqlab.sweeps.auto import Rule, _decide
from seqlab.sweeps.auto_checks import group_baselines

from .conftest import run_cli
from .records import seqlab_record

RULE = Rule(min_rounds=3, max_rounds=10, alpha=0.05, resolution=0.05)

CONFIGS = [["impl=cell_loop"], ["impl=layer"], ["impl=manual"], ["impl=unrolled"]]


def _round(sweep, number, seed, steps):
    for offset, (config, ms) in enumerate(zip(CONFIGS, steps, strict=True)):
        folder = sweep / str(number + offset)
        folder.mkdir(parents=True)
        record = seqlab_record(
            {
                "status": "ok",
                "overrides": [*config, f"trainer.seed={seed}"],
                "metrics": {"metric": "accuracy", "val_accuracy": 0.5},
                "timing": {"step_ms_median": ms},
            }
        )
        (folder / "results.json").write_text(json.dumps(record))


def test_a_comparison_is_decided_when_its_interval_excludes_1_or_sits_within_the_resolution(
    tmp_path,
):
    # cell_loop (baseline) 100 ms; layer clearly faster; manual the same within 1 %;
    # unrolled noisy around the baseline: undecided.
    rounds = [(100.0, 50.0, 100.5, 80.0), (101.0, 51.0, 101.0, 125.0), (99.0, 49.0, 99.5, 95.0)]
    for seed, steps in enumerate(rounds, 1):
        _round(tmp_path, 4 * (seed - 1), seed, steps)
    decided: dict[int, dict] = {}
    _decide(tmp_path, CONFIGS, "impl=cell_loop", RULE, decided)
    assert decided[1]["stopped"] == "faster after 3 seeds"
    assert decided[1]["interval"]["low"] > 1.0 and decided[1]["interval"]["n"] == 3
    assert decided[2]["stopped"] == "within 5% after 3 seeds"
    assert 3 not in decided and 0 not in decided
    again: dict[int, dict] = {}
    _decide(tmp_path, CONFIGS, "impl=cell_loop", RULE, again)  # replayed from the records
    assert again == decided


def test_what_more_seeds_cannot_decide_is_stopped_not_run_to_the_cap(tmp_path):
    # manual failed every seed (no step time); then a baseline without one stops them all.
    rounds = [(100.0, 50.0, None, 80.0), (101.0, 51.0, None, 125.0)]
    for seed, steps in enumerate(rounds, 1):
        _round(tmp_path, 4 * (seed - 1), seed, steps)
    stopped: dict[int, dict] = {}
    _decide(tmp_path, CONFIGS, "impl=cell_loop", RULE, stopped)
    assert stopped[2]["stopped"].startswith("no step time after 2 seeds") and 3 not in stopped
    untimed = tmp_path / "untimed"
    for seed, steps in enumerate([(None, 50.0, 60.0, 80.0)] * 2, 1):
        _round(untimed, 4 * (seed - 1), seed, steps)
    stopped = {}
    _decide(untimed, CONFIGS, "impl=cell_loop", RULE, stopped)
    assert sorted(stopped) == [1, 2, 3]
    assert all(
        s["stopped"].startswith("the baseline has no step time after 2 seeds")
        for s in stopped.values()
    )


GROUPED = [
    ["model=lstm", "impl=cell_loop"],
    ["model=lstm", "impl=layer"],
    ["model=gru", "impl=cell_loop"],
    ["model=gru", "impl=layer"],
]


def test_each_configuration_is_decided_against_the_baseline_of_its_own_group(tmp_path):
    """With other swept keys, every group has its baseline: lstm's layer is compared with
    lstm's cell loop, gru's with gru's; each cell loop is a baseline, never 'capped'."""
    assert group_baselines(GROUPED, "impl=cell_loop") == {0: 0, 1: 0, 2: 2, 3: 2}
    # lstm: layer clearly faster than its cell loop; gru: its cell loop has no step time.
    for seed in (1, 2, 3):
        steps = (100.0, 50.0, None, 60.0)
        for offset, (config, ms) in enumerate(zip(GROUPED, steps, strict=True)):
            folder = tmp_path / str(4 * (seed - 1) + offset)
            folder.mkdir()
            timing = {"step_ms_median": ms + seed if ms else None}
            overrides = [*config, f"trainer.seed={seed}"]
            record = {"status": "ok", "overrides": overrides, "timing": timing}
            (folder / "results.json").write_text(json.dumps(seqlab_record(record)))
    stopped: dict[int, dict] = {}
    _decide(tmp_path, GROUPED, "impl=cell_loop", RULE, stopped)
    assert stopped[1]["stopped"] == "faster after 3 seeds"
    assert stopped[3]["stopped"].startswith("the baseline has no step time after 3 seeds")
    assert 0 not in stopped and 2 not in stopped


def test_repeats_auto_selects_the_sweeper():
    assert expand_repeats(["-m", "impl=layer,manual", "repeats=auto"]) == [
        "-m",
        "impl=layer,manual",
        "hydra/sweeper=seqlab_auto",
    ]


@pytest.mark.e2e
def test_an_auto_sweep_runs_rounds_says_why_each_stopped_and_resumes(tmp_path):
    args = [
        "-m",
        "impl=layer,unrolled",
        "model=simple_rnn",
        "repeats=auto",
        'report.baseline="impl=layer"',
        "dataset.limit=300",
        "model.units=4",
        "model.layers=1",
        "trainer.epochs=3",
        "trainer.progress=false",
        "hydra.sweeper.min_rounds=2",
        "hydra.sweeper.max_rounds=3",
        "hydra.sweep.dir=s",
    ]
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    auto = json.loads((tmp_path / "s" / "auto.json").read_text())
    base, other = auto["configurations"]
    assert base["stopped"] == "baseline" and 2 <= other["seeds"] <= 3
    assert other["stopped"].startswith(("faster", "slower", "within", "cap of 3"))
    with open(tmp_path / "s" / "summary.csv") as f:
        rows = {row["impl"]: row for row in csv.DictReader(f)}
    assert rows["unrolled"]["stopped"] == other["stopped"]
    assert int(rows["unrolled"]["n"]) == other["seeds"] and rows["unrolled"]["speedup_low"]
    jobs = len(json.loads((tmp_path / "s" / "sweep.json").read_text())["jobs"])
    again = run_cli(*args, cwd=tmp_path)  # resumes: every finished job is skipped
    assert again.returncode == 0 and again.stdout.count("skipped") == jobs
    assert json.loads((tmp_path / "s" / "auto.json").read_text()) == auto
    refused = run_cli(
        "-m",
        "impl=layer,unrolled",
        "repeats=auto",
        "trainer=smoke",
        "hydra.sweep.dir=t",
        cwd=tmp_path,
    )
    assert refused.returncode == 2 and "report.baseline" in refused.stderr


AUTO = ["-m", "impl=layer,unrolled", "repeats=auto", 'report.baseline="impl=layer"',
        "trainer=smoke"]  # fmt: skip


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["hydra.sweep.subdir=${impl.name}"], "puts every seed of impl=layer"),
        (["model.units=interval(1,4)"], "repeats=auto cannot set up this sweep"),
        (["hydra.sweeper.max_rounds=${oops}"], "repeats=auto cannot set up this sweep"),
        (["model=lstm", 'report.baseline="model=lstm"'], "matches every configuration"),
        (["hydra.sweeper.halfwidth=1.5"], "hydra.sweeper.halfwidth=1.5 must be a fraction"),
    ],
)
def test_what_repeats_auto_cannot_run_is_refused_before_any_folder(tmp_path, extra, said):
    done = run_cli(*AUTO, *extra, "hydra.sweep.dir=s", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert said in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.e2e
def test_repeats_auto_into_a_folder_holding_another_sweep_is_refused(tmp_path):
    sweep = tmp_path / "s"
    (sweep / "0").mkdir(parents=True)
    plan = {"jobs": [{"overrides": ["model=gru"], "folder": "0"}]}
    (sweep / "sweep.json").write_text(json.dumps(plan))
    record = {"status": "ok", "overrides": ["model=gru"], "config": {"model": {"cell": "gru"}}}
    (sweep / "0" / "results.json").write_text(json.dumps(seqlab_record(record)))
    before = {p: p.read_bytes() for p in sweep.rglob("*") if p.is_file()}
    done = run_cli(*AUTO, "hydra.sweep.dir=s", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "holds another sweep's jobs" in done.stderr and "does not run" in done.stderr
    after = {p: p.read_bytes() for p in sweep.rglob("*") if p.is_file() and p.name != "seqlab.lock"}
    assert after == before


def test_an_unquoted_baseline_with_an_equals_sign_says_how_to_write_it():
    from seqlab.errors import ConfigError

    with pytest.raises(ConfigError, match=r"report\.baseline=model:lstm or quote it"):
        expand_repeats(["-m", "model=lstm,gru", "report.baseline=model=lstm"])
    for fine in ("report.baseline=model:lstm", 'report.baseline="model=lstm"'):
        assert expand_repeats(["-m", "model=lstm,gru", fine])[-1] == fine


def test_the_summary_shows_the_recorded_decision_and_its_interval_never_a_recomputed_one(
    tmp_path,
):
    """A decided configuration stops while its baseline goes on for the others: the
    summary once recomputed with the extra baseline seeds and read 'stopped: faster'
    beside beyond_noise: no. Now it shows what auto.json recorded."""
    from seqlab.records.files import write_json_atomic
    from seqlab.reports.summary import write_summary
    from seqlab.sweeps.auto import _write

    rounds = [(100.0, 60.0, 100.5, 80.0), (101.0, 61.0, 101.0, 125.0), (99.0, 59.0, 99.5, 95.0)]
    for seed, steps in enumerate(rounds, 1):
        _round(tmp_path, 4 * (seed - 1), seed, steps)
    decided: dict[int, dict] = {}
    _decide(tmp_path, CONFIGS, "impl=cell_loop", RULE, decided)
    # Two more rounds for the baseline and the undecided one, with layer's seeds missing.
    for seed, (base, other) in ((4, (140.0, 70.0)), (5, (60.0, 130.0))):
        for offset, (config, ms) in enumerate(((CONFIGS[0], base), (CONFIGS[3], other))):
            folder = tmp_path / str(12 + 2 * (seed - 4) + offset)
            folder.mkdir()
            record = {"status": "ok", "overrides": [*config, f"trainer.seed={seed}"],
                      "timing": {"step_ms_median": ms}}  # fmt: skip
            (folder / "results.json").write_text(json.dumps(seqlab_record(record)))
    seeds = {0: 5, 1: 3, 2: 3, 3: 5}
    _write(tmp_path, CONFIGS, 0, seeds, decided, RULE, [], write_json_atomic)
    write_summary([tmp_path], tmp_path, baseline="impl=cell_loop", chart=False)
    with open(tmp_path / "summary.csv") as f:
        rows = {row["impl"]: row for row in csv.DictReader(f)}
    for i in (1, 2):
        row, recorded = rows[CONFIGS[i][0].split("=")[1]], decided[i]
        assert row["stopped"] == recorded["stopped"]
        assert float(row["speedup_low"]) == pytest.approx(recorded["interval"]["low"])
        assert float(row["speedup_high"]) == pytest.approx(recorded["interval"]["high"])
        assert row["beyond_noise"] == str(recorded["stopped"].startswith("faster"))
        assert "sequential" in row["speedup_method"]
        # The seeds +-5 % would take, from the spread of the pairs it decided from.
        logs = [math.log(steps[0] / steps[i]) for steps in rounds]
        assert int(row["seeds_for_5pct"]) == sq.seeds_for(statistics.stdev(logs))
    assert int(rows["layer"]["speedup_n"]) == 3  # its own 3 pairs, not the baseline's 5
    # Later seeds of the decided layer in the folder (a rerun's leftovers) change neither
    # its interval nor the seeds it would need: both come from the pairs it decided from.
    before = rows["layer"]["seeds_for_5pct"]
    for seed, ms in ((4, 20.0), (5, 59.0)):
        folder = tmp_path / str(20 + seed)
        folder.mkdir()
        record = {"status": "ok", "overrides": [*CONFIGS[1], f"trainer.seed={seed}"],
                  "timing": {"step_ms_median": ms}}  # fmt: skip
        (folder / "results.json").write_text(json.dumps(seqlab_record(record)))
    write_summary([tmp_path], tmp_path, baseline="impl=cell_loop", chart=False)
    with open(tmp_path / "summary.csv") as f:
        layer = next(row for row in csv.DictReader(f) if row["impl"] == "layer")
    assert layer["seeds_for_5pct"] == before and int(layer["speedup_n"]) == 3


def test_a_rerun_replays_each_round_with_that_rounds_seeds_only(tmp_path):
    """On a rerun the folder already holds later rounds' jobs; deciding round 2 with
    them took other decisions than the first run, and ran other jobs."""
    rounds = [(100.0, 50.0, 100.5, 80.0), (101.0, 51.0, 101.0, 125.0), (99.0, 49.0, 99.5, 95.0)]
    for seed, steps in enumerate(rounds, 1):
        _round(tmp_path, 4 * (seed - 1), seed, steps)
    rule = Rule(min_rounds=2, max_rounds=10, alpha=0.05, resolution=0.05)
    decided: dict[int, dict] = {}
    _decide(tmp_path, CONFIGS, "impl=cell_loop", rule, decided, 2)
    assert all(entry["interval"]["n"] == 2 for entry in decided.values() if "interval" in entry)
    later: dict[int, dict] = {}
    _decide(tmp_path, CONFIGS, "impl=cell_loop", rule, later, 3)
    assert any(entry["interval"]["n"] == 3 for entry in later.values() if "interval" in entry)


def test_an_auto_json_edited_by_hand_is_not_trusted_at_all(tmp_path):
    """An estimate outside its own interval with a decision it does not support went
    straight onto the page; a missing key or a string alpha gave a traceback."""
    from seqlab.reports.decisions import decisions, stop_reasons

    good = {"min_looks": 3, "max_looks": 10, "alpha": 0.05, "resolution": 0.05,
            "configurations": [
                {"overrides": ["impl=cell_loop"], "stopped": "baseline"},
                {"overrides": ["impl=layer"], "stopped": "faster after 3 seeds",
                 "decision": "faster beyond the noise",
                 "interval": {"estimate": 2.0, "low": 1.5, "high": 2.5, "n": 3,
                              "quantile": 9.1, "level": 0.988}}]}  # fmt: skip
    (tmp_path / "auto.json").write_text(json.dumps(good))
    assert len(decisions(tmp_path)) == 2 and len(stop_reasons(tmp_path)) == 2
    for edit in (
        lambda a: a["configurations"][1]["interval"].update(estimate=0.5),  # outside
        lambda a: a["configurations"][1]["interval"].update(low=0.8),  # "faster" unsupported
        lambda a: a["configurations"][1].update(decision="much faster"),
        lambda a: a.pop("alpha"),
        lambda a: a.update(alpha="0.05"),
        lambda a: a.update(configurations="all"),
        lambda a: a["configurations"][1].update(crossover="yes"),
        lambda a: a["configurations"][1].update(crossover=1),
    ):
        bad = json.loads(json.dumps(good))
        edit(bad)
        (tmp_path / "auto.json").write_text(json.dumps(bad))
        assert decisions(tmp_path) == {} and stop_reasons(tmp_path) == {}
    (tmp_path / "auto.json").write_text(json.dumps(good)[:50])  # cut short
    assert decisions(tmp_path) == {}


@pytest.mark.parametrize(
    ("decision", "supported", "unsupported"),
    [
        (sq.FASTER, (1.5, 2.0, 2.5), (0.8, 2.0, 2.5)),
        (sq.SLOWER, (0.5, 0.6, 0.7), (0.5, 0.6, 1.2)),
        (sq.WITHIN, (0.97, 1.0, 1.03), (0.9, 1.0, 1.03)),
    ],
)
def test_each_recorded_decision_is_trusted_exactly_when_its_interval_supports_it(
    tmp_path, decision, supported, unsupported
):
    """'slower beyond the noise' read back as no decision (the summary then recomputed
    its own) passed the whole suite; each decision kind is read back here, and refused
    with an interval that does not say it (resolution 5 %)."""
    from seqlab.reports.decisions import decisions

    def auto(low, estimate, high):
        entry = {"overrides": ["impl=layer"], "stopped": "after 3 seeds", "decision": decision,
                 "interval": {"estimate": estimate, "low": low, "high": high, "n": 3,
                              "quantile": 9.1, "level": 0.988}}  # fmt: skip
        return {"min_looks": 3, "max_looks": 10, "alpha": 0.05, "resolution": 0.05,
                "configurations": [{"overrides": ["impl=cell_loop"], "stopped": "baseline"},
                                   entry]}  # fmt: skip

    (tmp_path / "auto.json").write_text(json.dumps(auto(*supported)))
    read = decisions(tmp_path)
    assert [entry.get("decision") for entry in read.values()].count(decision) == 1
    (tmp_path / "auto.json").write_text(json.dumps(auto(*unsupported)))
    assert decisions(tmp_path) == {}


def _interleaved_round(sweep, seed, base_ms, layer_ms, base_place):
    """One round of two interleaved jobs (cell_loop the baseline, layer), whose chunks
    carry the warm-up effect: the job that warmed up first ran 15 % slower."""
    for offset, (config, ms) in enumerate(((CONFIGS[0], base_ms), (CONFIGS[1], layer_ms))):
        place = base_place if offset == 0 else 1 - base_place
        slow = 1.15 if place == 0 else 1.0
        rounds = [[r, ms * slow / 1000 * (1 + 0.002 * (r % 3)), 0.0, 3, None, 0]
                  for r in range(1, 11)]  # fmt: skip
        chunks = {"family": f"f{seed}", "chunk_steps": 4, "rounds": rounds,
                  "warmup_place": place}  # fmt: skip
        folder = sweep / str(2 * (seed - 1) + offset)
        folder.mkdir(parents=True)
        record = {"status": "ok", "overrides": [*config, f"trainer.seed={seed}"],
                  "timing": {"step_ms_median": ms * slow, "chunks": chunks}}  # fmt: skip
        (folder / "results.json").write_text(json.dumps(seqlab_record(record)))


def test_interleaved_pairs_are_decided_as_a_crossover_and_the_summary_says_so(tmp_path):
    """Baseline first in seeds 1 and 3, last in seeds 2 and 4: the plain rule reads the
    warm-up effect as noise (undecided after 4 seeds); the crossover takes it out and
    decides (from round 4: its first look)."""
    from seqlab.records.files import write_json_atomic
    from seqlab.reports.summary import write_summary
    from seqlab.sweeps.auto import _write

    for seed in (1, 2, 3, 4):
        _interleaved_round(tmp_path, seed, 100.0, 90.0, (seed + 1) % 2)
    configs = CONFIGS[:2]
    decided: dict[int, dict] = {}
    _decide(tmp_path, configs, "impl=cell_loop", RULE, decided)
    assert decided[1]["crossover"] is True
    plain = sq.run_sequence(
        [math.log(115 / 90), math.log(100 / 103.5)] * 2, min_looks=3, max_looks=10,
    )  # fmt: skip
    assert plain.decision is None and plain.interval.low < 0.8
    assert decided[1]["stopped"] == "faster after 4 seeds"
    assert decided[1]["interval"]["estimate"] == pytest.approx(100 / 90, rel=0.01)
    _write(tmp_path, configs, 0, {0: 4, 1: 4}, decided, RULE, [], write_json_atomic)
    auto = json.loads((tmp_path / "auto.json").read_text())
    assert "crossover" in auto["rule"] and "rounds 4-10" in auto["rule"]
    write_summary([tmp_path], tmp_path, baseline="impl=cell_loop", chart=False)
    with open(tmp_path / "summary.csv") as f:
        layer = next(row for row in csv.DictReader(f) if row["impl"] == "layer")
    assert "warmed up first (crossover)" in layer["speedup_method"]
    assert "over looks 4-10" in layer["speedup_method"]  # its first look, not min_rounds
    assert layer["beyond_noise"] == "True"
