"""One run, end to end: set up, load, build, fit, record.

Whatever happens, the run leaves a complete `results.json` with `status` "ok" or
"failed" (and the error), so a sweep's table always has a row for it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from seqlab.config.checks import validate
from seqlab.config.schema import SeqlabConfig
from seqlab.errors import SeqlabError
from seqlab.runs.files import (
    CURVES_FILE,
    HISTORY_FILE,
    RESULTS_FILE,
    read_results,
    write_json_atomic,
)
from seqlab.runs.record import RunRecord

log = logging.getLogger(__name__)


def run_title(cfg: DictConfig | SeqlabConfig) -> str:
    return f"{cfg.model.cell} impl={cfg.impl.name} on {cfg.dataset.name}"


def run_experiment(
    cfg: DictConfig,
    output_dir: Path,
    overrides: list[str],
    console: Console | None = None,
    run_cfg: SeqlabConfig | None = None,
) -> dict[str, Any]:
    """Run one experiment and write results.json (and the other files) into `output_dir`.

    `run_cfg` is the validated config when the caller already validated `cfg`.
    """
    started = time.perf_counter()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    record = RunRecord(
        title=run_title(cfg),
        output_dir=str(output_dir),
        overrides=list(overrides),
        config=OmegaConf.to_container(cfg, resolve=True),
    )
    try:
        _run(run_cfg or validate(cfg), output_dir, record, console or Console(), started)
        record.status = "ok"
    except Exception as exc:
        if not isinstance(exc, SeqlabError):
            log.exception("run failed")
        record.fail(exc)
    finally:
        record.timing["total_s"] = time.perf_counter() - started
        write_json_atomic(output_dir / RESULTS_FILE, record.as_dict())
    return record.as_dict()


def _run(
    cfg: SeqlabConfig, output_dir: Path, record: RunRecord, console: Console, started: float
) -> None:
    from seqlab.runs import memory
    from seqlab.runs.device import select_device

    device, scope = select_device(cfg.device)  # before any data: device=gpu fails fast
    record.device = device.as_dict()

    from seqlab.runs.environment import environment
    from seqlab.runs.setup import fresh_keras, prepare
    from seqlab.runs.training import train

    record.env = environment(device.gpu_name)
    fresh_keras(cfg.trainer.seed)
    memory.reset_peaks()
    with scope:
        run = prepare(cfg, device)  # load the data and check it
        record.data = run.data.summary()
        record.cudnn = run.cudnn.as_dict()
        outcome = train(run, output_dir, record, console)  # build, fit, save
    outcome.timing.total_s = time.perf_counter() - started
    record.timing = outcome.timing.as_dict()
    record.metrics = {"metric": run.task.metric, **outcome.metrics}
    record.memory = memory.peaks()
    record.files["history"] = HISTORY_FILE
    from seqlab.runs.curves import curves_chart

    if curves_chart(outcome.history, run.task.metric, output_dir / CURVES_FILE):
        record.files["curves"] = CURVES_FILE
    if outcome.nan_at is not None:
        epoch, step = outcome.nan_at
        raise SeqlabError(
            f"The training loss became NaN at epoch {epoch}, step {step}; training stopped "
            "there (the history up to that point is kept). Lower trainer.lr or set "
            "trainer.clipnorm."
        )
    if cfg.trainer.progress:
        from seqlab.runs.progress import print_summary

        print_summary(console, record)


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
