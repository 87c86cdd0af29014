"""`seqlab-predict RUN_DIR`: evaluate a finished run's saved model, by default on the CPU.

The run's results.json holds its resolved config, so the same data (same split,
same limit) is loaded again through the run's own set-up (`seqlab.runs.setup`); the
saved `model.keras` is evaluated on the test split (the validation split when there
is none) and the predictions are written beside it. `--impl` rebuilds the model with
another implementation of the recurrence and moves the trained weights into it: a
model trained with impl=layer (cuDNN on a GPU) runs as impl=cell_loop or impl=manual
on a CPU. `--data` evaluates on another file in the same keras.datasets format.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from seqlab.models.impls import IMPLEMENTATIONS

PREDICTIONS_FILE = "predictions.npz"


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="seqlab-predict",
        description="Evaluate a saved seqlab run and write its test-split predictions.",
    )
    parser.add_argument("run_dir", type=Path, help="a run's output directory (has model.keras)")
    parser.add_argument("--device", choices=("cpu", "gpu", "auto"), default="cpu")
    parser.add_argument(
        "--impl",
        choices=IMPLEMENTATIONS.names(),
        help="rebuild the model with this implementation and load the trained weights into it",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=256,
        help="batch size of the evaluation (a stateful run always uses its own, which "
        "its states were built for)",
    )
    parser.add_argument(
        "--best",
        action="store_true",
        help="evaluate model_best.keras (the epoch with the best validation metric) instead "
        "of model.keras (the last epoch)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="evaluate on this file (or folder) instead of the run's dataset.path: the same "
        "dataset in the same keras.datasets format, processed as the run's config says",
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="MODULE",
        help="import a custom cell from this module (and its submodules): a run folder is "
        "data, so seqlab-predict imports only seqlab's own cells and the modules named here "
        "or in SEQLAB_TRUST (comma-separated)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write the predictions (default: predictions.npz in the run folder, "
        "predictions.<impl>.npz with --impl, predictions.<data file>.npz with --data)",
    )
    return parser.parse_args(argv)


def default_out(run_dir: Path, impl: str | None, data: Path | None, best: bool = False) -> Path:
    """One file per variant, so that one variant never overwrites another's predictions."""
    parts = ["predictions"] + (["best"] if best else []) + ([impl] if impl else [])
    parts += [Path(data).stem] if data else []
    return Path(run_dir) / (".".join(parts) + ".npz")


def evaluate_run(
    run_dir: Path,
    device: str = "cpu",
    impl: str | None = None,
    batch_size: int = 256,
    data: Path | None = None,
    out: Path | None = None,
    best: bool = False,
    trust: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Evaluate the saved model of `run_dir`; returns a dict of what was measured."""
    from seqlab.backends.devices import select_device
    from seqlab.config import DeviceConfig, register_schemas, validate
    from seqlab.config.store import config_from_record
    from seqlab.errors import ConfigError
    from seqlab.records.files import BEST_MODEL_FILE, MODEL_FILE
    from seqlab.records.record import read_results

    run_dir = Path(run_dir)
    model_file = BEST_MODEL_FILE if best else MODEL_FILE
    results = read_results(run_dir)
    if results is None or not (run_dir / model_file).exists():
        raise ConfigError(
            f"{run_dir} is not a finished seqlab run: it needs a readable results.json and "
            f"{model_file}. Pass the output directory of a run (outputs/<date>/<time> or a "
            "sweep's job folder)."
        )
    target = Path(out) if out else default_out(run_dir, impl, data, best)
    _check_target(target, impl, data, best)
    register_schemas()
    config = dict(results.get("config") or {})
    _refuse_interpolations(config, run_dir)
    if not isinstance(config.get("dataset"), dict) or "name" not in config["dataset"]:
        raise ConfigError(
            f"{run_dir}/results.json has no dataset in its config, so it was not written by "
            "a seqlab run (or was edited). Pass the output directory of a seqlab run."
        )
    model = config.get("model")
    if isinstance(model, dict) and model.get("cell") == "custom":
        from seqlab.models.cells.custom import check_trusted, plain_arguments, trusted_modules

        node = model.get("custom_cell") or {}
        plain_arguments(node)  # before anything is imported
        check_trusted(str(node.get("_target_", "")), trusted_modules(trust), f"{run_dir}")
    if impl is not None:  # checked like a run with that impl (custom cells: loops only)
        config["impl"] = {"name": impl}
    if data is not None:
        config["dataset"] = {**config["dataset"], "path": str(data)}
    config.setdefault("backend", {"name": "tensorflow"})  # runs from before backends
    run_cfg = validate(config_from_record(config))
    info, scope = select_device(DeviceConfig(name=device), run_cfg.backend.name)

    import numpy as np

    import seqlab.models.manual_rnn
    import seqlab.models.tasks
    import seqlab.training.warmup  # noqa: F401  (registers the custom metric and schedule)
    from seqlab.records.files import write_atomic
    from seqlab.runs.setup import prepare
    from seqlab.training.steps import compile_model

    with scope:
        run = prepare(run_cfg, info)  # imports a custom cell's module, so it loads
        model = _load(run_dir / model_file)
        if impl is not None:
            other = run.build(impl)
            other.set_weights(model.get_weights())  # same layers in the same order
            model = other
        compile_model(model, run.task, run_cfg.trainer, run.layout)
        split = "test" if run.data.x_test is not None else "validation"
        if split == "test":
            x, y = run.data.x_test, run.data.y_test
        else:
            x, y = run.data.x_val, run.data.y_val
        scores = model.evaluate(
            run.layout.evaluation(x, y, batch_size),
            callbacks=run.layout.callbacks(),
            return_dict=True,
            verbose=0,
        )
        logits = run.layout.predict(model, x, batch_size)
    variant = {"impl": impl or run_cfg.impl.name, "data": str(data or ""), "best": best}

    def save(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: NumPy appends .npz to a bare name
            np.savez_compressed(f, logits=logits, targets=y, **variant)

    write_atomic(target, save)
    metrics = results.get("metrics") or {}
    prefix = "test" if split == "test" else "val"
    steps = run_cfg.trainer.test_steps if split == "test" else run_cfg.trainer.validation_steps
    return {
        "split": split,
        "metric": run.task.metric,
        "value": float(scores[run.task.metric]),
        "recorded": None if data or best else metrics.get(f"{prefix}_{run.task.metric}"),
        "recorded_batches": steps,
        "device": info.used,
        "impl": variant["impl"],
        "trained_on": (results.get("device") or {}).get("used"),
        "predictions": str(target),
    }


def _refuse_interpolations(config: dict[str, Any], run_dir: Path) -> None:
    """A run records its config resolved, so a "${" in it was put there by hand: it could
    name a custom cell the trust check never sees (`cell: ${oc.env:X,custom}`)."""
    from seqlab.errors import ConfigError

    def find(node: Any, path: str) -> str | None:
        if isinstance(node, str):
            return path if "${" in node else None
        if isinstance(node, dict):
            items = list(node.items())
        elif isinstance(node, list):
            items = list(enumerate(node))
        else:
            return None
        for key, value in items:
            found = find(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
        return None

    found = find(config, "")
    if found:
        raise ConfigError(
            f'{run_dir}/results.json has an interpolation ("${{...}}") at config.{found}, '
            "which seqlab never records (a run writes its config resolved), so the file was "
            "edited and seqlab-predict does not read it. Pass the folder of an unedited run."
        )


def _check_target(target: Path, impl: str | None, data: Path | None, best: bool) -> None:
    """Refuse to overwrite the predictions of another variant (model, impl, data file)."""
    import numpy as np

    from seqlab.errors import ConfigError

    if not target.exists():
        return
    try:
        with np.load(target, allow_pickle=False) as saved:
            theirs = (str(saved["impl"]), str(saved["data"]), bool(saved.get("best", False)))
    except Exception:
        theirs = None
    if (
        theirs is None
        or theirs[1] != str(data or "")
        or (impl and theirs[0] != impl)
        or theirs[2] != best
    ):
        raise ConfigError(
            f"{target} already holds other predictions ({'unknown' if theirs is None else theirs}"
            "), which this command would overwrite. Choose another file with --out, or move "
            "that one away."
        )


def _load(path: Path):
    import keras

    from seqlab.errors import DataError

    try:
        # compile=False: the model is compiled here again, and a model saved on torch
        # loads elsewhere only without its compiled state (Keras 3.15).
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # zip, HDF5 and Keras config errors alike
        raise DataError(
            f"{path} could not be loaded as a Keras model ({type(exc).__name__}: "
            f"{str(exc)[:200]}). The file may be damaged or written by another program; "
            "train the run again, or pass another run folder."
        ) from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from rich.console import Console

    from seqlab.errors import SeqlabError, one_line

    if any(not module.strip() or module.strip() != module for module in args.trust):
        Console(stderr=True).print(
            f"seqlab-predict: --trust {args.trust!r} names an empty module (or one with "
            "spaces around it); an empty name would trust every bare import path. Give the "
            "module that holds your cell, e.g. --trust my_cells.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return 2
    try:
        out = evaluate_run(
            args.run_dir,
            args.device,
            args.impl,
            args.batch_size,
            args.data,
            args.out,
            args.best,
            tuple(args.trust),
        )
    except SeqlabError as exc:
        Console(stderr=True).print(
            f"seqlab-predict: {exc}", highlight=False, markup=False, soft_wrap=True
        )
        return 2
    except OSError as exc:  # --out in a missing or read-only folder, a full disk
        Console(stderr=True).print(
            f"seqlab-predict: the predictions could not be written ({exc.strerror}: "
            f"{exc.filename}). Choose a writable file with --out.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return 2
    except Exception as exc:  # Keras or a custom cell failing on what the folder holds
        detail = one_line(exc, 300)
        Console(stderr=True).print(
            f"seqlab-predict: evaluating {args.run_dir} failed ({type(exc).__name__}: "
            f"{detail}). The folder's results.json or model file may have been edited or "
            "written by another seqlab version; train the run again, or pass another run "
            "folder.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return 1
    recorded = ""
    if out["recorded"] is not None:
        recorded = f" (the run recorded {out['recorded']:.4f}"
        if out["recorded_batches"]:
            recorded += (
                f" on its first {out['recorded_batches']} batches only, so the two differ; "
                f"this evaluation used every example"
            )
        recorded += ")"
    Console().print(
        f"{out['split']} {out['metric']} {out['value']:.4f}{recorded}; impl={out['impl']} on "
        f"{out['device']} (trained on {out['trained_on']}); predictions in {out['predictions']}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    return 0


def console_main() -> None:
    sys.exit(main())
