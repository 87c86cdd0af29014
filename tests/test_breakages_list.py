"""benchmarks/breakages.py breaks each promise by replacing a piece of the source; when
the code moves, its list must move with it, or the script would measure nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "breakages.py"


def _load():
    if not SCRIPT.exists():
        pytest.skip("no benchmarks/ here (an installed package)")
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        spec = importlib.util.spec_from_file_location("breakages_script", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclass looks itself up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return module


def test_every_breakage_still_finds_its_text_in_the_source_once():
    breakages = _load()
    assert breakages.stale_breakages(ROOT) == []
    assert len({b.name for b in breakages.BREAKAGES}) == len(breakages.BREAKAGES)
    assert all(b.old != b.new for b in breakages.BREAKAGES)


def test_a_breakage_whose_text_moved_is_reported_stale(tmp_path):
    breakages = _load()
    first = breakages.BREAKAGES[0]
    copy = tmp_path / "src" / "seqlab" / first.path
    copy.parent.mkdir(parents=True)
    copy.write_text((ROOT / "src" / "seqlab" / first.path).read_text().replace(first.old, ""))
    for other in breakages.BREAKAGES[1:]:
        target = tmp_path / "src" / "seqlab" / other.path
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text((ROOT / "src" / "seqlab" / other.path).read_text())
    assert breakages.stale_breakages(tmp_path) == [first.name]
