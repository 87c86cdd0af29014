"""Experiment trackers (`tracking=`): where a run is logged besides its own folder.

`mlflow` logs the resolved config as parameters, the per-epoch history as metrics
(step = epoch), the timing figures and final metrics, and the run's files (results.json,
history.csv, the charts, the models) as artifacts, to MLFLOW_TRACKING_URI or MLflow's
default store. A sweep is a parent run (started when the sweep starts, its id kept in
sweep.json) with one child run per job. Tracking never costs a run: a store that
cannot be reached becomes a warning in results.json.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seqlab.records.files import read_json
from seqlab.registry import Registry

# tracking.name -> (tracking config, record, folder) -> a warning, or None when logged
TRACKERS: Registry[Callable[[Any, dict[str, Any], Path], str | None] | None] = Registry(
    "tracker", key="tracking"
)
TRACKERS.add("none", None)
PARENT_KEY = "mlflow_parent_run_id"  # in the sweep's sweep.json


def _quick_failures() -> None:
    """An unreachable server fails in seconds, not after MLflow's minutes of retries."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")


def _flat(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _numbers(values: dict[str, Any], prefix: str = "") -> dict[str, float]:
    return {
        f"{prefix}{k}": float(v)
        for k, v in values.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


def _parent_of(folder: Path) -> str | None:
    """The sweep's parent run, when the job's folder is inside a tracked sweep."""
    try:
        return read_json(Path(folder).parent / "sweep.json").get(PARENT_KEY)
    except (OSError, ValueError, AttributeError):
        return None


@TRACKERS.register("mlflow")
def log_to_mlflow(cfg: Any, record: dict[str, Any], folder: Path) -> str | None:
    """Log one finished run; returns a warning instead of raising."""
    _quick_failures()
    try:
        import mlflow
        from mlflow.tracking import MlflowClient

        client = MlflowClient()
        experiment = mlflow.set_experiment(cfg.experiment).experiment_id
        tags = {
            "seqlab.status": record.get("status"),
            "seqlab.folder": str(folder),
            "seqlab.backend": (record.get("env") or {}).get("backend"),
        }
        parent = _parent_of(folder)
        if parent:
            tags["mlflow.parentRunId"] = parent
        run = client.create_run(
            experiment, run_name=record.get("title"), tags={k: str(v) for k, v in tags.items()}
        )
        run_id = run.info.run_id
        params = {k: str(v)[:6000] for k, v in _flat(record.get("config") or {}).items()}
        items = list(params.items())
        for start in range(0, len(items), 100):  # MLflow takes at most 100 per call
            client.log_batch(
                run_id,
                params=[mlflow.entities.Param(k, v) for k, v in items[start : start + 100]],
            )
        history = _history(folder)
        metrics = []
        for row in history:
            metrics += [
                mlflow.entities.Metric(k, v, 0, int(row["epoch"]))
                for k, v in _numbers({k: row[k] for k in row if k != "epoch"}).items()
            ]
        final = _numbers(record.get("metrics") or {}, "final.")  # beside the epochs' curves
        final |= _numbers(record.get("timing") or {}, "timing.")
        final |= _numbers(record.get("memory") or {}, "memory.")
        metrics += [mlflow.entities.Metric(k, v, 0, 0) for k, v in final.items()]
        for start in range(0, len(metrics), 1000):
            client.log_batch(run_id, metrics=metrics[start : start + 1000])
        for name in _artifacts(record, folder):
            client.log_artifact(run_id, str(Path(folder) / name))
        status = "FINISHED" if record.get("status") == "ok" else "FAILED"
        client.set_terminated(run_id, status)
        return None
    except Exception as exc:  # tracking must never cost the run its results
        return (
            f"tracking=mlflow: the run was not logged to {_uri()} ({type(exc).__name__}: "
            f"{str(exc)[:300]}). Its results are complete in its folder."
        )


def _uri() -> str:
    try:
        import mlflow

        return mlflow.get_tracking_uri()
    except Exception:
        return os.environ.get("MLFLOW_TRACKING_URI", "MLflow's default store")


def _history(folder: Path) -> list[dict[str, Any]]:
    import csv
    import io

    from seqlab.records.files import read_regular

    try:
        text = read_regular(Path(folder) / "history.csv")
        return [
            {k: float(v) for k, v in row.items() if v not in ("", None)}
            for row in csv.DictReader(io.StringIO(text))
        ]
    except (OSError, ValueError):
        return []


def _artifacts(record: dict[str, Any], folder: Path) -> list[str]:
    files = ["results.json"]
    for value in (record.get("files") or {}).values():
        names = value if isinstance(value, list) else [value]
        files += [n for n in names if (Path(folder) / n).is_file()]
    return list(dict.fromkeys(files))


def track(cfg: Any, record: dict[str, Any], folder: Path) -> str | None:
    """Log a finished run with the configured tracker; a warning when that failed."""
    tracker = TRACKERS.get(cfg.name)
    return None if tracker is None else tracker(cfg, record, folder)


def start_parent(cfg: Any, sweep_dir: Path) -> tuple[str | None, str | None]:
    """(parent run id, warning) for a sweep tracked with MLflow."""
    if cfg.name != "mlflow":
        return None, None
    _quick_failures()
    try:
        import mlflow
        from mlflow.tracking import MlflowClient

        client = MlflowClient()
        experiment = mlflow.set_experiment(cfg.experiment).experiment_id
        run = client.create_run(
            experiment, run_name=f"sweep {sweep_dir}", tags={"seqlab.sweep": str(sweep_dir)}
        )
        return run.info.run_id, None
    except Exception as exc:
        return None, f"tracking=mlflow: the sweep was not logged ({type(exc).__name__}: {exc})"


def end_parent(run_id: str | None, sweep_dir: Path, ok: bool) -> None:
    """Attach the summary files to the sweep's parent run and close it (best effort)."""
    if not run_id:
        return
    try:
        from mlflow.tracking import MlflowClient

        client = MlflowClient()
        for name in ("summary.csv", "summary.md", "summary.png"):
            if (Path(sweep_dir) / name).is_file():
                client.log_artifact(run_id, str(Path(sweep_dir) / name))
        client.set_terminated(run_id, "FINISHED" if ok else "FAILED")
    except Exception:
        pass  # the summary is in the sweep folder either way
