"""A name -> builder registry, filled by a decorator in each family's own module."""

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

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "(none)"
            raise ConfigError(
                f"Unknown {self.kind} {name!r}. Known {self.kind}s: {known}. "
                f"Pick one of them, or register your own with "
                f"@register_{self.kind.replace(' ', '_')}."
            ) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))
