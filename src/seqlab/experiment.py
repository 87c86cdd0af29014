"""One run, end to end: validate, set up the device, load, build, train, write results.

Whatever happens, the run leaves a complete `results.json` with `status` "ok" or
"failed" (and the error), so a sweep's table always has a row for it.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.console import Console

from seqlab.config import SeqlabConfig
from seqlab.errors import ConfigError, SeqlabError
from seqlab.results import (
    CURVES_FILE,
    HISTORY_FILE,
    MODEL_FILE,
    RESULTS_FILE,
    read_results,
    write_json_atomic,
)

log = logging.getLogger(__name__)


def typed_config(cfg: DictConfig) -> SeqlabConfig:
    """Build the dataclasses (running every range check); config problems -> ConfigError."""
    try:
        return OmegaConf.to_object(cfg)
    except OmegaConfBaseException as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, SeqlabError) else None
        if cause is not None:
            raise cause from None
        raise ConfigError(f"The configuration is invalid: {exc}") from None


def run_title(cfg: DictConfig) -> str:
    return f"{cfg.model.cell} impl={cfg.impl.name} on {cfg.dataset.name}"


def run_experiment(
    cfg: DictConfig, output_dir: Path, overrides: list[str], console: Console | None = None
) -> dict[str, Any]:
    """Run one experiment and write results.json (and history.csv) into `output_dir`."""
    started = time.perf_counter()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "status": "running",
        "title": run_title(cfg),
        "output_dir": str(output_dir),
        "overrides": list(overrides),
        "config": OmegaConf.to_container(cfg, resolve=True),
        "metrics": {},
        "timing": {},
        "memory": {},
        "cudnn": {},
        "device": {},
        "params": None,
        "env": {},
        "error": None,
        "files": {},
    }
    try:
        _run(cfg, output_dir, results, console, started)
        results["status"] = "ok"
    except SeqlabError as exc:
        results.update(status="failed", error=str(exc), error_type=type(exc).__name__)
    except Exception as exc:  # a crash inside Keras/TF: keep the run's record anyway
        log.exception("run failed")
        results.update(
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            error_type=type(exc).__name__,
            traceback=traceback.format_exc(),
        )
    finally:
        if results["timing"] is not None:
            results["timing"]["total_s"] = time.perf_counter() - started
        write_json_atomic(output_dir / RESULTS_FILE, results)
    return results


def _run(cfg, output_dir, results, console, started) -> None:
    run_cfg = typed_config(cfg)

    from seqlab.device import select_device

    device, scope = select_device(run_cfg.device)  # before any data: device=gpu fails fast
    results["device"] = device.as_dict()

    import keras

    from seqlab import memory
    from seqlab.charts import curves_chart
    from seqlab.checkpointing import EpochLog, backup_callback, backup_epoch, read_history
    from seqlab.datasets import load_dataset
    from seqlab.env_info import environment
    from seqlab.model_builder import InputSpec, build_model, check_supported, check_task
    from seqlab.progress import RichProgress
    from seqlab.stateful import ChunkLayout, StateReset, check_enough, reset_interval
    from seqlab.tasks import task_spec
    from seqlab.timing import StepTimer, Timing
    from seqlab.trainer import compile_model, fit, steps_per_epoch

    results["env"] = environment(device.gpu_name)
    # Each run of a sweep starts from a clean Keras state (names, graphs, memory).
    keras.utils.clear_session(free_memory=True)
    memory.reset_peak_rss()
    memory.reset_gpu_peak()
    keras.utils.set_random_seed(run_cfg.trainer.seed)

    with scope:
        data = load_dataset(run_cfg.dataset)
        results["data"] = {
            "sizes": data.sizes(),
            "timesteps": data.timesteps,
            "features": data.features,
            "vocab_size": data.vocab_size,
            "task": data.task,
            "validation": data.validation,
        }
        stateful = run_cfg.model.stateful
        spec = InputSpec.of(data, run_cfg.trainer.batch_size if stateful else None)
        task = task_spec(data.task, data.num_classes, data.features)
        check_task(run_cfg.model, data.task)
        report = check_supported(spec, run_cfg.model, run_cfg.impl.name)
        layout = None
        if stateful:
            layout = ChunkLayout.of(run_cfg.model, data.timesteps, run_cfg.trainer.batch_size)
            check_enough(len(data.x_train), layout.batch_size)
        report.gpu_present = device.gpu_present and device.used == "gpu"
        results["cudnn"] = report.as_dict()

        timing = Timing()
        t0 = time.perf_counter()
        model = build_model(spec, run_cfg.model, run_cfg.impl.name, task.output_units)
        timing.build_s = time.perf_counter() - t0
        results["params"] = int(sum(int(w.numpy().size) for w in model.trainable_weights))
        compile_model(model, task, run_cfg.trainer, layout)
        timer = StepTimer(run_cfg.trainer.warmup_steps)
        resumed_from = backup_epoch(output_dir) if run_cfg.trainer.resume else 0
        previous = read_history(output_dir, resumed_from)
        epoch_log = EpochLog(output_dir, timer, previous)  # writes history.csv per epoch
        callbacks: list = [timer, epoch_log]
        if layout is not None:
            callbacks.insert(0, StateReset(reset_interval(run_cfg.model, layout)))
        if run_cfg.trainer.resume:
            callbacks.append(backup_callback(output_dir))
        if run_cfg.trainer.tensorboard:
            callbacks.append(keras.callbacks.TensorBoard(str(output_dir / "tensorboard")))
        grids = None
        if data.task == "reconstruction":
            from seqlab.image_grid import ReconstructionGrid

            held_out = data.x_test if data.x_test is not None else data.x_val
            grids = ReconstructionGrid(held_out, output_dir / "reconstructions")
            callbacks.append(grids)
        if run_cfg.trainer.progress:
            callbacks.append(
                RichProgress(
                    console or Console(),
                    run_cfg.trainer.epochs,
                    steps_per_epoch(data, run_cfg.trainer, layout),
                    task.metric,
                )
            )
        results["settings"] = {
            "jit_compile": bool(model.jit_compile),
            "dtype_policy": keras.config.dtype_policy().name,
            "batch_size": run_cfg.trainer.batch_size,
            "epochs": run_cfg.trainer.epochs,  # after trainer=smoke's caps
            "steps_per_epoch": steps_per_epoch(data, run_cfg.trainer, layout),
        }
        if layout is not None:
            results["settings"]["stateful"] = {
                "chunk_length": layout.chunk_length,
                "chunks_per_sequence": layout.chunks,
                "reset_state": run_cfg.model.reset_state,
                "optimizer_updates_per_epoch": results["settings"]["steps_per_epoch"]
                // layout.chunks,
            }
        outcome = fit(model, data, task, run_cfg.trainer, callbacks, previous, layout)
        try:
            model.save(output_dir / MODEL_FILE)
            results["files"]["model"] = MODEL_FILE
        except Exception as exc:  # e.g. a custom cell that Keras cannot serialize
            # The training is done and measured; a model that cannot be saved is a
            # warning, not a reason to throw the run's results away.
            results.setdefault("warnings", []).append(
                f"model.keras was not saved ({type(exc).__name__}: {exc}). Register custom "
                "classes with @keras.saving.register_keras_serializable()."
            )
        if grids is not None:
            results["files"]["reconstructions"] = grids.files

    # Stateful: a step is one chunk batch; throughput counts whole sequences.
    timer.fill(timing, run_cfg.trainer.batch_size / (layout.chunks if layout else 1))
    if resumed_from:
        # This process ran epochs resumed_from+1.. only; its first epoch paid the tracing.
        timing.resumed = True
        timing.resumed_from_epoch = resumed_from
        timing.epoch_s = [row.get("epoch_s") for row in previous] + timing.epoch_s
        timing.train_epoch_s = [row.get("train_epoch_s") for row in previous] + timing.train_epoch_s
    timing.fit_s, timing.eval_s = outcome.fit_s, outcome.eval_s
    timing.total_s = time.perf_counter() - started
    results["timing"] = timing.as_dict()
    results["metrics"] = {"metric": task.metric, **outcome.metrics}
    results["memory"] = {
        "peak_rss_mb": memory.peak_rss_mb(),
        "peak_gpu_mb": memory.gpu_peak_mb(),
    }
    history = epoch_log.rows  # the rows history.csv already holds
    results["files"]["history"] = HISTORY_FILE
    if curves_chart(history, task.metric, output_dir / CURVES_FILE):
        results["files"]["curves"] = CURVES_FILE
    if run_cfg.trainer.tensorboard:
        results["files"]["tensorboard"] = "tensorboard"
    if outcome.nan_at is not None:
        epoch, step = outcome.nan_at
        raise SeqlabError(
            f"The training loss became NaN at epoch {epoch}, step {step}; training stopped "
            "there (the history up to that point is kept). Lower trainer.lr or set "
            "trainer.clipnorm."
        )
    if run_cfg.trainer.progress:
        from seqlab.progress import print_summary

        print_summary(console or Console(), results)


# Options that change neither what a run computes nor how it is measured.
NOT_PART_OF_THE_RESULT = ("skip_finished",)


def finished_results(cfg: DictConfig, output_dir: Path) -> dict[str, Any] | None:
    """The results of an earlier, successful run of this very config in `output_dir`."""
    previous = read_results(output_dir)
    if not previous or previous.get("status") != "ok":
        return None
    now = OmegaConf.to_container(cfg, resolve=True)
    before = dict(previous.get("config") or {})
    for key in NOT_PART_OF_THE_RESULT:
        now.pop(key, None)
        before.pop(key, None)
    return previous if now == before else None
