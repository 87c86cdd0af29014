"""Where the configs live and how Hydra learns the schemas (no TensorFlow import).

`conf_dir()` finds the YAML groups (inside a built wheel, or the checkout's `conf/`);
`register_schemas()` stores the root schema, every dataset's schema (each loader
module stores its own when imported) and seqlab's `--help` page in Hydra's
ConfigStore.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore

from seqlab.schema.options import SeqlabConfig

# The groups a user chooses from, in the order `seqlab --help` lists them.
USER_GROUPS = (
    "dataset",
    "model",
    "impl",
    "device",
    "backend",
    "trainer",
    "tracking",
    "experiment",
)


def conf_dir() -> Path:
    """The folder holding config.yaml and the config groups.

    A wheel carries them as `seqlab/conf`; an editable install or a source checkout
    reads the top-level `conf/` directly, so edits there take effect at once.
    """
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "conf", package.parents[1] / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(
        f"seqlab's configs were not found in {package / 'conf'} or "
        f"{package.parents[1] / 'conf'}; the installation is incomplete. Reinstall with "
        "`pip install .` from a checkout."
    )


def group_options(group: str) -> list[str]:
    """The options of a config group: its YAML files, as Hydra finds them."""
    return sorted(p.stem for p in (conf_dir() / group).glob("*.yaml"))


def group_choices() -> dict[str, list[str]]:
    """What a user can pick in each group: the registry's names where a registry owns
    the group (a test checks that each has its YAML file), else the YAML files."""
    from seqlab.backends import BACKENDS
    from seqlab.backends.devices import DEVICES
    from seqlab.data import DATASETS
    from seqlab.models.impls import IMPLEMENTATIONS
    from seqlab.records.tracking import TRACKERS

    registries = {
        "tracking": TRACKERS,
        "dataset": DATASETS,
        "impl": IMPLEMENTATIONS,
        "device": DEVICES,
        "backend": BACKENDS,
    }
    return {g: registries[g].names() if g in registries else group_options(g) for g in USER_GROUPS}


def help_template() -> str:
    """seqlab's `--help` page: the user's groups with their options, then the config."""
    import textwrap

    from seqlab.training.optimizers import OPTIMIZERS

    groups = "\n".join(
        textwrap.fill(
            f"{group}: {', '.join(options)}",
            width=88,
            initial_indent="  ",
            subsequent_indent="      ",
        )
        for group, options in group_choices().items()
    )
    return (
        "seqlab: train and time recurrent networks; every run leaves results.json.\n\n"
        "Usage:\n"
        "  seqlab [group=option ...] [key=value ...]      one run into outputs/<date>/<time>\n"
        "  seqlab -m group=a,b key=x,y ...                 a sweep into multirun/<date>/<time>\n"
        "  seqlab +experiment=<preset> [trainer=smoke]     a seed tutorial's experiment\n"
        "  seqlab-report DIR [DIR ...]                     rebuild or merge sweep summaries\n"
        "  seqlab-predict RUN_DIR                          evaluate a saved run\n\n"
        "Groups (pick one option each; experiment presets are added with +experiment=):\n"
        f"{groups}\n\n"
        f"Optimizers (trainer.optimizer=): {', '.join(OPTIMIZERS.names())}\n\n"
        "Every option is checked before anything runs; see README.md for what each means.\n"
        "Launchers: hydra/launcher=joblib|submitit_local|submitit_slurm|ray (extras).\n\n"
        "The composed configuration of this command:\n\n$CONFIG"
    )


def config_from_record(config: dict):
    """A run's recorded config (results.json) as a typed DictConfig, like Hydra composes."""
    from omegaconf import OmegaConf

    from seqlab.data import DATASETS

    config = dict(config)
    # The dataset node typed by its own schema (its options differ per dataset).
    schema = DATASETS.get(config["dataset"]["name"]).schema
    config["dataset"] = OmegaConf.merge(OmegaConf.structured(schema), config["dataset"])
    return OmegaConf.merge(OmegaConf.structured(SeqlabConfig), config)


@dataclass
class AutoRepeatSweeperConf:
    """`hydra/sweeper=seqlab_auto` (what `repeats=auto` selects): rounds of one seed per
    configuration until every comparison with report.baseline is decided."""

    _target_: str = "hydra_plugins.seqlab_sweepers.AutoRepeatSweeper"
    max_rounds: int = 10  # the cap: at most this many seeds per configuration
    min_rounds: int = 3  # no decision from fewer seeds
    # A speed-up whose interval lies within 1 +- resolution is decided: "no difference
    # larger than that".
    resolution: float = 0.05
    # The chance of a false "faster" or "slower" per comparison, over every look up to
    # max_rounds (seqlab.reports.sequential). For a whole sweep of k comparisons, set
    # alpha/k (docs/sweeps.md).
    alpha: float = 0.05
    # A width target: after its decision a comparison goes on getting seeds until its
    # interval is at most +-halfwidth wide (0.05: +-5 %), or the cap; the interval is then
    # the intersection of its looks' intervals from the decision on (seqlab.reports.
    # sequential.settle), and the decision stays the one taken. null: stop at the decision.
    halfwidth: float | None = None
    # The axes to sweep, as the basic sweeper's hydra.sweeper.params (presets set them).
    params: dict[str, Any] | None = None


@dataclass
class InterleavedLauncherConf:
    """`hydra/launcher=interleaved`: the jobs of each comparison live at once and compute
    in turns, chunk by chunk (seqlab.sweeps.interleave)."""

    _target_: str = "hydra_plugins.seqlab_launchers.InterleavedLauncher"
    # Processes alive at once, at most: a comparison's jobs (a baseline and every
    # configuration compared with it) must fit; each holds its backend (hundreds of MB).
    group: int = 4
    # Training steps per turn: the first pays for the switch and is timed apart, the
    # others make the chunk's figure (so at least 2).
    chunk_steps: int = 4
    # A turn longer than this (the first holds the warm-up) stops the job as hung.
    timeout_s: float = 1800.0
    # The seed of the turns' random order; null (the default): fresh for every launch.
    # Each record keeps the one used (env.launcher.turn_seed).
    seed: int | None = None


# Sweepers a preset may name whose plugin comes with an extra.
SWEEPER_EXTRAS = {"optuna": ("hydra_plugins.hydra_optuna_sweeper", "optuna")}


def register_schemas() -> None:
    """Store the schemas and the help page; importing the registries stores the rest."""
    import importlib.util

    import seqlab.data
    import seqlab.models.cells  # noqa: F401

    store = ConfigStore.instance()
    store.store(name="seqlab_schema", node=SeqlabConfig)
    store.store(group="hydra/sweeper", name="seqlab_auto", node=AutoRepeatSweeperConf)
    store.store(group="hydra/launcher", name="interleaved", node=InterleavedLauncherConf)
    for name, (module, extra) in SWEEPER_EXTRAS.items():
        if importlib.util.find_spec(module) is None:  # composes; refuses to sweep
            store.store(
                group="hydra/sweeper",
                name=name,
                node={
                    "_target_": "hydra_plugins.seqlab_sweepers.MissingPluginSweeper",
                    "plugin": name,
                    "extra": extra,
                },
            )
    store.store(
        group="hydra/help",
        name="seqlab",
        node={"app_name": "seqlab", "header": "", "footer": "", "template": help_template()},
    )
