"""What `repeats=auto` needs before its first round, checked before the sweep's folder
exists: the configurations (no seed in them), the baseline among them and something to
compare with it, the rule's settings, every configuration's first job, and a folder
for each seed. (`seqlab.sweeps.auto` runs the rounds.)"""

from __future__ import annotations

import itertools
from typing import Any

from omegaconf import DictConfig, OmegaConf

from seqlab.errors import ConfigError, SeqlabError
from seqlab.reports.sequential import MIN_ALPHA
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
    alpha = sweeper.get("alpha")
    number = isinstance(alpha, int | float) and not isinstance(alpha, bool)
    if not number or not MIN_ALPHA <= alpha <= 0.5:
        raise ConfigError(
            f"hydra.sweeper.alpha={alpha!r} must be a fraction in [{MIN_ALPHA:g}, 0.5]: the "
            "chance of a false 'faster' or 'slower' per comparison, e.g. 0.05 (or 0.05/k "
            "for a whole sweep of k comparisons). Below that the rule's calibration (by "
            "simulation) cannot tell the levels apart."
        )
    halfwidth = sweeper.get("halfwidth")
    number = isinstance(halfwidth, int | float) and not isinstance(halfwidth, bool)
    if halfwidth is not None and (not number or not 0.0 < halfwidth < 1.0):
        raise ConfigError(
            f"hydra.sweeper.halfwidth={halfwidth!r} must be a fraction in (0, 1): after its "
            "decision a comparison gets seeds until its interval is at most that wide on "
            "either side (0.05: +-5 %), or the cap; or null (the default) to stop at the "
            "decision."
        )
    configs = configurations(sweeper, arguments)
    baseline = config.get("report", {}).get("baseline")
    base = _baseline_index(configs, baseline)
    if all(of == i for i, of in group_baselines(configs, baseline).items()):
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


def group_baselines(configs: list[list[str]], baseline: str) -> dict[int, int | None]:
    """Each configuration's baseline (`seqlab.reports.baseline`), as an index; a baseline
    is its own; None where no configuration is one."""
    from seqlab.reports.baseline import Baseline
    from seqlab.reports.rows import override_dict

    given = [override_dict(c) for c in configs]
    bases = Baseline.parse(baseline).pair(list(range(len(configs))), lambda i: given[i])
    return dict(bases)
