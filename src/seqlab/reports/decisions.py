"""auto.json: what repeats=auto decided for each configuration, read by the summary.

`seqlab.sweeps.auto` writes it after every round; this module is its reader, so that
reading a sweep never needs the code that runs one.
"""

from __future__ import annotations

from pathlib import Path

AUTO_FILE = "auto.json"


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
