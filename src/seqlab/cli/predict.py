"""`seqlab-predict RUN_DIR`: evaluate a finished run's saved model, by default on the CPU.

The run's results.json holds its resolved config, so the same data (same split,
same limit) is loaded again; the saved `model.keras` is evaluated on the test split
(the validation split when there is none) and the predictions are written beside it.
`--impl` rebuilds the model with another implementation of the recurrence and moves
the trained weights into it: a model trained with impl=layer (cuDNN on a GPU) runs
as impl=cell_loop or impl=manual on a CPU.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seqlab.models.impls import IMPLEMENTATIONS

PREDICTIONS_FILE = "predictions.npz"


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
        type=int,
        default=256,
        help="batch size of the evaluation (a stateful run always uses its own, which "
        "its states were built for)",
    )
    return parser.parse_args(argv)


def evaluate_run(
    run_dir: Path, device: str = "cpu", impl: str | None = None, batch_size: int = 256
):
    """Evaluate the saved model of `run_dir`; returns a dict of what was measured."""
    from omegaconf import OmegaConf

    from seqlab.config import DeviceConfig, SeqlabConfig, register_schemas, validate
    from seqlab.data import DATASETS
    from seqlab.errors import ConfigError
    from seqlab.runs.device import select_device
    from seqlab.runs.files import MODEL_FILE, read_results

    results = read_results(run_dir)
    if results is None or not (run_dir / MODEL_FILE).exists():
        raise ConfigError(
            f"{run_dir} is not a finished seqlab run: it needs results.json and {MODEL_FILE}. "
            "Pass the output directory of a run (outputs/<date>/<time> or a sweep's job folder)."
        )
    register_schemas()
    config = dict(results["config"])
    # The dataset node typed by its own schema (its options differ per dataset).
    schema = DATASETS.get(config["dataset"]["name"]).schema
    config["dataset"] = OmegaConf.merge(OmegaConf.structured(schema), config["dataset"])
    run_cfg = validate(OmegaConf.merge(OmegaConf.structured(SeqlabConfig), config))
    info, scope = select_device(DeviceConfig(name=device))

    import keras
    import numpy as np

    import seqlab.models.manual_rnn
    import seqlab.models.tasks  # noqa: F401  (registers the custom metric)
    from seqlab.runs.setup import prepare
    from seqlab.runs.trainer import compile_model

    with scope:
        run = prepare(run_cfg, info)
        model = keras.models.load_model(run_dir / MODEL_FILE)
        if impl is not None:
            other = run.build(impl)
            other.set_weights(model.get_weights())  # same layers in the same order
            model = other
        compile_model(model, run.task, run_cfg.trainer, run.layout)
        data = run.data
        split = "test" if data.x_test is not None else "validation"
        x, y = (data.x_test, data.y_test) if split == "test" else (data.x_val, data.y_val)
        scores = model.evaluate(
            run.layout.evaluation(x, y, batch_size),
            callbacks=run.layout.callbacks(),
            return_dict=True,
            verbose=0,
        )
        logits = run.layout.predict(model, x, batch_size)
    np.savez_compressed(run_dir / PREDICTIONS_FILE, logits=logits, targets=y)
    recorded = (results.get("metrics") or {}).get(
        f"{'test' if split == 'test' else 'val'}_{run.task.metric}"
    )
    return {
        "split": split,
        "metric": run.task.metric,
        "value": float(scores[run.task.metric]),
        "recorded": recorded,
        "device": info.used,
        "impl": impl or run_cfg.impl.name,
        "trained_on": (results.get("device") or {}).get("used"),
        "predictions": str(run_dir / PREDICTIONS_FILE),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from rich.console import Console

    from seqlab.errors import SeqlabError

    try:
        out = evaluate_run(args.run_dir, args.device, args.impl, args.batch_size)
    except SeqlabError as exc:
        Console(stderr=True).print(f"seqlab-predict: {exc}", highlight=False, soft_wrap=True)
        return 2
    recorded = "" if out["recorded"] is None else f" (the run recorded {out['recorded']:.4f})"
    Console().print(
        f"{out['split']} {out['metric']} {out['value']:.4f}{recorded}; impl={out['impl']} on "
        f"{out['device']} (trained on {out['trained_on']}); predictions in {out['predictions']}",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def console_main() -> None:
    sys.exit(main())
