"""A name -> object registry, filled by a decorator in each family's own module.

Every enumerated name a user can type (datasets, cells, implementations, optimizers,
readouts, devices, ...) lives in one registry; config validation, the CLI choices and
`seqlab --help` read the names from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from seqlab.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A plain mapping from a name (a YAML file's `name`) to a registered object.

    Registering a name twice is an error; looking up an unknown name raises a
    `ConfigError` that lists the known names.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice.")
            self._entries[name] = obj
            return obj

        return decorator

    def add(self, name: str, obj: T) -> T:
        """Register `obj` under `name` (for entries that are values, not definitions)."""
        return self.register(name)(obj)

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise ConfigError(
                f"Unknown {self.kind} {name!r}. Known {self.kind}s: {', '.join(self.names())}. "
                f"Pick one of them."
            ) from None

    def names(self) -> list[str]:
        """The registered names in registration order (the order the docs list them)."""
        return list(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)
