"""The launchers seqlab knows, in one table: everything a launcher changes about a sweep.

Each row says what the launcher is called on the command line (`hydra/launcher=...`),
which Hydra class it is and which plugin module brings it (and the extra that installs
it: seqlab names the extra when the plugin is missing), how many jobs it may run at
once on one node (every record says so: a step time measured beside other jobs is not
the job's alone), how it sets `hydra.job.id` (so the plan can place the jobs), and
what must happen before the first job and after a stop. A launcher is found by the
name the user typed (`hydra.runtime.choices`); a YAML of the user's own under another
name is found by its class, and recorded under the name they typed. Supporting a new
launcher is one row here, plus its extra in pyproject.toml.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seqlab.registry import Registry


def _one(cfg: Any) -> int:
    return 1


def _joblib_workers(cfg: Any) -> int:
    n_jobs = int(cfg.get("n_jobs", -1) or 1)
    return n_jobs if n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + n_jobs)


def _ray_setup(config: Any, sweep_dir: Any) -> None:
    from seqlab.sweeps import ray_cluster

    ray_cluster.start_ray(config)


def _ray_node() -> dict[str, Any]:
    from seqlab.sweeps import ray_cluster

    return ray_cluster.worker_node()


def _ray_stop() -> None:
    from seqlab.sweeps import ray_cluster

    ray_cluster.shutdown()


def _interleaved_check(config: Any, overrides: list[list[str]]) -> None:
    from seqlab.sweeps import interleave

    group, _, _ = interleave.options(config)
    baseline = config.get("report", {}).get("baseline")
    interleave.check_families(overrides, baseline, group)


def _ray_prepare(config: Any) -> None:
    from seqlab.sweeps import ray_cluster

    ray_cluster.pin_sweep_dir(config)


@dataclass(frozen=True)
class Launcher:
    """One Hydra launcher, as seqlab uses it.

    Attributes:
        name: what users write: `hydra/launcher=<name>`.
        target: the class name that ends Hydra's `hydra.launcher._target_`.
        workers: how many jobs it may run at once on one node, from `hydra.launcher`
            (None: a scheduler decides).
        job_id: `hydra.job.id` as it sets it for job `num` of job name `name`; None when
            only the job itself knows it.
        prepare: changes the sweep's config before anything else (Ray: an absolute
            sweep folder, which workers elsewhere write to).
        setup: runs after the plan, before the first job (Ray: start or join a cluster).
        node: facts about the node a job runs on, read inside the job (Ray).
        stop: runs after a signal, before the driver exits (Ray: shut the cluster down).
        check: refuses, before the sweep's folder exists, what it cannot run (the
            interleaved one: a comparison larger than the processes it may keep).
        extra: the seqlab extra that installs its plugin.
        plugin: the module of its Hydra plugin (None: Hydra's own).
    """

    name: str
    target: str
    workers: Callable[[Any], int | None]
    job_id: Callable[[str, int], Any] | None = None
    prepare: Callable[[Any], None] | None = None
    setup: Callable[[Any, Any], None] | None = None
    node: Callable[[], dict[str, Any]] | None = None
    stop: Callable[[], None] | None = None
    check: Callable[[Any, list[list[str]]], None] | None = None
    extra: str | None = None
    plugin: str | None = None


LAUNCHERS: Registry[Launcher] = Registry("launcher", key="hydra/launcher")
for _row in (
    Launcher("basic", "BasicLauncher", _one, job_id=lambda name, num: num),
    Launcher(
        "interleaved",
        "InterleavedLauncher",
        lambda cfg: cfg.get("group"),  # alive at once; only one of them computes
        job_id=lambda name, num: num,
        check=_interleaved_check,
    ),
    Launcher(
        "joblib",
        "JoblibLauncher",
        _joblib_workers,
        job_id=lambda name, num: f"{name}_{num}",
        extra="joblib",
        plugin="hydra_plugins.hydra_joblib_launcher",
    ),
    Launcher(
        "submitit_local",
        "LocalLauncher",
        lambda cfg: cfg.get("array_parallelism"),
        extra="submitit",
        plugin="hydra_plugins.hydra_submitit_launcher",
    ),
    Launcher(
        "submitit_slurm",
        "SlurmLauncher",
        lambda cfg: None,
        extra="submitit",
        plugin="hydra_plugins.hydra_submitit_launcher",
    ),
    Launcher(
        "ray",
        "RayLauncher",
        lambda cfg: None,  # known inside the job only: its node's CPUs over the task's
        job_id=lambda name, num: f"job_id_for_{num}",
        prepare=_ray_prepare,
        setup=_ray_setup,
        node=_ray_node,
        stop=_ray_stop,
        extra="ray",
        plugin="hydra_plugins.hydra_ray_launcher",
    ),
):
    LAUNCHERS.add(_row.name, _row)


def launcher_of(launcher_cfg: Any, choice: str | None = None) -> Launcher | None:
    """The row of the launcher the user chose: by the name typed (`choice`, from
    `hydra.runtime.choices["hydra/launcher"]`), else by the class `hydra.launcher`
    configures (a YAML of their own under another name); None for a launcher seqlab
    does not know (it runs, but seqlab cannot say how it shares a machine)."""
    if choice in LAUNCHERS:
        return LAUNCHERS.get(choice)
    target = str((launcher_cfg or {}).get("_target_", "BasicLauncher")).rsplit(".", 1)[-1]
    return next((row for row in map(LAUNCHERS.get, LAUNCHERS) if row.target == target), None)


def chosen(config: Any) -> Launcher | None:
    """The launcher row of a composed config (with its hydra node)."""
    choices = config.hydra.runtime.get("choices") or {}
    return launcher_of(config.hydra.launcher, choices.get("hydra/launcher"))


def describe(launcher_cfg: Any, choice: str | None = None) -> dict[str, Any]:
    """What results.json records under `env.launcher`: the name the user chose, how many
    jobs it may run at once on the job's node (`workers_per_node`), and, on Ray, the
    node."""
    row = launcher_of(launcher_cfg, choice)
    if row is None:
        target = str((launcher_cfg or {}).get("_target_", "?"))
        return {"name": choice or target, "workers_per_node": None, "node": None}
    info: dict[str, Any] = {
        "name": choice or row.name,
        "workers_per_node": row.workers(launcher_cfg or {}),
        "node": None,
    }
    if row.node is not None:
        info.update(row.node())
    return info


def missing_plugin(argv: list[str]) -> str | None:
    """A paragraph when the command line asks for a launcher whose plugin is not
    installed (Hydra would say only that it cannot find the config), else None."""
    import importlib.util

    for arg in argv:
        key, _, name = arg.lstrip("+").partition("=")
        if key == "hydra/launcher" and name in LAUNCHERS:
            row = LAUNCHERS.get(name)
            if row.plugin and importlib.util.find_spec(row.plugin) is None:
                return (
                    f"hydra/launcher={name} needs Hydra's {name} launcher plugin "
                    f"({row.plugin}), which is not installed. Install it with `pip install "
                    f"'seqlab[{row.extra}]'`, or leave hydra/launcher out (the basic "
                    "launcher runs the jobs one after another)."
                )
    return None
