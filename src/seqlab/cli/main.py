"""The `seqlab` command: a Hydra app that runs one experiment per job.

TensorFlow is imported only inside the job, so `seqlab --help` answers at once. Exit
statuses are `seqlab.errors.Exit`: 0 ok; 1 a run failed (or a sweep has a job that is
not ok); 2 the user must change something (config, data, device, folder); 130 / 143
interrupted by SIGINT / SIGTERM (the run recorded it and resumes when started again).
"""

from __future__ import annotations

import signal
import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException, OverrideParseException
from hydra.types import RunMode
from omegaconf import DictConfig

from seqlab.cli.hooks import take_validated
from seqlab.config.store import conf_dir, register_schemas
from seqlab.errors import Exit, SeqlabError, is_user_error, refuse, say
from seqlab.records.signals import SIGNALS, Interrupted

register_schemas()

# Errors Hydra raises for a command line it cannot compose or parse.
HYDRA_USAGE_ERRORS = (ConfigCompositionException, OverrideParseException)


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
    from seqlab.runs.job import run_job
    from seqlab.sweeps.launchers import describe

    hydra_cfg = HydraConfig.get()
    sweeping = hydra_cfg.mode == RunMode.MULTIRUN
    output_dir = hydra_cfg.runtime.output_dir
    try:
        results = run_job(
            cfg,
            output_dir,
            list(hydra_cfg.overrides.task),
            launcher=describe(hydra_cfg.launcher, hydra_cfg.runtime.choices.get("hydra/launcher")),
            validated=None if sweeping else take_validated(),
        )
    except (KeyboardInterrupt, Interrupted) as exc:  # recorded by the run already
        name = getattr(exc, "signal_name", "SIGINT")
        if getattr(exc, "after", None):
            say("seqlab", f"interrupted by {name} after {exc.after}: {output_dir}.")
        else:
            say("seqlab", f"interrupted by {name}; {output_dir} records it and resumes when "
                "the same command runs again.")  # fmt: skip
        if sweeping:
            from seqlab.sweeps.driver import stop_here

            stop_here(name)  # the driver summarises the sweep and exits
        sys.exit(Exit.for_signal(name))
    except SeqlabError as exc:  # the folder: another experiment, another process, no space
        if not sweeping:
            refuse("seqlab", exc)
        # A sweep goes on with its other jobs; the summary lists this one from what its
        # folder holds (another process's record, an incomplete run, or nothing: not run).
        say("seqlab", f"job refused ({output_dir}): {exc}")
        from seqlab.records.refusals import write_refusal

        write_refusal(hydra_cfg.sweep.dir, output_dir, str(exc))  # for the summary
        return RunResults({"status": "refused", "error": str(exc), "output_dir": output_dir})
    if results.get("skipped"):  # news, not an error: on stdout with the run's other lines
        print(f"seqlab: skipped, {output_dir} already holds a finished run of this "
              "configuration (skip_finished=false runs it again)", flush=True)  # fmt: skip
    elif results["status"] != "ok":
        say("seqlab", f"run failed ({results['output_dir']})\n{results['error']}")
        if not sweeping:  # a sweep goes on with its other jobs; its summary says it failed
            user_error = is_user_error(results.get("error_type"))
            sys.exit(Exit.USER_ERROR if user_error else Exit.FAILED)
    return RunResults(results)


def _before_any_run(signum: int, frame: object) -> None:
    """A signal before a run or a sweep took over its handling: nothing to record."""
    name = signal.Signals(signum).name
    say("seqlab", f"interrupted by {name} before a run started; nothing was recorded.")
    sys.exit(Exit.for_signal(name))


def main() -> None:
    """Console-script entry point."""
    from seqlab.cli.arguments import expand_repeats

    for sig in SIGNALS:
        signal.signal(sig, _before_any_run)
    from seqlab.sweeps.launchers import missing_plugin

    try:
        sys.argv[1:] = expand_repeats(sys.argv[1:])
    except SeqlabError as exc:
        refuse("seqlab", exc)
    missing = missing_plugin(sys.argv[1:])
    if missing:
        refuse("seqlab", missing)
    try:
        _job()
    except SystemExit as exc:
        # Hydra prints its own configuration errors (an unknown option of a group, a value
        # of the wrong type, an unknown key) and exits 1; they are the user's to fix (2).
        if exc.code == 1 and isinstance(exc.__context__, HYDRA_USAGE_ERRORS):
            sys.exit(Exit.USER_ERROR)
        raise
    except HYDRA_USAGE_ERRORS as exc:  # HYDRA_FULL_ERROR=1 raises them unprinted
        refuse("seqlab", exc)
