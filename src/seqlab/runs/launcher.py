"""Which Hydra launcher runs a job, and how many jobs it runs at once on one node.

A step time measured while other jobs train on the same cores is not the step time of
the job alone, so every record says how its launcher shares a machine. The summary
adds what was measured: how many jobs really trained at the same time on the host
(`seqlab.sweeps.rows.mark_shared`). Ray's own API is used here only, and only when
Ray runs the job.
"""

from __future__ import annotations

import os
from typing import Any

# Hydra launcher classes (`_target_`) by the name users give on the command line.
LAUNCHERS = {
    "BasicLauncher": "basic",
    "JoblibLauncher": "joblib",
    "LocalLauncher": "submitit_local",
    "SlurmLauncher": "submitit_slurm",
    "RayLauncher": "ray",
}


def describe_launcher(launcher_cfg: Any) -> dict[str, Any]:
    """{"name", "workers_per_node", "node"} for the launcher config `hydra.launcher`.

    `workers_per_node` is how many jobs the launcher may run at once on the job's node:
    1 for the basic launcher, joblib's `n_jobs`, Ray's CPUs on the node divided by the
    CPUs each task asks for, submitit_local's `array_parallelism`; None where a
    scheduler decides (Slurm).
    """
    launcher_cfg = launcher_cfg or {}
    target = str(launcher_cfg.get("_target_", "BasicLauncher"))
    name = LAUNCHERS.get(target.rsplit(".", 1)[-1], target)
    info: dict[str, Any] = {"name": name, "workers_per_node": None, "node": None}
    if name == "basic":
        info["workers_per_node"] = 1
    elif name == "joblib":
        n_jobs = int(launcher_cfg.get("n_jobs", -1) or 1)
        cores = os.cpu_count() or 1
        info["workers_per_node"] = n_jobs if n_jobs > 0 else max(1, cores + 1 + n_jobs)
    elif name == "submitit_local":
        info["workers_per_node"] = launcher_cfg.get("array_parallelism")
    elif name == "ray":
        info.update(_ray_worker())
    return info


def _ray_worker() -> dict[str, Any]:
    """The node this Ray task runs on and how many tasks like it fit there at once."""
    try:
        import ray
    except ImportError:
        return {}
    if not ray.is_initialized():  # not inside a Ray worker (a child process of one)
        return {}
    context = ray.get_runtime_context()
    node_id = context.get_node_id()
    node = next((n for n in ray.nodes() if n.get("NodeID") == node_id), {})
    node_cpus = (node.get("Resources") or {}).get("CPU")
    task_cpus = (context.get_assigned_resources() or {}).get("CPU") or 1.0
    workers = int(node_cpus // task_cpus) if node_cpus else None
    return {
        "workers_per_node": workers,
        "node": node.get("NodeManagerAddress"),
        "node_cpus": node_cpus,
        "task_cpus": task_cpus,
    }
