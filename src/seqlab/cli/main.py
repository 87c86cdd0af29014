"""The `seqlab` command: a Hydra app that runs one experiment per job.

TensorFlow is imported only inside the job, so `seqlab --help` answers at once.
Exit status: 0 ok; 1 a run failed (or a sweep has a job that is not ok); 2 the user
must change something (config, data, device, folder); 130 / 143 interrupted by
SIGINT / SIGTERM (the run recorded it and resumes when started again).
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException, OverrideParseException
from hydra.types import RunMode
from omegaconf import DictConfig
from rich.console import Console

from seqlab.cli.gate import EXIT_USER_ERROR, refuse, take_validated
from seqlab.config.store import conf_dir, register_schemas
from seqlab.errors import USER_ERRORS, SeqlabError
from seqlab.runs.signals import EXIT_CODES, Interrupted

register_schemas()

EXIT_RUN_FAILED = 1
# Errors Hydra raises for a command line it cannot compose or parse.
HYDRA_USAGE_ERRORS = (ConfigCompositionException, OverrideParseException)
USER_ERROR_TYPES = {error.__name__ for error in USER_ERRORS}


class RunResults(dict):
    """A job's results.json as returned to Hydra; `float()` of it is the objective.

    Hydra sweepers that optimise (Optuna) call `float()` on each job's return value:
    that is the final validation value of the task's metric (accuracy, mse, ...),
    NaN for a failed run, so the sweeper records that trial as failed.
    """

    def __float__(self) -> float:
        metrics = self.get("metrics") or {}
        value = metrics.get(f"val_{metrics.get('metric')}") if self.get("status") == "ok" else None
        return float("nan") if value is None else float(value)


@hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name="config")
def _job(cfg: DictConfig) -> RunResults:
    from seqlab.backends import can_activate
    from seqlab.runs.experiment import run_experiment
    from seqlab.runs.launcher import describe_launcher

    hydra_cfg = HydraConfig.get()
    sweeping = hydra_cfg.mode == RunMode.MULTIRUN
    output_dir = hydra_cfg.runtime.output_dir
    overrides = list(hydra_cfg.overrides.task)
    launcher = describe_launcher(hydra_cfg.launcher)
    try:
        if can_activate(cfg.backend.name):
            validated = None if sweeping else take_validated()
            results = run_experiment(
                cfg, output_dir, overrides, run_cfg=validated, launcher=launcher
            )
        else:  # Keras already runs on another backend in this process (an earlier job)
            from seqlab.runs.child import run_in_child

            results = run_in_child(cfg, output_dir, overrides, launcher)
    except (KeyboardInterrupt, Interrupted) as exc:
        name = getattr(exc, "signal_name", "SIGINT")
        Console(stderr=True).print(
            f"seqlab: interrupted by {name}; {output_dir} records it and resumes when the "
            "same command runs again.",
            highlight=False,
        )
        if sweeping:  # the summary of what finished, then stop the sweep
            from seqlab.sweeps.callback import finish

            finish(Path(hydra_cfg.sweep.dir), cfg.get("report", {}).get("baseline"))
        sys.exit(EXIT_CODES.get(name, 130))
    except SeqlabError as exc:  # the folder: another experiment, another process, no space
        if not sweeping:
            refuse("seqlab", exc)
        # A sweep goes on with its other jobs; the summary lists this one from what its
        # folder holds (another process's record, an incomplete run, or nothing: not run).
        Console(stderr=True).print(
            f"seqlab: job refused ({output_dir}): {exc}", highlight=False, markup=False
        )
        return RunResults({"status": "refused", "error": str(exc), "output_dir": output_dir})
    if results.get("skipped"):
        Console().print(
            f"seqlab: skipped, {output_dir} already holds a finished run of this "
            "configuration (skip_finished=false runs it again)",
            highlight=False,
        )
    elif results["status"] != "ok":
        err = Console(stderr=True)
        err.print(f"[bold red]seqlab: run failed[/] ({results['output_dir']})", highlight=False)
        err.print(results["error"], highlight=False, markup=False)
        # A sweep goes on with its other jobs; its summary reports the failure.
        if not sweeping:
            user_error = results.get("error_type") in USER_ERROR_TYPES
            sys.exit(EXIT_USER_ERROR if user_error else EXIT_RUN_FAILED)
    return RunResults(results)


def expand_repeats(argv: list[str]) -> list[str]:
    """`seqlab -m ... repeats=N` is `trainer.seed=1,...,N`: every job N times, one seed each,
    in alternated rounds (the seed varies slowest).

    The summary then groups the jobs that differ only in the seed (mean, standard
    deviation, 95 % interval, n; see seqlab.sweeps.stats).
    """
    from seqlab.errors import ConfigError

    found = [arg for arg in argv if arg.startswith("repeats=")]
    if not found:
        return argv
    value = found[-1].split("=", 1)[1]
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(
            f"repeats={value!r} is not allowed: repeats must be an integer >= 1 (the number "
            "of seeds to run each job with). Fix it on the command line."
        )
    if not {"-m", "--multirun"} & set(argv):
        raise ConfigError(
            f"repeats={value} repeats the jobs of a sweep, and this command is not one. Add "
            "-m (for example `seqlab -m model=lstm repeats=3`)."
        )
    if any(arg.lstrip("+").startswith("trainer.seed=") for arg in argv):
        raise ConfigError(
            f"repeats={value} sets trainer.seed=1..{value}, and the command sets trainer.seed "
            "too. Keep one of them."
        )
    seeds = ",".join(str(seed) for seed in range(1, int(value) + 1))
    rest = [arg for arg in argv if not arg.startswith("repeats=")]
    # Before the first override: Hydra's basic sweeper varies the first key slowest, so
    # each round runs every job once and the rounds alternate (a drift of the machine
    # then spreads over all jobs). Presets list trainer.seed first for the same reason.
    first = next((i for i, arg in enumerate(rest) if "=" in arg and not arg.startswith("-")), 0)
    return [*rest[:first], f"trainer.seed={seeds}", *rest[first:]]


def main() -> None:
    """Console-script entry point."""
    try:
        sys.argv[1:] = expand_repeats(sys.argv[1:])
    except SeqlabError as exc:
        refuse("seqlab", exc)
    try:
        _job()
    except SystemExit as exc:
        # Hydra prints its own configuration errors (an unknown option of a group, a value
        # of the wrong type, an unknown key) and exits 1; they are the user's to fix (2).
        if exc.code == 1 and isinstance(exc.__context__, HYDRA_USAGE_ERRORS):
            sys.exit(EXIT_USER_ERROR)
        raise
    except HYDRA_USAGE_ERRORS as exc:  # HYDRA_FULL_ERROR=1 raises them unprinted
        Console(stderr=True).print(f"seqlab: {exc}", highlight=False, markup=False)
        sys.exit(EXIT_USER_ERROR)
    except (KeyboardInterrupt, Interrupted) as exc:
        from seqlab.sweeps.callback import ACTIVE_SWEEP

        name = getattr(exc, "signal_name", "SIGINT")
        if not ACTIVE_SWEEP:  # Ctrl-C before a run claimed its folder: nothing to record
            Console(stderr=True).print("seqlab: interrupted before a run started.", highlight=False)
            sys.exit(EXIT_CODES[name])
        _interrupted_sweep(name, **ACTIVE_SWEEP)


def _interrupted_sweep(name: str, sweep_dir: Path, baseline: str | None, ray: bool) -> None:
    """A signal reached the process driving the sweep while its jobs ran elsewhere
    (joblib; Ray before its own handler is in place): stop Ray's jobs, summarise."""
    from seqlab.sweeps.callback import summarise_interrupted

    if ray:
        from seqlab.sweeps.ray_cluster import stop_ray

        stop_ray()
    summarise_interrupted(name, sweep_dir, baseline)
    sys.exit(EXIT_CODES[name])
