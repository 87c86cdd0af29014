"""seqlab's Hydra sweepers, found by Hydra's plugin scan of the `hydra_plugins` namespace.

- `AutoRepeatSweeper` (`hydra/sweeper=seqlab_auto`, what `repeats=auto` selects): runs
  alternated rounds of every configuration, one seed per round, through whatever
  launcher is configured, until every comparison with the baseline is decided. The
  logic is `seqlab.sweeps.auto`; this is the plugin shell Hydra instantiates.
- `MissingPluginSweeper`: stands in for a sweeper whose extra is not installed (the
  Optuna one), so that composing a preset that names it works (a preset smoke check
  runs it as a single job) and running it as a sweeper says which extra to install.
"""

from __future__ import annotations

from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class AutoRepeatSweeper(Sweeper):
    """Rounds of seeds until the question is answered (see seqlab.sweeps.auto)."""

    def __init__(
        self,
        max_rounds: int = 10,
        min_rounds: int = 3,
        resolution: float = 0.05,
        alpha: float = 0.05,
        halfwidth: float | None = None,
        params: DictConfig | None = None,
    ) -> None:
        self.max_rounds = max_rounds
        self.min_rounds = min_rounds
        self.resolution = resolution
        self.alpha = alpha
        self.halfwidth = halfwidth
        self.params = params
        self.config: DictConfig | None = None
        self.launcher: Any = None
        self.job_idx = 0

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        from hydra.core.plugins import Plugins

        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def sweep(self, arguments: list[str]) -> Any:
        from seqlab.sweeps.auto import run_rounds

        return run_rounds(self, arguments)


class MissingPluginSweeper(Sweeper):
    """A sweeper whose plugin is not installed: refuses to sweep, naming the extra."""

    def __init__(self, plugin: str = "", extra: str = "", **_ignored: Any) -> None:
        self.plugin = plugin
        self.extra = extra

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        pass

    def sweep(self, arguments: list[str]) -> Any:
        from seqlab.errors import refuse

        refuse(
            "seqlab",
            f"hydra/sweeper={self.plugin} needs Hydra's {self.plugin} sweeper plugin, which "
            f"is not installed. Install it with `pip install 'seqlab[{self.extra}]'`, or "
            "run the preset as one run (without -m) or with another sweeper.",
        )
