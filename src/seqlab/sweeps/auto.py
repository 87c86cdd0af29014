"""`repeats=N` and `repeats=auto` on the command line, and the rounds of `repeats=auto`.

`repeats=N` runs every job of a sweep N times, one seed each (`seqlab.cli.arguments`).
`repeats=auto` runs rounds of seeds until every comparison with the baseline is
decided:

Three seeds could not tell a 10 % difference from noise in the README's tables, while
ten would be wasted on differences that are clear after three. So the sweep runs
alternated rounds: round r runs every configuration still undecided, and the baseline,
once with `trainer.seed=r`, through whatever launcher is configured. From `min_rounds`
on, after each round, each configuration's speed-up interval against the baseline
(`seqlab.reports.stats`) decides it when it excludes 1 (faster or slower beyond the
seed-to-seed noise) or lies within 1 +- `resolution` (no difference that large); a
decided configuration gets no more seeds. The sweep stops when every configuration is
decided or after `max_rounds`. auto.json in the sweep folder says, per configuration,
how many seeds it took and why it stopped; the summary shows it (column `stopped`).

The same command again resumes: every finished job is skipped (its record is read
back), so the same decisions are taken and only what is missing runs.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from seqlab.errors import ConfigError, SeqlabError, refuse
from seqlab.reports.decisions import AUTO_FILE
from seqlab.reports.stats import SEED_KEY


def configurations(sweeper: Any, arguments: list[str]) -> list[list[str]]:
    """Every configuration's overrides (the seed left out), in the basic sweeper's order."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = OmegaConf.to_container(sweeper.params, resolve=False) if sweeper.params else {}
    given = [f"{key}={value}" for key, value in params.items() if key != SEED_KEY]
    if any(arg.lstrip("+").startswith(f"{SEED_KEY}=") for arg in arguments):
        raise ConfigError(
            "repeats=auto chooses the seeds itself (trainer.seed=1, 2, ... one per round), "
            "and the command sets trainer.seed too. Remove trainer.seed, or use repeats=N."
        )
    parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
    per_key: dict[str, list[str]] = {}
    for override in parser.parse_overrides([*given, *arguments]):
        key = override.get_key_element()
        if override.is_sweep_override():
            per_key[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
        else:
            per_key[key] = [f"{key}={override.get_value_element_as_str()}"]
    return [list(job) for job in itertools.product(*per_key.values())]


def _baseline_index(configs: list[list[str]], baseline: str | None) -> int:
    from seqlab.reports.baseline import Baseline
    from seqlab.reports.rows import override_dict

    if not baseline:
        raise ConfigError(
            "repeats=auto decides each comparison with a baseline, and none is given. Name "
            "it with report.baseline (for example 'report.baseline=\"impl=cell_loop\"')."
        )
    chosen = Baseline.parse(baseline)
    matches = [i for i, c in enumerate(configs) if chosen.holds(override_dict(c))]
    if not matches:
        raise ConfigError(
            f"The baseline {baseline!r} matches no configuration of this sweep. Give an "
            "override one of them has, e.g. report.baseline=impl=cell_loop."
        )
    return matches[0]


MAX_ROUNDS = 100  # more seeds than this answers nothing a user can wait for


def is_auto(config: DictConfig) -> bool:
    """Whether this sweep runs rounds of seeds (`repeats=auto`)."""
    target = str(config.hydra.sweeper.get("_target_", ""))
    return target.endswith("AutoRepeatSweeper")


def check_auto(config: DictConfig, arguments: list[str]) -> tuple[list[list[str]], int]:
    """Everything `repeats=auto` needs, checked before the sweep's folder is made: the
    configurations (no seed in them), the baseline among them and something to compare
    with it, the round counts, the resolution, every configuration's first job, and
    that each seed gets its own folder. Returns the configurations and the baseline's
    index; raises ConfigError (Hydra's and OmegaConf's own errors said as one)."""
    try:
        return _check_auto(config, arguments)
    except SeqlabError:
        raise
    except Exception as exc:  # an interval() to sweep, an interpolation that fails
        from seqlab.errors import one_line

        raise ConfigError(
            f"repeats=auto cannot set up this sweep ({type(exc).__name__}: {one_line(exc)}). "
            "repeats=auto sweeps lists of values (key=a,b,c or range(...)) and reads "
            "hydra.sweeper.min_rounds, max_rounds and resolution as plain numbers; fix the "
            "value named there. Nothing was run."
        ) from None


def _check_auto(config: DictConfig, arguments: list[str]) -> tuple[list[list[str]], int]:
    from seqlab.sweeps.plan import check_jobs

    sweeper = config.hydra.sweeper
    min_rounds, max_rounds = sweeper.get("min_rounds"), sweeper.get("max_rounds")
    resolution = sweeper.get("resolution")
    whole = [isinstance(n, int) and not isinstance(n, bool) for n in (min_rounds, max_rounds)]
    rounds_ok = all(whole)
    if not rounds_ok or not 2 <= min_rounds <= max_rounds <= MAX_ROUNDS:
        raise ConfigError(
            f"hydra.sweeper.min_rounds={min_rounds!r} and max_rounds={max_rounds!r}: an "
            f"interval needs at least 2 seeds, the cap must be at least min_rounds, and "
            f"more than {MAX_ROUNDS} rounds answers nothing a user can wait for. Set whole "
            f"numbers 2 <= min_rounds <= max_rounds <= {MAX_ROUNDS}."
        )
    number = isinstance(resolution, int | float) and not isinstance(resolution, bool)
    if not number or not 0.0 < resolution < 1.0:
        raise ConfigError(
            f"hydra.sweeper.resolution={resolution!r} must be a fraction in (0, 1), "
            "e.g. 0.05 for 'within 5 % of the baseline'."
        )
    configs = configurations(sweeper, arguments)
    baseline = config.get("report", {}).get("baseline")
    base = _baseline_index(configs, baseline)
    if all(of == i for i, of in _group_baselines(configs, baseline).items()):
        raise ConfigError(
            f"The baseline {baseline!r} matches every configuration of this sweep, so there "
            "is nothing to compare with it and repeats=auto would run nothing. Sweep a key "
            "whose values differ from the baseline's (e.g. impl=layer,cell_loop with "
            "report.baseline=impl=cell_loop)."
        )
    first = check_jobs(config, [[*c, f"{SEED_KEY}=1"] for c in configs])
    # The next round's jobs too: a subdir that leaves the seed (and the job's number)
    # out would put every round of a configuration in one folder.
    second = check_jobs(config, [[*c, f"{SEED_KEY}=2"] for c in configs], first=len(configs))
    clash = next((a for a, b in zip(first, second, strict=True) if a.folder == b.folder), None)
    if clash is not None:
        pattern = OmegaConf.to_container(config.hydra.sweep, resolve=False).get("subdir")
        raise ConfigError(
            f"hydra.sweep.subdir={pattern} puts every seed of {' '.join(clash.overrides[:-1])} "
            f"in one folder ({clash.folder}), and repeats=auto runs each configuration once "
            "per round with another trainer.seed: each round would be refused there. Use a "
            "pattern that tells the jobs apart, such as ${hydra.job.num} (the default) or "
            "${hydra.job.override_dirname} with trainer.seed not excluded."
        )
    return configs, base


def run_rounds(sweeper: Any, arguments: list[str]) -> list[Any]:
    """The sweep: rounds until decided or capped. Errors are one paragraph, exit 2."""
    try:
        return _rounds(sweeper, arguments)
    except SeqlabError as exc:
        refuse("seqlab", exc)


def _rounds(sweeper: Any, arguments: list[str]) -> list[Any]:
    from seqlab.records.files import write_json_atomic
    from seqlab.sweeps.plan import folder_of

    config = sweeper.config
    sweep_dir = Path(str(config.hydra.sweep.dir))
    configs, base = check_auto(config, arguments)  # checked by the sweep's start too
    baseline = config.get("report", {}).get("baseline")
    stopped: dict[int, str] = {}
    seeds = dict.fromkeys(range(len(configs)), 0)
    launched: list[dict[str, Any]] = []
    returns: list[Any] = []
    of = _group_baselines(configs, baseline)
    bases = {i for i, b in of.items() if b == i}
    for round_number in range(1, sweeper.max_rounds + 1):
        undecided = [i for i in range(len(configs)) if i not in stopped and i not in bases]
        if not undecided and len(configs) > 1:
            break
        # A baseline runs while some configuration compared with it is undecided.
        needed = {of[i] for i in undecided} | ({base} if len(configs) == 1 else set())
        active = [i for i in range(len(configs)) if i in undecided or i in needed]
        batch = [[*configs[i], f"{SEED_KEY}={round_number}"] for i in active]
        for offset, job in enumerate(batch):
            number = sweeper.job_idx + offset
            folder = folder_of(config, job, number)
            launched.append({"number": number, "overrides": job, "folder": folder})
        returns += sweeper.launcher.launch(batch, initial_job_idx=sweeper.job_idx)
        sweeper.job_idx += len(batch)
        for i in active:
            seeds[i] += 1
        if round_number >= sweeper.min_rounds:
            _decide(sweep_dir, configs, baseline, sweeper.resolution, stopped)
        _write(sweep_dir, configs, base, seeds, stopped, sweeper, launched, write_json_atomic)
    for i in range(len(configs)):
        stopped.setdefault(i, "baseline" if i in bases else f"cap of {sweeper.max_rounds} rounds")
    _write(sweep_dir, configs, base, seeds, stopped, sweeper, launched, write_json_atomic)
    return returns


def _group_baselines(configs: list[list[str]], baseline: str) -> dict[int, int | None]:
    """Each configuration's baseline (`seqlab.reports.baseline`), as an index; a baseline
    is its own; None where no configuration is one."""
    from seqlab.reports.baseline import Baseline
    from seqlab.reports.rows import override_dict

    given = [override_dict(c) for c in configs]
    bases = Baseline.parse(baseline).pair(list(range(len(configs))), lambda i: given[i])
    return dict(bases)


def _decide(
    sweep_dir: Path,
    configs: list[list[str]],
    baseline: str,
    resolution: float,
    stopped: dict[int, str],
) -> None:
    """Stop the configurations whose comparison with the baseline is decided."""
    from seqlab.reports.compare import derive
    from seqlab.reports.rows import collect, override_dict
    from seqlab.reports.stats import add_group_speedup, group_rows

    rows = collect([sweep_dir])
    derive(rows, baseline)
    groups = group_rows(rows)
    add_group_speedup(groups, baseline)
    by_overrides = {tuple(sorted(g["overrides"].items())): g for g in groups}

    def group_of(config: list[str]) -> dict[str, Any]:
        key = tuple(sorted((k, v) for k, v in override_dict(config).items() if k != SEED_KEY))
        return by_overrides.get(key) or {}

    # A configuration none of whose seeds has a step time (failed, or too short to time:
    # trainer=smoke) cannot be decided by more seeds of the same; nor can any without a
    # timed baseline.
    untimed = "no step time after {n} seeds (failed, or too few steps to time): undecidable"

    def seeds_of(group: dict[str, Any]) -> int:
        return len([job for job in str(group.get("job") or "").split(",") if job])

    of = _group_baselines(configs, baseline)
    for i, config in enumerate(configs):
        if of[i] == i or i in stopped:
            continue
        own_base = group_of(configs[of[i]]) if of[i] is not None else None
        if own_base is not None and not own_base.get("n_timed"):
            stopped[i] = f"the baseline has {untimed.format(n=seeds_of(own_base))}"
            continue
        group = group_of(config)
        if not group.get("n_timed"):
            stopped[i] = untimed.format(n=seeds_of(group))
            continue
        if group.get("speedup_low") is None:
            continue  # no interval yet (one timed seed)
        low, high = group["speedup_low"], group["speedup_high"]
        if low > 1.0:
            stopped[i] = f"faster beyond the noise after {group['n_timed']} seeds"
        elif high < 1.0:
            stopped[i] = f"slower beyond the noise after {group['n_timed']} seeds"
        elif 1.0 - resolution <= low and high <= 1.0 + resolution:
            stopped[i] = f"within {resolution:.0%} of the baseline after {group['n_timed']} seeds"


def _write(sweep_dir, configs, base, seeds, stopped, sweeper, launched, write) -> None:
    """auto.json (decisions) and sweep.json (every job launched so far, for the summary)."""
    from seqlab.reports.rows import SWEEP_FILE

    write(
        sweep_dir / AUTO_FILE,
        {
            "baseline": base,
            "max_rounds": sweeper.max_rounds,
            "min_rounds": sweeper.min_rounds,
            "resolution": sweeper.resolution,
            "configurations": [
                {"overrides": c, "seeds": seeds[i], "stopped": stopped.get(i)}
                for i, c in enumerate(configs)
            ],
        },
    )
    from seqlab.records.files import read_json

    try:  # keep what the sweep's start wrote there (the MLflow parent run)
        plan = read_json(sweep_dir / SWEEP_FILE)
    except (OSError, ValueError):
        plan = {}
    write(sweep_dir / SWEEP_FILE, {**(plan if isinstance(plan, dict) else {}), "jobs": launched})
