"""auto.json: what repeats=auto decided for each configuration, read by the summary.

`seqlab.sweeps.auto` writes it after every round; this module is its reader, so that
reading a sweep never needs the code that runs one.
"""

from __future__ import annotations

from pathlib import Path

AUTO_FILE = "auto.json"


def decisions(sweep_dir: Path) -> dict[tuple, dict]:
    """(sorted overrides without the seed) -> what repeats=auto recorded for that
    configuration: why it stopped, its decision and the interval it decided from, and
    the looks and alpha of the rule (`seqlab.sweeps.auto`)."""
    from seqlab.records.files import read_json
    from seqlab.reports.rows import override_dict

    try:
        auto = read_json(Path(sweep_dir) / AUTO_FILE)
        rule = {key: auto[key] for key in ("min_looks", "max_looks", "alpha") if key in auto}
        found = {}
        for entry in auto["configurations"]:
            key = tuple(sorted(override_dict(entry["overrides"]).items()))
            interval = entry.get("interval")
            if isinstance(interval, dict) and not _an_interval(interval):
                interval = None  # a hand-edited file: its numbers are not trusted
            found[key] = {**rule, **entry, "interval": interval}
        return found
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _an_interval(interval: dict) -> bool:
    numbers = [interval.get(k) for k in ("estimate", "low", "high", "level")]
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers) and (
        isinstance(interval.get("n"), int) and 0 < interval["low"] <= interval["high"]
    )


def stop_reasons(sweep_dir: Path) -> dict[tuple, str]:
    """(sorted overrides without the seed) -> why repeats=auto stopped that configuration."""
    from seqlab.records.files import read_json
    from seqlab.reports.rows import override_dict

    try:
        auto = read_json(Path(sweep_dir) / AUTO_FILE)
        found = {}
        for entry in auto["configurations"]:
            key = tuple(sorted(override_dict(entry["overrides"]).items()))
            if entry.get("stopped"):
                found[key] = str(entry["stopped"])
        return found
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
