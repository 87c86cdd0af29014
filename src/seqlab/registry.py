"""A name -> object registry, filled by a decorator in each family's own module.

Every enumerated name a user can type (datasets, cells, implementations, optimizers,
readouts, devices, ...) lives in one registry; config validation, the CLI choices and
`seqlab --help` read the names from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from seqlab.errors import ConfigError, not_allowed

T = TypeVar("T")


class Registry(Generic[T]):
    """A plain mapping from a name (a YAML file's `name`) to a registered object.

    Registering a name twice is an error; looking up an unknown name raises a
    `ConfigError` that names the option (`key`) and lists the known names, in the same
    words as every other refused value (`seqlab.errors.not_allowed`).
    """

    def __init__(self, kind: str, key: str | None = None) -> None:
        self.kind = kind
        self.key = key or kind  # the option that names an entry, e.g. "model.cell"
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
        except (KeyError, TypeError):
            raise self.unknown(name) from None

    def check(self, name: object, *also: str, key: str | None = None) -> None:
        """Refuse `name` unless it is registered (or one of `also`); `key` is the option
        as the user wrote it (e.g. `impl.name`)."""
        if not (isinstance(name, str) and (name in self._entries or name in also)):
            raise self.unknown(name, *also, key=key)

    def unknown(self, name: object, *also: str, key: str | None = None) -> ConfigError:
        known = ", ".join([*self.names(), *also])
        return not_allowed(key or self.key, name, f"one of {known} (the known {self.kind}s)")

    def names(self) -> list[str]:
        """The registered names in registration order (the order the docs list them)."""
        return list(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)
