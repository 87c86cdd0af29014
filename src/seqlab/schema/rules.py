"""Field rules: what values an option allows, declared beside the option in its schema.

A schema field carries its rule in its metadata (`field(default=..., metadata=at_least(1))`);
`check_fields` applies every rule of a config node and raises one `ConfigError` naming
the key, what was received and what is allowed. Choices come from the registries, read
when the check runs, so a name exists in exactly one place.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from seqlab.errors import not_allowed

# Options that are "auto" or an explicit on/off (model.use_cudnn, trainer.jit_compile).
TRISTATE = ("auto", "true", "false")
# trainer.precision: Keras's dtype policies.
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclass(frozen=True)
class Rule:
    """A predicate on one value and the sentence that says what is allowed."""

    ok: Callable[[Any, Any], bool]  # (value, the whole node) -> allowed?
    allowed: Callable[[Any], str]  # (the whole node) -> "an integer >= 1"
    optional: bool = False  # None is allowed too


def _meta(rule: Rule) -> dict[str, Rule]:
    return {"rule": rule}


def at_least(low: float, *, optional: bool = False) -> dict[str, Rule]:
    kind = "a number" if isinstance(low, float) else "an integer"
    return _meta(Rule(lambda v, _: v >= low, lambda _: f"{kind} >= {low}", optional))


def between(low: int, high: int) -> dict[str, Rule]:
    """An integer in [low, high]: `high` is where a value is a typo, not a plan."""
    return _meta(Rule(lambda v, _: low <= v <= high, lambda _: f"an integer from {low} to {high}"))


def above(low: float, *, optional: bool = False) -> dict[str, Rule]:
    return _meta(Rule(lambda v, _: v > low, lambda _: f"a number > {low}", optional))


def fraction(*, closed_low: bool = True) -> dict[str, Rule]:
    interval = "[0, 1)" if closed_low else "(0, 1)"
    return _meta(
        Rule(
            lambda v, _: (v >= 0.0 if closed_low else v > 0.0) and v < 1.0,
            lambda _: f"a fraction in {interval}",
        )
    )


def one_of(names: Iterable[str] | Callable[[], Iterable[str]]) -> dict[str, Rule]:
    """A choice among `names` (or a registry's names, read when checking)."""

    def current() -> list[str]:
        return list(names() if callable(names) else names)

    def allowed(value: object) -> bool:
        # Exactly as written: every user of a choice compares it case-sensitively, so a
        # value that passed here in another case ran as something else. Only YAML's
        # booleans (true -> "True" in a string field) are read in lower case.
        text = str(value)
        return (text.lower() if text in ("True", "False") else text) in current()

    return _meta(Rule(lambda v, _: allowed(v), lambda _: "one of " + ", ".join(current())))


def greater_than(other: str) -> dict[str, Rule]:
    """Greater than another option of the same node."""
    return _meta(
        Rule(
            lambda v, node: v > getattr(node, other),
            lambda node: f"greater than {other} ({getattr(node, other)})",
        )
    )


def outside_unit_interval() -> dict[str, Rule]:
    return _meta(
        Rule(
            lambda v, _: not 0.0 <= v <= 1.0, lambda _: "outside [0, 1], where the real values lie"
        )
    )


def positive_list() -> dict[str, Rule]:
    return _meta(
        Rule(
            lambda v, _: len(v) > 0 and all(int(u) >= 1 for u in v),
            lambda _: "a non-empty list of integers >= 1",
        )
    )


def refuse(key: str, value: Any, allowed: str) -> None:
    """Raise the one-paragraph ConfigError for `key=value`."""
    raise not_allowed(key, value, allowed)


# The largest integer an option may hold: counts, sizes and seeds all fit in 32 bits,
# and a larger one is a typo (trainer.epochs=99999999999999999999), not a plan.
MAX_INT = 2**31 - 1


def check_number(key: str, value: Any) -> None:
    """Refuse what no option means: NaN, an infinity, an integer beyond MAX_INT."""
    if isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        refuse(key, value, "a finite number (nan and inf are not values an option can take)")
    if isinstance(value, int) and abs(value) > MAX_INT:
        refuse(key, value, f"an integer between -{MAX_INT} and {MAX_INT}")


def check_fields(node: Any, prefix: str) -> None:
    """Apply the rule of every field of the dataclass `node`; the first failure raises."""
    for spec in dataclasses.fields(node):
        if dataclasses.is_dataclass(getattr(node, spec.name)):  # a nested node
            check_fields(getattr(node, spec.name), f"{prefix}.{spec.name}")
            continue
        value = getattr(node, spec.name)
        for item in value if isinstance(value, list | tuple) else [value]:
            check_number(f"{prefix}.{spec.name}", item)
        rule = spec.metadata.get("rule")
        if rule is None:
            continue
        if value is None and rule.optional:
            continue
        try:
            ok = value is not None and rule.ok(value, node)
        except TypeError:
            ok = False
        if not ok:
            refuse(f"{prefix}.{spec.name}", value, rule.allowed(node))
