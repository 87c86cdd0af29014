"""auto.json: what repeats=auto decided for each configuration, read by the summary.

`seqlab.sweeps.auto` writes it after every round; this module is its reader, so that
reading a sweep never needs the code that runs one. A file that does not hold what the
sweeper writes (a damaged one, or one edited by hand: an estimate outside its own
interval, a decision its interval does not support, a rule with missing or foreign
values) is not trusted at all: the summary then shows no recorded decision and
computes its intervals afresh, rather than half-trust a record of decisions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqlab.reports.sequential import FASTER, SLOWER, WITHIN

AUTO_FILE = "auto.json"
# What each recorded decision needs of its interval (the names are sequential's own).
DECISIONS = {
    None: lambda low, high, resolution: True,
    FASTER: lambda low, high, resolution: low > 1.0,
    SLOWER: lambda low, high, resolution: high < 1.0,
    WITHIN: lambda low, high, resolution: 1 - resolution <= low and high <= 1 + resolution,
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rule(auto: dict[str, Any]) -> dict[str, Any] | None:
    """The rule's settings, when they are what the sweeper writes."""
    rule = {key: auto.get(key) for key in ("min_looks", "max_looks", "alpha", "resolution")}
    whole = all(isinstance(rule[k], int) and not isinstance(rule[k], bool) for k in
                ("min_looks", "max_looks"))  # fmt: skip
    fractions = all(_number(rule[k]) and 0 < rule[k] < 1 for k in ("alpha", "resolution"))
    if not whole or not fractions or not 2 <= rule["min_looks"] <= rule["max_looks"]:
        return None
    width = auto.get("halfwidth")  # absent in the files of sweeps before the width target
    if width is not None and not (_number(width) and 0 < width < 1):
        return None
    return {**rule, "halfwidth": width}


def _entry(entry: Any, rule: dict[str, Any]) -> dict[str, Any] | None:
    """A configuration's entry, when its interval and decision agree with each other."""
    if not isinstance(entry, dict) or not isinstance(entry.get("overrides"), list):
        return None
    decision, interval = entry.get("decision"), entry.get("interval")
    adjusted = entry.get("crossover")
    if decision not in DECISIONS or not (adjusted is None or isinstance(adjusted, bool)):
        return None
    # The look that decided: at or before the interval's (later ones only narrow it).
    at = entry.get("decided_after")
    whole = isinstance(at, int) and not isinstance(at, bool)
    if at is not None and (decision is None or not whole):
        return None
    if interval is None:
        return {**entry, "interval": None} if decision is None else None
    if not isinstance(interval, dict):
        return None
    values = [interval.get(k) for k in ("estimate", "low", "high", "quantile", "level")]
    n = interval.get("n")
    if not all(_number(v) for v in values) or not isinstance(n, int) or isinstance(n, bool):
        return None
    estimate, low, high, _, level = values
    sound = 0 < low <= estimate <= high and 0 < level < 1 and rule["min_looks"] <= n
    if not sound or not DECISIONS[decision](low, high, rule["resolution"]):
        return None
    if at is not None and not rule["min_looks"] <= at <= n:
        return None
    return entry


def decisions(sweep_dir: Path) -> dict[tuple, dict]:
    """(sorted overrides without the seed) -> what repeats=auto recorded for that
    configuration: why it stopped, its decision and the interval it decided from, and
    the looks and alpha of the rule (`seqlab.sweeps.auto`); {} for a file that does not
    hold what the sweeper writes."""
    from seqlab.records.files import read_json
    from seqlab.reports.rows import override_dict

    try:
        auto = read_json(Path(sweep_dir) / AUTO_FILE)
        rule = _rule(auto) if isinstance(auto, dict) else None
        entries = auto.get("configurations") if rule is not None else None
    except (OSError, ValueError):
        return {}
    if not isinstance(entries, list):
        return {}
    found = {}
    for raw in entries:
        entry = _entry(raw, rule)
        if entry is None:
            return {}  # one entry that lies: the file is not the sweeper's
        key = tuple(sorted(override_dict(entry["overrides"]).items()))
        found[key] = {**rule, **entry}
    return found


def stop_reasons(sweep_dir: Path) -> dict[tuple, str]:
    """(sorted overrides without the seed) -> why repeats=auto stopped that configuration
    (from a trusted auto.json only: see `decisions`)."""
    return {
        key: str(entry["stopped"])
        for key, entry in decisions(sweep_dir).items()
        if isinstance(entry.get("stopped"), str) and entry["stopped"]
    }
