"""What else used the machine's cores while a job trained, as the kernel counts it.

A step time says nothing about why it is slow. The kernel does: `/proc/stat` counts
every CPU's busy time (user, nice, system, interrupts, and `steal`, the time a VM's
host gave the CPU to another guest), and `/proc/self/stat` this process's own (its
threads, and children it waited for). The difference, over the same wall time, is the
cores that other processes (and other VMs) took: 0 on a quiet machine, 1 with a
program hogging a core. A thread samples it every `INTERVAL_S` across the whole
training, so a load that starts and ends inside a short training is seen too (the
earlier probe, a timed NumPy workload before and after training, could not see one,
nor a load that was there all along). `LoadMeter.window` gives the same figure for any
stretch of time, e.g. one interleaved chunk of steps.

What counts as a busy machine is the reader's rule (`seqlab.reports.compare`), from the
figures recorded here: the mean over the fit and the largest mean over `PEAK_S`.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

INTERVAL_S = 0.5  # one sample per half second: two small file reads, about 50 us
PEAK_S = 3.0  # the largest mean over this long: a burst inside a short training
MAX_SAMPLES = 600  # kept in the record: the first 5 minutes, then every other, ...

DEFINITION = (
    "cores that other processes (and, on a VM, other guests: steal time) used while this "
    "job's model.fit ran: all CPUs' busy time in /proc/stat minus this process's own "
    f"(/proc/self/stat), sampled every {INTERVAL_S} s; others_cores_mean over the whole "
    f"fit, others_cores_peak the largest mean over {PEAK_S:.0f} s"
)


@dataclass(frozen=True)
class Counters:
    """Cumulative CPU time at one moment: the machine's busy time and this process's,
    both in clock ticks, and the wall clock."""

    at: float  # time.monotonic()
    wall: float  # time.time(), to cut samples to the fit window
    busy: int
    own: int


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def read_counters() -> Counters | None:
    """Now's counters; None where the kernel does not give them (not Linux)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        with open("/proc/self/stat") as f:
            own = f.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    # user nice system idle iowait irq softirq steal (guest time is inside user already)
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    # utime stime cutime cstime: fields 14-17 of stat, 12-15 after the name and state
    mine = sum(int(v) for v in own[11:15])
    return Counters(time.monotonic(), time.time(), busy, mine)


def others_cores(start: Counters, end: Counters) -> float | None:
    """The cores other processes used between two readings (never below 0: the two
    files are read a moment apart, and ticks are counted in whole hundredths)."""
    seconds = end.at - start.at
    if seconds <= 0:
        return None
    ticks = (end.busy - start.busy) - (end.own - start.own)
    return max(0.0, ticks / _TICK / seconds)


def own_cores(start: Counters, end: Counters) -> float | None:
    seconds = end.at - start.at
    return (end.own - start.own) / _TICK / seconds if seconds > 0 else None


class LoadMeter:
    """Samples the counters on a thread from `start` to `stop`; `as_dict` is the record's
    `load` section, over the fit window it is given."""

    def __init__(self, interval_s: float = INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.readings: list[Counters] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> LoadMeter:
        first = read_counters()
        if first is None:
            return self  # no /proc: nothing to say, and the record says so
        self.readings.append(first)
        self._thread = threading.Thread(target=self._run, name="seqlab-load", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            reading = read_counters()
            if reading is not None:
                self.readings.append(reading)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            last = read_counters()
            if last is not None:
                self.readings.append(last)

    def window(self, start: Counters | None, end: Counters | None) -> float | None:
        """Others' cores between two readings taken by the caller (`read_counters`)."""
        return others_cores(start, end) if start and end else None

    def as_dict(self, fit_window: list[float] | None) -> dict[str, Any]:
        """The figures over the fit (wall-clock [start, end]; all readings without one)."""
        readings = self.readings
        if fit_window:
            low, high = fit_window
            inside = [r for r in readings if low <= r.wall <= high]
            # The readings just around the window bound it, so a short fit has two.
            before = [r for r in readings if r.wall < low][-1:]
            after = [r for r in readings if r.wall > high][:1]
            readings = before + inside + after
        if len(readings) < 2:
            return {"others_cores_mean": None, "definition": DEFINITION, "samples": []}
        first, last = readings[0], readings[-1]
        samples = [
            [round(b.wall - first.wall, 2), round(others_cores(a, b) or 0.0, 3)]
            for a, b in itertools.pairwise(readings)
        ]
        return {
            "others_cores_mean": round(others_cores(first, last) or 0.0, 4),
            "others_cores_peak": round(_peak(readings), 4),
            "own_cores_mean": round(own_cores(first, last) or 0.0, 4),
            "cpu_count": os.cpu_count(),
            "seconds": round(last.at - first.at, 3),
            "samples": samples[:: max(1, len(samples) // MAX_SAMPLES + 1)],
            "definition": DEFINITION,
        }


def _peak(readings: list[Counters]) -> float:
    """The largest mean of others' cores over any stretch of about PEAK_S (the whole
    window when it is shorter)."""
    best, j = 0.0, 0
    for i, start in enumerate(readings):
        j = max(j, i + 1)
        while j < len(readings) - 1 and readings[j].at - start.at < PEAK_S:
            j += 1
        if j < len(readings):
            best = max(best, others_cores(start, readings[j]) or 0.0)
    return best


def over_turns(chunks: dict[str, Any]) -> dict[str, Any]:
    """The figures of an interleaved job (`seqlab.training.interleave`) over its own turns:
    between its turns the other jobs of its family compute, which is no load on it. Each
    chunk lasts a few steps (tens of ms, a few of the kernel's 10 ms ticks), so a chunk's
    own figure is coarse: the mean weighs chunks by their time, and the peak is the
    largest mean over PEAK_S of consecutive turns, never a single chunk's."""
    found = [
        (r[2], r[1] * r[3] + (r[4] if len(r) > 4 and r[4] else 0.0))
        for r in chunks.get("rounds", [])
        if r[2] is not None and r[3]
    ]  # (others' cores, seconds: the timed steps and the chunk's first)
    total = sum(seconds for _, seconds in found)
    if not found or total <= 0:
        return {}
    mean = sum(o * seconds for o, seconds in found) / total
    peak = mean
    for start in range(len(found)):
        used, spent = 0.0, 0.0
        for others, seconds in found[start:]:
            used, spent = used + others * seconds, spent + seconds
            if spent >= PEAK_S:
                peak = max(peak, used / spent)
                break
    return {
        "others_cores_mean": round(mean, 4),
        "others_cores_peak": round(peak, 4),
        "measured_over": "its own turns (hydra/launcher=interleaved): the chunks' figures, "
        f"weighed by their time; the peak over {PEAK_S:.0f} s of consecutive turns",
    }
