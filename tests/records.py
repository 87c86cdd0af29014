"""Records as seqlab writes them, for tests that build sweep folders by hand."""

from __future__ import annotations

from typing import Any

from seqlab.records.record import FINISHED_SECTIONS


def seqlab_record(record: dict[str, Any]) -> dict[str, Any]:
    """`record` with the sections every seqlab record has (empty where not given)."""
    empty: dict[str, Any] = {"config": {}, "overrides": [], "metrics": {}, "timing": {}, "env": {}}
    return {**{key: empty[key] for key in FINISHED_SECTIONS}, **record}
