"""tracking=mlflow against a real local store, read back through MlflowClient."""

from __future__ import annotations

import pytest

from seqlab.runs.experiment import run_experiment

from .conftest import run_cli

mlflow = pytest.importorskip("mlflow")
pytestmark = pytest.mark.e2e  # a real MLflow store: integration, not the fast tier
OVERRIDES = ["tracking=mlflow", "trainer=smoke", "trainer.progress=false", "model.units=4"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    yield mlflow.tracking.MlflowClient(uri)
    mlflow.set_tracking_uri(None)


def _runs(client):
    experiment = client.get_experiment_by_name("seqlab")
    return client.search_runs([experiment.experiment_id]) if experiment else []


def test_a_run_logs_its_config_epochs_timing_and_files(compose_cfg, tmp_path, store):
    results = run_experiment(compose_cfg(*OVERRIDES), tmp_path / "run", OVERRIDES)
    assert results["status"] == "ok" and results["warnings"] == []
    (run,) = _runs(store)
    assert run.info.status == "FINISHED" and run.data.tags["seqlab.status"] == "ok"
    assert run.data.params["model.units"] == "4" and run.data.params["tracking.name"] == "mlflow"
    history = store.get_metric_history(run.info.run_id, "val_accuracy")
    assert [m.step for m in history] == [1, 2]  # one value per epoch
    assert run.data.metrics["final.test_accuracy"] == pytest.approx(
        results["metrics"]["test_accuracy"]
    )
    assert run.data.metrics["timing.first_epoch_s"] > 0
    files = {a.path for a in store.list_artifacts(run.info.run_id)}
    assert {"results.json", "history.csv", "model.keras", "curves.png"} <= files


def test_an_unreachable_store_is_a_warning_not_a_lost_run(compose_cfg, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    mlflow.set_tracking_uri("http://127.0.0.1:9")
    try:
        results = run_experiment(compose_cfg(*OVERRIDES), tmp_path, OVERRIDES)
    finally:
        mlflow.set_tracking_uri(None)
    assert results["status"] == "ok"
    (warning,) = results["warnings"]
    assert "was not logged to http://127.0.0.1:9" in warning
    assert "complete in its folder" in warning


def test_tracking_does_not_change_the_experiments_fingerprint():
    from seqlab.records.folder import fingerprint

    base = {"model": {"units": 4}, "tracking": {"name": "none", "experiment": "seqlab"}}
    assert fingerprint(base) == fingerprint({**base, "tracking": {"name": "mlflow"}})


def test_a_sweep_is_a_parent_run_with_one_child_per_job(tmp_path, store):
    result = run_cli(
        "-m", "model=lstm,gru", *OVERRIDES, "hydra.sweep.dir=sweep", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    runs = _runs(store)
    (parent,) = [r for r in runs if "seqlab.sweep" in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(r.data.params["model.cell"] for r in children) == ["gru", "lstm"]
    assert parent.info.status == "FINISHED"
    assert "summary.csv" in {a.path for a in store.list_artifacts(parent.info.run_id)}
