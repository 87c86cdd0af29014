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

from seqlab.conf_dir import conf_dir
from seqlab.schemas import register_schemas

register_schemas()

EXIT_USER_ERROR = 2
EXIT_RUN_FAILED = 1


@hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name="config")
def _job(cfg: DictConfig) -> dict:
    from seqlab.experiment import run_experiment

    hydra_cfg = HydraConfig.get()
    results = run_experiment(
        cfg,
        output_dir=hydra_cfg.runtime.output_dir,
        overrides=list(hydra_cfg.overrides.task),
    )
    if results["status"] != "ok":
        err = Console(stderr=True)
        err.print(f"[bold red]seqlab: run failed[/] ({results['output_dir']})", highlight=False)
        err.print(results["error"], highlight=False, markup=False)
        # A sweep goes on with its other jobs; its summary reports the failure.
        if hydra_cfg.mode != RunMode.MULTIRUN:
            user_error = results.get("error_type") in {"ConfigError", "DataError", "DeviceError"}
            sys.exit(EXIT_USER_ERROR if user_error else EXIT_RUN_FAILED)
    return results


def main() -> None:
    """Console-script entry point."""
    _job()
