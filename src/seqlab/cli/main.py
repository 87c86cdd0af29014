"""The `seqlab` command: a Hydra app that runs one experiment per job.

TensorFlow is imported only inside the job, so `seqlab --help` answers at once.
"""

from __future__ import annotations

import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig
from rich.console import Console

from seqlab.cli.gate import EXIT_USER_ERROR, take_validated
from seqlab.config.store import conf_dir, register_schemas

register_schemas()

EXIT_RUN_FAILED = 1
USER_ERROR_TYPES = {"ConfigError", "DataError", "DeviceError", "FolderError"}


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
    from seqlab.runs.experiment import finished_results, run_experiment

    hydra_cfg = HydraConfig.get()
    if cfg.get("skip_finished", True):
        previous = finished_results(cfg, hydra_cfg.runtime.output_dir)
        if previous is not None:
            Console().print(
                f"seqlab: skipped, {hydra_cfg.runtime.output_dir} already holds a finished run "
                "of this configuration (skip_finished=false runs it again)",
                highlight=False,
            )
            return RunResults(previous)
    results = run_experiment(
        cfg,
        output_dir=hydra_cfg.runtime.output_dir,
        overrides=list(hydra_cfg.overrides.task),
        run_cfg=take_validated(),
    )
    if results["status"] != "ok":
        err = Console(stderr=True)
        err.print(f"[bold red]seqlab: run failed[/] ({results['output_dir']})", highlight=False)
        err.print(results["error"], highlight=False, markup=False)
        # A sweep goes on with its other jobs; its summary reports the failure.
        if hydra_cfg.mode != RunMode.MULTIRUN:
            user_error = results.get("error_type") in USER_ERROR_TYPES
            sys.exit(EXIT_USER_ERROR if user_error else EXIT_RUN_FAILED)
    return RunResults(results)


def main() -> None:
    """Console-script entry point."""
    _job()
