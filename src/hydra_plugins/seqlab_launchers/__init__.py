"""seqlab's Hydra launcher, found by Hydra's plugin scan of the `hydra_plugins` namespace.

`InterleavedLauncher` (`hydra/launcher=interleaved`): the jobs of a comparison live at
once, each in its own process, and compute in turns, chunk by chunk in a random order
each round. The logic is `seqlab.sweeps.interleave`; this is the plugin shell Hydra
instantiates.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

log = logging.getLogger(__name__)


class InterleavedLauncher(Launcher):
    """Families of jobs in turns (see seqlab.sweeps.interleave)."""

    def __init__(
        self,
        group: int = 4,
        chunk_steps: int = 4,
        timeout_s: float = 1800.0,
        seed: int | None = None,
    ) -> None:
        self.group = group
        self.chunk_steps = chunk_steps
        self.timeout_s = timeout_s
        self.seed = seed
        self.launches = 0  # this sweep's launches so far (repeats=auto: one a round)
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.hydra_context = hydra_context

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        from hydra.core.hydra_config import HydraConfig

        from seqlab.cli.main import RunResults
        from seqlab.errors import say
        from seqlab.sweeps import interleave
        from seqlab.sweeps.plan import task_config

        assert self.config is not None and self.hydra_context is not None
        group, steps, timeout_s = interleave.options(self.config)
        baseline = self.config.get("report", {}).get("baseline")
        log.info(f"Launching {len(job_overrides)} jobs, interleaved")
        jobs, configs = [], []
        for offset, overrides in enumerate(job_overrides):
            number = initial_job_idx + offset
            job_config = self.hydra_context.config_loader.load_sweep_config(
                self.config, list(overrides)
            )
            with open_dict(job_config):
                job_config.hydra.job.id = number
                job_config.hydra.job.num = number
            HydraConfig.instance().set_config(job_config)  # for ${hydra:...} in the job
            folder = Path(str(job_config.hydra.sweep.dir)) / str(job_config.hydra.sweep.subdir)
            task = task_config(job_config)
            config_file = interleave.write_config(task)
            jobs.append(interleave.Job(number, list(overrides), folder, config_file))
            configs.append((task, job_config))
        try:
            sweep_dir = Path(str(self.config.hydra.sweep.dir))
            # Fresh orders for every launch unless a seed is set: with one fixed seed, the
            # same round of every sweep got the same order, and sweeps meant to be
            # independent shared its quirks.
            given = secrets.randbits(63) if self.seed is None else self.seed
            seed = f"{given}:{initial_job_idx}"
            rotation, self.launches = self.launches, self.launches + 1
            interleave.run_batch(
                jobs, sweep_dir, baseline, group, steps, timeout_s, seed=seed, rotation=rotation
            )
        finally:
            for job in jobs:
                job.finish()
                Path(job.config_file).unlink(missing_ok=True)
        returns = []
        for job, (task, job_config) in zip(jobs, configs, strict=True):
            record = interleave.result(job)
            if job.stopped:
                say("seqlab", f"job {job.folder} was stopped: it {job.stopped}.")
            elif record.get("skipped"):
                print(f"seqlab: skipped, {job.folder} already holds a finished run of this "
                      "configuration (skip_finished=false runs it again)", flush=True)  # fmt: skip
            returns.append(
                JobReturn(
                    overrides=job.overrides,
                    cfg=task,
                    hydra_cfg=job_config,
                    working_dir=os.getcwd(),
                    task_name=str(job_config.hydra.job.name),
                    status=JobStatus.COMPLETED,
                    _return_value=RunResults(record),
                )
            )
        return returns
