"""Hydra's Ray launcher (`hydra/launcher=ray`, extra `seqlab[ray]`), made safe to use.

The released plugin (hydra-ray-launcher 1.2.2, measured with Ray 2.60 and Hydra 1.3.8)
runs each job as a Ray task and works on a local cluster, with gaps that this module
closes before the first job starts:

- Jobs write to `hydra.sweep.dir` as the worker sees it. Workers of a cluster started
  elsewhere (`ray start`) run in that cluster's directory, so a relative sweep folder
  (Hydra's default `multirun/...`) would land there while the summary looks here: the
  folder is made absolute first (on several machines it must be a shared filesystem).
- The plugin always passes `object_store_memory` to `ray.init`, which Ray refuses when
  joining an existing cluster (`hydra.launcher.ray.init.address=...`): it is left to
  the cluster unless the user sets it.
- Without an address the plugin calls `ray.init()`, which joins a cluster that `ray
  start` left running on this machine; seqlab asks for a local cluster of its own.
- Ray is started (or joined) here, so that a cluster that cannot be reached is one
  paragraph and exit 2 instead of a traceback or a wait of many minutes; the plugin
  then finds Ray running and uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from seqlab.errors import LauncherError, one_line

PLUGIN_OBJECT_STORE_DEFAULT = "object_store_memory"


def pin_sweep_dir(config: DictConfig) -> None:
    """Make `hydra.sweep.dir` absolute, for the driver and for every job."""
    sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
    with read_write(config), open_dict(config):
        config.hydra.sweep.dir = str(sweep_dir)
        # Jobs are composed again from these overrides (Hydra's load_sweep_config), so
        # the absolute folder must be one of them.
        quoted = str(sweep_dir).replace("\\", "\\\\").replace("'", "\\'")
        config.hydra.overrides.hydra.append(f"hydra.sweep.dir='{quoted}'")


def start_ray(config: DictConfig) -> None:
    """Start a local Ray cluster, or join the one at hydra.launcher.ray.init.address;
    refuse a job size no node has. A failure is one paragraph (LauncherError), no job ran.

    ray.init makes SIGTERM exit the driver at once: the sweep's driver installs its own
    handler again after this (seqlab.sweeps.driver)."""
    try:
        _start_and_check(config)
    except LauncherError:
        raise
    except Exception as exc:
        raise LauncherError(
            f"hydra/launcher=ray could not be set up: {type(exc).__name__}: {exc}. No job "
            "ran. Check the hydra.launcher.ray options."
        ) from None


def _start_and_check(config: DictConfig) -> None:
    with read_write(config), open_dict(config):
        init = config.hydra.launcher.ray.init
        if init.get("address") and PLUGIN_OBJECT_STORE_DEFAULT not in init:
            init[PLUGIN_OBJECT_STORE_DEFAULT] = None  # the cluster's own setting
    _start(OmegaConf.to_container(config.hydra.launcher.ray.init, resolve=True))
    remote = config.hydra.launcher.ray.get("remote")
    _check_fits(OmegaConf.to_container(remote, resolve=True) if remote is not None else {})


def worker_node() -> dict[str, Any]:
    """The node this Ray task runs on and how many tasks like it fit there at once
    (`env.launcher` of a job's record); empty outside a Ray worker."""
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


def shutdown() -> None:
    """Stop the local cluster this driver started (its agents outlived a SIGTERM'd
    driver by 1-2 minutes), or leave the one it joined; at most a few seconds."""
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()


def _check_fits(remote: dict[str, Any]) -> None:
    """Refuse tasks that ask for more CPUs or GPUs than any node of the cluster has:
    Ray would wait for such a node for ever (measured: still waiting after 12 min)."""
    import ray

    nodes = [n.get("Resources") or {} for n in ray.nodes() if n.get("Alive")]
    for key, resource in (("num_cpus", "CPU"), ("num_gpus", "GPU")):
        wanted = remote.get(key)
        largest = max((n.get(resource, 0.0) for n in nodes), default=0.0)
        if wanted is not None and float(wanted) > largest:
            raise LauncherError(
                f"hydra.launcher.ray.remote.{key}={wanted} asks for more {resource}s per job "
                f"than any node of the Ray cluster has (the largest has {largest:g}), so no "
                f"job could ever start. Ask for at most {largest:g}, or add a larger node to "
                "the cluster."
            )


def _start(init: dict[str, Any]) -> None:
    import ray

    if ray.is_initialized():
        return
    address = init.get("address")
    if not address:
        # "local": a new cluster of this process's own. ray.init() without an address
        # would join a cluster that `ray start` left running on this machine.
        init["address"] = "local"
        init.setdefault(PLUGIN_OBJECT_STORE_DEFAULT, 78643200)  # the plugin's default
    try:
        _reachable(address)
        ray.init(**{k: v for k, v in init.items() if v is not None or k == "address"})
    except Exception as exc:  # ConnectionError, ValueError, AuthenticationError, ...
        detail = one_line(exc, 600)
        where = f"join the Ray cluster at {address}" if address else "start a local Ray cluster"
        raise LauncherError(
            f"hydra/launcher=ray could not {where}: {type(exc).__name__}: {detail}. Without "
            "hydra.launcher.ray.init.address seqlab starts a local cluster on this machine; "
            "with it, seqlab joins the cluster at HOST:PORT (or `auto` for the one `ray "
            "start` began here). A cluster started by `ray start` checks a token (Ray "
            "2.60 does): run seqlab with RAY_AUTH_MODE=token (the token is in "
            "~/.ray/auth_token on the head node). No job ran; fix the address or start the "
            "cluster, then run the same command again."
        ) from None


def _reachable(address: str | None, timeout_s: float = 10.0) -> None:
    """Raise ConnectionError when nothing, or something other than Ray, listens at
    HOST:PORT.

    ray.init retries such an address for many minutes (measured: still waiting after
    600 s with Ray 2.60); a TCP connection and an HTTP/2 greeting answer in seconds.
    """
    import socket

    if not address or "://" in address or address in ("auto", "local"):
        return  # Ray resolves these itself (a local file, Ray Client)
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConnectionError(f"{address!r} is not HOST:PORT")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s) as conn:
            # Ray's GCS speaks gRPC, i.e. HTTP/2: after the client's preface and an empty
            # SETTINGS frame a server answers with its own SETTINGS frame (type 4).
            conn.sendall(HTTP2_PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
            answer = conn.recv(9)
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {address} ({exc.strerror or exc})") from None
    if len(answer) < 9 or answer[3] != 4:
        raise ConnectionError(
            f"what answers at {address} is not a Ray cluster (it does not speak gRPC: "
            f"{answer[:40]!r}); the head node prints its address when `ray start --head` starts"
        )


HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
