"""The load measure: the kernel's count of what other processes took of the cores.

Checked against clocks the meter does not read: a child hog's own CPU time
(/proc/<pid>/stat) must all be in others' count, and this thread's CPU time
(time.thread_time) in the process's own, never in others'. Both hold however busy
the machine is around the test."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from seqlab.training.load import LoadMeter, others_cores, read_counters

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_another_process_counts_and_this_ones_own_work_does_not():
    meter = LoadMeter(interval_s=0.1).start()
    start, spun = read_counters(), time.thread_time()
    end_at = time.monotonic() + 1.0
    while time.monotonic() < end_at:
        pass
    spun, middle = time.thread_time() - spun, read_counters()
    others_ticks = others_cores(start, middle) * (middle.at - start.at) * TICK
    assert middle.own - start.own >= spun * TICK - 3  # our spin is our own ...
    assert others_ticks <= (middle.busy - start.busy) - spun * TICK + 3  # ... never others'
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        before, hog_before = read_counters(), _cpu_ticks(hog.pid)
        time.sleep(1.0)
        after, hog_after = read_counters(), _cpu_ticks(hog.pid)
    finally:
        hog.kill()
        hog.wait()
    meter.stop()
    hogged = hog_after - hog_before
    assert hogged >= 0.3 * TICK  # it ran (shared, if the machine is busy)
    assert (after.busy - before.busy) - (after.own - before.own) >= hogged - 3  # all of it
    assert others_cores(before, after) >= hogged / TICK / (after.at - before.at) - 0.05
    figures = meter.as_dict(None)
    assert figures["others_cores_peak"] >= figures["others_cores_mean"] >= 0 and figures["samples"]


def test_figures_are_cut_to_the_fit_window():
    meter = LoadMeter(interval_s=0.05).start()
    time.sleep(0.3)
    window = [time.time(), time.time() + 0.3]
    time.sleep(0.5)
    meter.stop()
    inside = meter.as_dict(window)
    assert 0.2 <= inside["seconds"] <= 0.5  # the window and the readings just around it
    assert meter.as_dict(None)["seconds"] >= 0.75


def test_an_interleaved_jobs_figures_weigh_its_turns_by_time_and_peak_over_seconds():
    """Its peak was the largest single chunk's figure: chunks of a few ms on 10 ms ticks
    read up to 5 cores on a 2-core machine."""
    from seqlab.training.load import PEAK_S, over_turns

    rounds = [[r, 0.01, 0.0, 3] for r in range(1, 400)]  # 12 s of quiet turns
    rounds[5] = [6, 0.002, 5.0, 3]  # one 6 ms chunk read as 5 cores
    rounds += [[400 + r, 0.05, 1.0, 3] for r in range(40)]  # then 6 s of a busy core
    figures = over_turns({"rounds": rounds})
    assert figures["others_cores_peak"] == pytest.approx(1.0, abs=0.01)
    seconds = 399 * 0.03 - 0.03 + 0.006 + 40 * 0.15
    assert figures["others_cores_mean"] == pytest.approx((0.03 + 6.0) / seconds, rel=0.01)
    assert PEAK_S <= 6
