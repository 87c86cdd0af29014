"""The load measure: the kernel's count of what other processes took of the cores."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from seqlab.training.load import LoadMeter, others_cores, own_cores, read_counters


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_another_process_counts_and_this_ones_own_work_does_not():
    """A hog in another process is others' cores; the same work in this process is the
    job's own (the earlier probe could not tell the two apart)."""
    meter = LoadMeter(interval_s=0.1).start()
    start = read_counters()
    _spin(1.5)  # this process alone
    middle = read_counters()
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        before = read_counters()
        time.sleep(1.5)
        after = read_counters()
    finally:
        hog.kill()
        hog.wait()
    meter.stop()
    hogged = others_cores(before, after)
    assert hogged >= 0.5  # the hog: about a core (shared if the machine is busy)
    assert hogged - others_cores(start, middle) >= 0.4  # and our own spin was not counted
    assert own_cores(start, middle) >= 0.5  # it was ours
    assert own_cores(before, after) < 0.3
    figures = meter.as_dict(None)
    assert figures["others_cores_peak"] >= 0.5 and figures["samples"]
    assert figures["others_cores_peak"] >= figures["others_cores_mean"]


def test_figures_are_cut_to_the_fit_window():
    meter = LoadMeter(interval_s=0.05).start()
    time.sleep(0.3)
    window = [time.time(), time.time() + 0.3]
    threading.Event().wait(0.5)
    meter.stop()
    inside = meter.as_dict(window)
    assert 0.2 <= inside["seconds"] <= 0.5  # the window and the readings just around it
    assert meter.as_dict(None)["seconds"] >= 0.75
