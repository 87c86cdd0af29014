"""One run, end to end: claim the folder, set up, load, build, fit, record.

Whatever happens, the run leaves a `results.json`: "running" (with pid, host and
start time) before it loads any data, then "ok", "failed" (with the error) or
"interrupted" (SIGINT/SIGTERM, with the epochs it finished). A process killed
outright leaves "running", which readers report as incomplete.
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from seqlab.config.validate import validate
from seqlab.errors import FolderError, MissingExtra, SeqlabError, one_line, say
from seqlab.records import signals
from seqlab.records.checkpoints import Checkpoints
from seqlab.records.files import (
    CURVES_FILE,
    HISTORY_FILE,
    RESULTS_FILE,
    write_atomic,
    write_history_csv,
    write_json_atomic,
)
from seqlab.records.folder import fingerprint, hold
from seqlab.records.record import RunRecord
from seqlab.runs.decision import Start, decide, finished_read_only
from seqlab.schema.options import SeqlabConfig
from seqlab.training.interleave import Gate

log = logging.getLogger(__name__)
# How a run called without a launcher's description runs: alone, in this process (the
# launchers' own descriptions come from seqlab.sweeps.launchers, through the CLI).
ALONE = {"name": "basic", "workers_per_node": 1, "node": None}


def run_title(cfg: DictConfig | SeqlabConfig) -> str:
    return f"{cfg.model.cell} impl={cfg.impl.name} on {cfg.dataset.name}"


def run_experiment(
    cfg: DictConfig,
    output_dir: Path,
    overrides: list[str],
    console: Console | None = None,
    run_cfg: SeqlabConfig | None = None,
    launcher: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one experiment in `output_dir` and return its record (also in results.json).

    `run_cfg` is the validated config when the caller already validated `cfg`;
    `launcher` describes the Hydra launcher running the job (`seqlab.sweeps.launchers`;
    None: this process alone, as the basic launcher runs it). An
    earlier finished run of the same experiment is returned as it is (with
    `skip_finished`). Raises FolderError when the folder holds another experiment or
    another process, or cannot be written, and `signals.Interrupted` after recording an
    interruption.
    """
    started = time.perf_counter()
    output_dir = Path(output_dir)
    signals.stop_when_orphaned()
    config = OmegaConf.to_container(cfg, resolve=True)
    done = finished_read_only(output_dir, config) if cfg.get("skip_finished", True) else None
    if done is not None:  # nothing can be written there, and nothing needs to be
        _refuse_other_data(done, run_cfg or validate(cfg), output_dir)
        return {**done, "skipped": True}
    with hold(output_dir, "run"):
        start = decide(
            output_dir,
            config,
            resume=bool(cfg.trainer.get("resume", True)),
            skip_finished=bool(cfg.get("skip_finished", True)),
        )
        if start.action == "skip":
            _refuse_other_data(start.previous, run_cfg or validate(cfg), output_dir)
            return {**start.previous, "skipped": True}
        gate = Gate.from_env()  # started by hydra/launcher=interleaved: compute in turns
        record = RunRecord(run_title(cfg), str(output_dir), list(overrides), config)
        record.env["launcher"] = launcher or ALONE
        if start.checkpoint is not None:  # how far the run got: its checkpoint, never more
            record.epochs_finished = start.checkpoint.epoch
        for warning in start.warnings:  # said where the user looks: terminal and record
            record.warnings.append(warning)
            say("seqlab", warning)
        try:
            _save_config_record(output_dir, cfg, overrides)
            write_json_atomic(output_dir / RESULTS_FILE, record.as_dict())  # "running"
        except OSError as exc:  # a full disk, a .hydra that is a file
            raise _as_folder_error(exc, output_dir) from None
        try:
            with signals.interruptible():
                if gate is not None:
                    gate.turn()  # the warm-up's turn: nothing heavy ran before it
                config = run_cfg or validate(cfg)
                _run(config, output_dir, record, console or Console(), start, gate)
                signals.check()  # a signal whose exception Python swallowed
            record.status = "ok"
        except (KeyboardInterrupt, signals.Interrupted) as exc:
            with signals.recording():  # a second Ctrl-C must not cut the record short
                name = getattr(exc, "signal_name", "SIGINT")
                saved = _checkpoint_epoch(output_dir, history=True)
                # The committed checkpoint is how far the run got (the record may be
                # one epoch behind it: it is rewritten right after the commit).
                record.epochs_finished = max(record.epochs_finished, saved or 0)
                record.interrupt(name, saved)
                record.timing["total_s"] = time.perf_counter() - started
                _write_record(output_dir, record)
            raise
        except Exception as exc:
            from seqlab.backends import out_of_memory

            if not isinstance(exc, SeqlabError | OSError) and not out_of_memory(exc):
                log.exception("run failed")  # out of memory is said in one paragraph
            record.fail(_as_memory_error(_as_folder_error(exc, output_dir), cfg))
        if record.status != "interrupted":
            record.timing["total_s"] = time.perf_counter() - started
            try:
                with signals.deferred():  # the record is written whole; a signal waits
                    _write_record(output_dir, record)
                    if record.status == "ok":
                        Checkpoints(output_dir).clear()  # the trained model is model.keras
            except signals.Interrupted as exc:
                raise signals.Interrupted(exc.signal_name, after=_finished(record)) from None
        try:
            with signals.interruptible():  # a tracker on the network may take long
                _track(cfg, record, output_dir)
        except (KeyboardInterrupt, signals.Interrupted) as exc:
            name = getattr(exc, "signal_name", "SIGINT")
            after = f"{_finished(record)}; logging it to the tracker did not complete"
            raise signals.Interrupted(name, after=after) from None
        return record.as_dict()


def _refuse_other_data(previous: dict[str, Any], cfg: SeqlabConfig, output_dir: Path) -> None:
    """A finished run is skipped only while its data is still the data it trained on: a
    file replaced under the same name would make its row stand beside rows trained on
    the new file, as if they were one experiment."""
    recorded = (previous.get("start") or {}).get("data")
    if not isinstance(recorded, str):
        return  # a record from before seqlab kept the data's fingerprint
    from seqlab.data.loading import load_dataset

    now = load_dataset(cfg.dataset).fingerprint()
    if now != recorded:
        where = cfg.dataset.path or f"dataset={cfg.dataset.name}'s data"
        raise FolderError(
            f"{output_dir} holds a finished run of this configuration, trained on other data "
            f"than {where} holds now (data fingerprint {recorded} then, {now} now): the "
            "file was replaced or changed since. Skipping it would put its results beside "
            "runs on the new data as one experiment. Put the original file back, or train "
            "again on the new data with skip_finished=false (the earlier files are moved "
            "into .attic/), or run in a new folder."
        )


def _finished(record: RunRecord) -> str:
    """What a signal that came after the final record found, and what comes next."""
    then = "skips it" if record.status == "ok" else "runs it again"
    return f"the run had ended, and its results.json says {record.status} (the same command {then})"


def _track(cfg: DictConfig, record: RunRecord, output_dir: Path) -> None:
    """Log the finished run to the configured tracker; a failure becomes a warning."""
    tracking = cfg.get("tracking")
    if tracking is None or tracking.get("name", "none") == "none":
        return
    from seqlab.records.tracking import track

    warning = track(tracking, record.as_dict(), output_dir)
    if warning:
        record.warnings.append(warning)
        with signals.deferred():
            _write_record(output_dir, record)


def _checkpoint_epoch(output_dir: Path, history: bool = False) -> int | None:
    """The epoch of the newest complete checkpoint; `history`: make history.csv say the
    same epochs (a signal between the checkpoint and history.csv left it one behind)."""
    try:
        checkpoint = Checkpoints(output_dir).latest()
    except FolderError:
        return None
    if checkpoint is None:
        return None
    if history and checkpoint.history:
        with contextlib.suppress(OSError):  # the record matters more; it comes next
            write_history_csv(output_dir / HISTORY_FILE, checkpoint.history)
    return checkpoint.epoch


def _as_folder_error(exc: Exception, output_dir: Path) -> Exception:
    """A write that failed for lack of space or permission, said as the user's problem."""
    if not isinstance(exc, OSError) or exc.errno is None:
        return exc
    where = exc.filename or output_dir
    return FolderError(
        f"Writing {where} failed: {exc.strerror} (errno {exc.errno}). The run's output "
        f"folder {output_dir} must be writable and have free space; fix that and run the "
        "same command again (it resumes from the last complete checkpoint)."
    )


class OutOfMemory(SeqlabError):
    """A run that needed more memory than the machine (or the GPU) has."""


def _as_memory_error(exc: Exception, cfg: DictConfig) -> Exception:
    """A run out of memory, said as what it is: where a scaling sweep's curve ends."""
    from seqlab.backends import out_of_memory

    if isinstance(exc, SeqlabError) or not out_of_memory(exc):
        return exc
    return OutOfMemory(
        f"The run ran out of memory ({type(exc).__name__}: {one_line(exc, 200)}). At this "
        f"size (batch {cfg.trainer.batch_size}, {cfg.model.units} units) it needs more "
        "than the machine has: a scaling sweep's curve ends here. Lower the batch size, the "
        "sequence length or the units, or run on a machine with more memory."
    )


def _write_record(output_dir: Path, record: RunRecord) -> None:
    """Write results.json; if even that fails, say so (the process exits non-zero).

    On a full disk the record is tried once more without what a reader can do without
    (the timing definitions, the load's samples, a traceback): a smaller record that
    says how the run ended is worth more than the last "running" one.
    """
    try:
        try:
            write_json_atomic(output_dir / RESULTS_FILE, record.as_dict())
        except OSError:
            write_json_atomic(output_dir / RESULTS_FILE, record.as_dict(compact=True))
    except OSError as exc:
        raise FolderError(
            f"The run ended {record.status!r}, but its record could not be written to "
            f"{output_dir / RESULTS_FILE}: {exc.strerror} (errno {exc.errno}). Free space "
            "or fix the folder's permissions; the run's error was: "
            f"{record.error or 'none'}"
        ) from None


def _save_config_record(output_dir: Path, cfg: DictConfig, overrides: list[str]) -> None:
    """Hydra's `.hydra/` record of the composed config, written after the folder is claimed."""
    hydra_dir = output_dir / ".hydra"
    if hydra_dir.is_symlink():  # replaced, not followed: never write through a link
        hydra_dir.unlink()
    hydra_dir.mkdir(exist_ok=True)
    write_atomic(hydra_dir / "config.yaml", lambda tmp: OmegaConf.save(cfg, tmp))
    write_atomic(hydra_dir / "overrides.yaml", lambda tmp: OmegaConf.save(list(overrides), tmp))


def _run(
    cfg: SeqlabConfig,
    output_dir: Path,
    record: RunRecord,
    console: Console,
    start: Start,
    gate: Any = None,
) -> None:
    from seqlab.backends.devices import select_device
    from seqlab.runs import machine

    # Before any data: device=gpu fails fast, and the backend starts on its device.
    device, scope = select_device(cfg.device, cfg.backend.name, cfg.trainer.smoke)
    record.device = device.as_dict()

    from seqlab.backends import current
    from seqlab.runs.machine import environment
    from seqlab.runs.setup import fresh_keras, prepare
    from seqlab.training.figures import curves_chart
    from seqlab.training.fingerprints import order_fingerprint
    from seqlab.training.load import LoadMeter, over_turns
    from seqlab.training.progress import print_summary
    from seqlab.training.trainer import train

    record.env.update(environment(device.gpu_name))  # beside the launcher, set at the start
    if cfg.backend.name == "jax" and cfg.impl.name == "manual":
        console.print(
            "seqlab: impl=manual on backend=jax unrolls the time loop into one XLA program; "
            "compiling it took 90-150 s for 80 steps on 2 CPU cores before the first step "
            "(measured). The first epoch's time includes it.",
            highlight=False,
        )
    fresh_keras(cfg.trainer.seed)
    machine.reset_peaks()
    with scope:
        run = prepare(cfg, device)  # load the data and check it
        record.data = run.data.summary()
        record.start = {
            "data": run.data.fingerprint(),
            "data_order": order_fingerprint(run),
            "pipeline": current().PIPELINE,
            "seed": cfg.trainer.seed,
        }
        record.cudnn = run.cudnn.as_dict()
        mark = fingerprint(record.config)
        meter = LoadMeter().start()  # what else ran on the cores while this one trained
        try:
            outcome = train(run, output_dir, record, console, start.checkpoint, mark, gate)
        finally:
            meter.stop()
        record.load = meter.as_dict(outcome.timing.fit_window)
        if outcome.timing.chunks:  # interleaved: the others of its family are no load on it
            record.load.update(over_turns(outcome.timing.chunks))
    record.timing = outcome.timing.as_dict()
    # The direction is the task's, recorded once: every reader (the page's best, its
    # charts) takes it from here rather than guessing from the metric's name.
    task = {"metric": run.task.metric, "higher_is_better": run.task.higher_is_better}
    record.metrics = {**task, **outcome.metrics}
    record.memory = machine.peaks()
    record.files["history"] = HISTORY_FILE
    try:
        if curves_chart(outcome.history, run.task.metric, output_dir / CURVES_FILE):
            record.files["curves"] = CURVES_FILE
    except MissingExtra as exc:  # a picture of the history: the history itself is there
        record.warnings.append(f"curves.png was not drawn: {exc}")
    if outcome.nan_at is not None:
        epoch, step = outcome.nan_at
        raise SeqlabError(
            f"The training loss became NaN at epoch {epoch}, step {step}; training stopped "
            "there (the history up to that point is kept). Lower trainer.lr or set "
            "trainer.clipnorm."
        )
    print_summary(console, record)
