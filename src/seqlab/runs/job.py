"""A job: run here, or in a child process when its backend differs from this process's.

Keras reads KERAS_BACKEND once, at its first import, so a process that ran a
TensorFlow job cannot run a JAX one. The parent writes the job's composed config to a
file, starts `python -m seqlab.runs.job CONFIG OUTPUT_DIR OVERRIDES_JSON LAUNCHER_JSON`
and waits;
the child runs the job exactly as the parent would (same folder rules, same record)
and exits 0 (ok), 1 (failed), 2 (refused: config, data, device, folder), 130/143
(SIGINT/SIGTERM). The parent reads the job's results.json, so the sweep's summary is
the same as with a launcher that gives every job its own process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from seqlab.errors import Exit, FolderError, is_user_error

SIGNAL_EXITS = {int(Exit.SIGINT): "SIGINT", int(Exit.SIGTERM): "SIGTERM"}


def run_job(
    cfg: DictConfig,
    output_dir: Path,
    overrides: list[str],
    launcher: dict[str, Any] | None = None,
    validated: Any = None,
) -> dict[str, Any]:
    """Run the job in this process, or in a child one when Keras already runs on another
    backend here (an earlier job of the sweep); returns its record."""
    from seqlab.backends import can_activate
    from seqlab.runs.experiment import run_experiment

    if can_activate(cfg.backend.name):
        return run_experiment(cfg, output_dir, overrides, run_cfg=validated, launcher=launcher)
    return run_in_child(cfg, output_dir, overrides, launcher)


def run_in_child(
    cfg: DictConfig,
    output_dir: Path,
    overrides: list[str],
    launcher: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the job in a fresh process and return its record (as run_experiment does)."""
    from seqlab.records.files import RESULTS_FILE
    from seqlab.records.record import load_record
    from seqlab.records.signals import Interrupted

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as config_file:
        config_file.write(OmegaConf.to_yaml(cfg, resolve=True))
    command = [sys.executable, "-m", "seqlab.runs.job", config_file.name, str(output_dir)]
    process = subprocess.Popen([*command, json.dumps(list(overrides)), json.dumps(launcher)])
    previous = signal.signal(signal.SIGTERM, lambda *_: process.send_signal(signal.SIGTERM))
    try:
        try:
            code = process.wait()
        except KeyboardInterrupt:  # Ctrl-C reaches the child too: let it record that
            code = process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        os.unlink(config_file.name)
    if code in SIGNAL_EXITS:
        raise Interrupted(SIGNAL_EXITS[code])
    record = load_record(Path(output_dir) / RESULTS_FILE)
    if record is None or record.get("pid") != process.pid:
        raise FolderError(
            f"The job in {output_dir} ran in a child process (its backend differs from this "
            f"process's) and was refused there with the message above (exit {code})."
        )
    return record


def main(argv: list[str]) -> int:
    config_path, output_dir, overrides = argv[0], Path(argv[1]), json.loads(argv[2])
    launcher = json.loads(argv[3]) if len(argv) > 3 else None
    from rich.console import Console

    from seqlab.config.store import config_from_record, register_schemas
    from seqlab.errors import SeqlabError
    from seqlab.records.signals import Interrupted
    from seqlab.runs.experiment import run_experiment

    register_schemas()
    cfg = config_from_record(OmegaConf.to_container(OmegaConf.load(config_path)))
    try:
        record = run_experiment(cfg, output_dir, overrides, launcher=launcher)
    except (KeyboardInterrupt, Interrupted) as exc:
        return Exit.for_signal(getattr(exc, "signal_name", "SIGINT"))
    except SeqlabError as exc:
        Console(stderr=True).print(f"seqlab: {exc}", highlight=False, markup=False, soft_wrap=True)
        if (launcher or {}).get("sweep_dir"):  # a launcher's job: its summary says so
            from seqlab.records.refusals import write_refusal

            write_refusal(Path(launcher["sweep_dir"]), output_dir, str(exc))
        return Exit.USER_ERROR
    if record["status"] == "ok":
        return Exit.OK
    user = is_user_error(record.get("error_type"))
    return Exit.USER_ERROR if user else Exit.FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
