"""The baseline a sweep compares with: written once, parsed once, matched once.

`report.baseline=impl=cell_loop` (or `impl:cell_loop`; Hydra's command line needs the
first form quoted) names an override. Each configuration is compared with the
configuration that differs from it only in that key, having the baseline's value:
`model=lstm impl=manual` with `model=lstm impl=cell_loop`. Every reader (the jobs'
speed-ups, the groups of seeds, repeats=auto's decisions, the page's sentences) asks
this module; none splits the string or matches rows itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from seqlab.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Baseline:
    """One override: `key` with `value`."""

    key: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Baseline:
        """ "impl=cell_loop" or "impl:cell_loop"."""
        key, _, value = str(text).replace(":", "=", 1).partition("=")
        return cls(key.strip(), value.strip())

    def __str__(self) -> str:
        return f"{self.key}={self.value}"

    def holds(self, overrides: Mapping[str, Any]) -> bool:
        """Whether a configuration with these overrides is a baseline."""
        return overrides.get(self.key) == self.value

    def counterpart(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The overrides of the baseline these overrides are compared with."""
        return {**overrides, self.key: self.value}

    def check(self, overrides: Iterable[Mapping[str, Any]]) -> None:
        """Refuse a baseline whose key and value no job has (a typo found up front)."""
        values = sorted({str(o[self.key]) for o in overrides if self.key in o})
        if self.value not in values:
            raise ConfigError(
                f"The baseline {str(self)!r} matches no job: "
                + (
                    f"{self.key} takes the values {', '.join(values)} here."
                    if values
                    else f"no job has an override of {self.key}."
                )
                + " Give an override of the jobs, e.g. impl=cell_loop (report.baseline=... or "
                "seqlab-report --baseline ...)."
            )

    def pair(
        self,
        items: list[T],
        overrides: Callable[[T], Mapping[str, Any]],
        also: Callable[[T], Any] = lambda item: None,
    ) -> dict[int, T | None]:
        """Each item's baseline item (by index), None where there is none.

        Two items match when every other key any item has is equal (and `also`, such as
        the sweep folder when several are merged); a baseline is its own."""
        keys = sorted({k for item in items for k in overrides(item)} - {self.key})

        def rest(item: T) -> tuple:
            given = overrides(item)
            return (also(item), *(given.get(k) for k in keys))

        bases = {rest(item): item for item in items if self.holds(overrides(item))}
        return {i: bases.get(rest(item)) for i, item in enumerate(items)}
