"""A sweep job in a child process, for a backend other than the one its process runs.

Keras reads KERAS_BACKEND once, at its first import, so a process that ran a
TensorFlow job cannot run a JAX one. The parent writes the job's composed config to a
file, starts `python -m seqlab.runs.child CONFIG OUTPUT_DIR OVERRIDES_JSON LAUNCHER_JSON`
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

from seqlab.errors import USER_ERRORS, FolderError
from seqlab.runs.signals import EXIT_CODES

EXIT_OK, EXIT_FAILED, EXIT_USER = 0, 1, 2
SIGNAL_EXITS = {code: name for name, code in EXIT_CODES.items()}


def run_in_child(
    cfg: DictConfig,
    output_dir: Path,
    overrides: list[str],
    launcher: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the job in a fresh process and return its record (as run_experiment does)."""
    from seqlab.runs.files import RESULTS_FILE, load_record
    from seqlab.runs.signals import Interrupted

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as config_file:
        config_file.write(OmegaConf.to_yaml(cfg, resolve=True))
    command = [sys.executable, "-m", "seqlab.runs.child", config_file.name, str(output_dir)]
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
    from seqlab.runs.experiment import run_experiment
    from seqlab.runs.signals import Interrupted

    register_schemas()
    cfg = config_from_record(OmegaConf.to_container(OmegaConf.load(config_path)))
    try:
        record = run_experiment(cfg, output_dir, overrides, launcher=launcher)
    except (KeyboardInterrupt, Interrupted) as exc:
        return EXIT_CODES[getattr(exc, "signal_name", "SIGINT")]
    except SeqlabError as exc:
        Console(stderr=True).print(f"seqlab: {exc}", highlight=False, soft_wrap=True)
        return EXIT_USER
    if record["status"] == "ok":
        return EXIT_OK
    user = record.get("error_type") in {error.__name__ for error in USER_ERRORS}
    return EXIT_USER if user else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
