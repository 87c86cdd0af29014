"""`hydra/launcher=interleaved`: the jobs of a comparison live at once, and compute in turns.

Jobs run one after another carry the machine's drift over minutes into every
comparison (the same config took 43-62 ms within 10 minutes here), and jobs run side
by side slow each other. This launcher does neither: it groups the jobs of a batch
into families (each configuration with its baseline, `seqlab.reports.baseline`; without
a baseline, runs of `group` jobs in order), starts a family's jobs at once, each in a
process of its own (any backend mix works), and lets exactly one compute at a time.
The first turn of each job holds its warm-up (the backend's start, the data, the build,
tracing: its first epoch); after that a turn is one chunk of `chunk_steps` steady
steps, and the launcher grants the turns in rounds, in a fresh random order each round
(`turn_order`; `seqlab.training.interleave` is the jobs' side). A family ends when its
last job does; then the next starts. Chunks of one round are adjacent in time, so
their log-ratio cancels the drift (`seqlab.reports.speedup` pairs them).

Every job is accounted for as with every launcher: a job that crashes ends its turns
(its record says why), one that keeps a turn past `timeout_s` is stopped (SIGTERM,
then SIGKILL) and recorded interrupted, a job that finds its run finished leaves
without a turn (skipped). Ctrl-C or SIGTERM to the driver stops the jobs through the
driver's one stop path (`seqlab.sweeps.driver`): the jobs are this host's, in
their own records. Memory: at most `group` processes live at once (each holds its
backend, several hundred MB); a family larger than that is refused before any job
starts (`check_families`), and every record says how many lived at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqlab.errors import ConfigError

ENV = "SEQLAB_INTERLEAVE"  # as seqlab.training.interleave reads it
STOP_GRACE_S = 30.0  # a job stopped past its timeout gets this long to record it
MAX_TIMEOUT_S = 1e7  # 115 days: select() takes no more


@dataclass
class Job:
    """One job of a family: its place in the batch, its process and the pipes to it."""

    index: int
    overrides: list[str]
    folder: Path
    config_file: str
    process: subprocess.Popen | None = None
    to_job: Any = None  # the launcher writes "go <round> <place>" here
    from_job: Any = None  # the job writes "ask" here
    done: bool = False
    stopped: str | None = field(default=None)

    def start(self, family: str, chunk_steps: int, launcher: dict[str, Any]) -> None:
        """Start the job's process with its end of two pipes in its environment."""
        job_read, launcher_write = os.pipe()
        launcher_read, job_write = os.pipe()
        env = {**os.environ, ENV: f"{job_read},{job_write},{family},{chunk_steps}"}
        command = [sys.executable, "-m", "seqlab.runs.job", self.config_file, str(self.folder)]
        command += [json.dumps(self.overrides), json.dumps(launcher)]
        self.process = subprocess.Popen(command, env=env, pass_fds=(job_read, job_write))
        os.close(job_read)
        os.close(job_write)
        self.to_job = os.fdopen(launcher_write, "w", buffering=1)
        self.from_job = os.fdopen(launcher_read, "r", buffering=1)

    def wait_for_ask(self, timeout_s: float) -> bool:
        """Wait until the job asks for a turn (True) or ends (False); past `timeout_s` it
        is stopped and counts as ended."""
        ready, _, _ = select.select([self.from_job], [], [], timeout_s)
        if not ready:
            self.stop(f"kept its turn past hydra.launcher.timeout_s={timeout_s:g}")
            return False
        line = self.from_job.readline()
        if line.startswith("ask"):
            return True
        self.finish()
        return False

    def grant(self, number: int, place: int = 0) -> None:
        """Give the job its turn in round `number`, at `place` (0: first)."""
        try:
            self.to_job.write(f"go {number} {place}\n")
        except (BrokenPipeError, OSError):
            self.finish()

    def stop(self, why: str) -> None:
        """Stop a job that hangs: SIGTERM (it records its interruption), then SIGKILL."""
        self.stopped = why
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a stopped (SIGSTOP) job hears nothing
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.finish()
        self._say_why(why)

    def _say_why(self, why: str) -> None:
        """Put the launcher's reason into the record the job left (it saw only SIGTERM)."""
        from seqlab.records.files import RESULTS_FILE, write_json_atomic
        from seqlab.records.record import UnreadableRecord, load_record

        path = Path(self.folder) / RESULTS_FILE
        try:
            record = load_record(path)
        except UnreadableRecord:
            return
        mine = record is not None and self.process is not None
        if mine and record.get("pid") == self.process.pid and record["status"] != "ok":
            said = f"Stopped by the interleaving launcher: it {why}."
            record["error"] = f"{said} {record.get('error') or ''}".strip()
            with contextlib.suppress(OSError):
                write_json_atomic(path, record)

    def finish(self) -> None:
        """The job has ended: close its pipes and reap its process."""
        if self.done:
            return
        self.done = True
        for pipe in (self.to_job, self.from_job):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        if self.process is not None:
            self.process.wait()


def families(overrides: list[list[str]], baseline: str | None, group: int) -> list[list[int]]:
    """The batch's jobs (by index) in families: with a baseline, each baseline job (first)
    with every job paired to it (the same other overrides, the same seed); the jobs
    paired to none, and every job without a baseline, in runs of `group` in batch
    order."""
    from seqlab.reports.baseline import Baseline
    from seqlab.reports.rows import override_dict

    given = [override_dict(o) for o in overrides]
    found: dict[int, list[int]] = {}
    alone: list[int] = []
    if baseline:
        bases = Baseline.parse(baseline).pair(list(range(len(given))), lambda i: given[i])
        for i, base in bases.items():
            if base is None:
                alone.append(i)
            else:
                found.setdefault(base, []).append(i)
    else:
        alone = list(range(len(given)))
    # The baseline first: the warm-ups turn around it (`warmup_order`).
    out = [[base, *sorted(set(members) - {base})] for base, members in sorted(found.items())]
    out += [alone[i : i + group] for i in range(0, len(alone), group)]
    return out


def check_families(overrides: list[list[str]], baseline: str | None, group: int) -> None:
    """Refuse, before any job starts, a family more processes than `group` would hold."""
    if not isinstance(group, int) or isinstance(group, bool) or group < 2:
        raise ConfigError(
            f"hydra.launcher.group={group!r}: the interleaving launcher runs at least two "
            "jobs at once (a configuration and its baseline). Set a whole number >= 2."
        )
    largest = max((len(f) for f in families(overrides, baseline, group)), default=0)
    if largest > group:
        raise ConfigError(
            f"The largest comparison of this sweep has {largest} jobs (a baseline and every "
            f"configuration compared with it), and hydra.launcher.group={group} processes "
            "may live at once: they must all live together to take turns. Raise "
            f"hydra.launcher.group to {largest} (each process holds its backend: several "
            "hundred MB), or sweep fewer configurations against one baseline at a time."
        )


def run_batch(
    jobs: list[Job],
    sweep_dir: Path,
    baseline: str | None,
    group: int,
    chunk_steps: int,
    timeout_s: float,
    seed: str,
    rotation: int = 0,
) -> None:
    """Run the batch family by family; each family's jobs in turns (module docstring).
    `seed` seeds the turns' order (each record keeps it); `rotation` (the launch's
    number in its sweep) turns the order of warm-ups (`warmup_order`)."""
    rng = random.Random(seed)
    for number, members in enumerate(families([j.overrides for j in jobs], baseline, group)):
        family = [jobs[i] for i in members]
        name = f"{os.getpid()}-{int(time.time())}-{number}"
        launcher = {"name": "interleaved", "workers_per_node": group, "node": None,
                    "family": name, "alive": len(family), "sweep_dir": str(sweep_dir),
                    "turn_seed": seed}  # fmt: skip
        for job in family:
            job.start(name, chunk_steps, launcher)
        turn = seed_turn(family)
        turn = rotation + number if turn is None else turn
        _take_turns(family, rng, timeout_s, turn, holds_baseline(family[0], baseline))


def turn_order(live: list[Any], rng: random.Random) -> list[Any]:
    """A round's order: a fresh random permutation of the live jobs. Random, not fixed
    or alternating: a chunk right after the same job's previous chunk starts warm (its
    first step pays no switch), and with two jobs made to alternate, the one placed
    first ran 8-15 % slower in all 4 pairs of a sweep measured here (docs/benchmarks.md);
    a random order gives every job each place and each neighbour alike."""
    order = list(live)
    rng.shuffle(order)
    return order


def configuration(job: Job) -> tuple[tuple[str, str], ...]:
    """A job's overrides without its seed: the same for a configuration in every round
    (the sweeper alternates the jobs' order in a batch from round to round)."""
    from seqlab.reports.rows import override_dict
    from seqlab.reports.stats import SEED_KEY

    return tuple(sorted((k, v) for k, v in override_dict(job.overrides).items() if k != SEED_KEY))


def holds_baseline(job: Job, baseline: str | None) -> bool:
    """Whether the job is a baseline job (`families` puts it first in its family)."""
    from seqlab.reports.baseline import Baseline
    from seqlab.reports.rows import override_dict

    return bool(baseline) and Baseline.parse(baseline).holds(override_dict(job.overrides))


def seed_turn(family: list[Job]) -> int | None:
    """The family's seed (`trainer.seed`, the same for all its jobs: they are paired by
    it) when it has one: repeats=N and repeats=auto give seeds 1, 2, 3, ..., so the
    warm-up order alternates from seed to seed whatever launch or place in its batch
    the family has. None without one."""
    from seqlab.reports.rows import override_dict
    from seqlab.reports.stats import SEED_KEY

    seeds = {override_dict(job.overrides).get(SEED_KEY) for job in family}
    if len(seeds) != 1:
        return None
    (seed,) = seeds
    text = str(seed)
    return int(text) if text.isdigit() else None


def warmup_order(
    live: list[Any], turn: int, baseline: Any = None, key: Any = configuration
) -> list[Any]:
    """The order of the warm-ups (round 0): the live jobs in a fixed order of their
    configurations (`key`; not the batch's order, which the sweeper alternates from
    round to round), placed by `turn`.

    Not random: the job that warmed up first then ran 2-19 % slower than the other for
    its whole life, in 21 of 21 A/A pairs measured here on 2026-12-03 afternoon (a long
    burn-in or an equal idle time for both did not undo it; why was not found). Random,
    three pairs in a row can fall the same way, and the paired interval, which takes
    pairs for alike, declared differences that do not exist (2 of 2 sweeps). Instead
    the order alternates with `turn` (the seed: `seed_turn`), and the statistics take
    the effect out (`seqlab.reports.crossover`):

    - with the family's `baseline` job live: it warms up first on an even turn and last
      on an odd one, so that every configuration of the family warmed up after the
      baseline for one seed and before it for the next;
    - otherwise the jobs take turns going first (the order turned by `turn`)."""
    first = [job for job in live if baseline is not None and job is baseline]
    rest = sorted((job for job in live if job not in first), key=key)
    if first:
        return first + rest if turn % 2 == 0 else rest + first
    if not rest:
        return []
    turn %= len(rest)
    return rest[turn:] + rest[:turn]


def _take_turns(
    family: list[Job], rng: random.Random, timeout_s: float, turn: int, based: bool
) -> None:
    """Rounds until every job of the family has ended: each live job gets one turn and
    keeps it until it asks for the next (or ends); the warm-ups in `warmup_order`, then
    every round in a random order (`turn_order`)."""
    live = [job for job in family if job.wait_for_ask(timeout_s)]  # ready, or skipped
    for job in family:  # read by now: no config is left behind, whatever stops the sweep
        Path(job.config_file).unlink(missing_ok=True)
    number = 0
    while live:
        if number == 0:
            order = warmup_order(live, turn, family[0] if based else None)
        else:
            order = turn_order(live, rng)
        for place, job in enumerate(order):
            job.grant(number, place)
            if job.done or not job.wait_for_ask(timeout_s):
                live.remove(job)
        number += 1


def write_config(task: Any) -> str:
    """The job's resolved config in a temporary file, as `seqlab.runs.job` reads it."""
    from omegaconf import OmegaConf

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(OmegaConf.to_yaml(task, resolve=True))
    return handle.name


def result(job: Job) -> dict[str, Any]:
    """The job's record (what a job returns to Hydra), or what stands in for it."""
    from seqlab.records.files import RESULTS_FILE
    from seqlab.records.record import UnreadableRecord, load_record

    try:
        record = load_record(Path(job.folder) / RESULTS_FILE)
    except UnreadableRecord:
        record = None
    if record is None or (job.process is not None and record.get("pid") != job.process.pid):
        refused = job.process is not None and job.process.returncode == 2
        if record is not None and record.get("status") == "ok" and not refused:
            return {**record, "skipped": True}
        code = job.process.returncode if job.process else None
        return {"status": "refused", "error": f"the job's process ended with status {code}",
                "output_dir": str(job.folder)}  # fmt: skip
    return record


def options(config: Any) -> tuple[int, int, float]:
    """(group, chunk_steps, timeout_s) from hydra.launcher, checked."""
    launcher = config.hydra.launcher
    group, steps, timeout = (
        launcher.get("group"),
        launcher.get("chunk_steps"),
        launcher.get("timeout_s"),
    )
    whole = isinstance(steps, int) and not isinstance(steps, bool) and steps >= 2
    if not whole:
        raise ConfigError(
            f"hydra.launcher.chunk_steps={steps!r}: the steps a job runs per turn, a whole "
            "number >= 2 (4 by default: a chunk's first step pays for the switch and is "
            "timed apart, the others make its figure; short chunks give many rounds)."
        )
    number = isinstance(timeout, int | float) and not isinstance(timeout, bool)
    if not number or not 0 < timeout <= MAX_TIMEOUT_S:  # nan and inf fail here too
        raise ConfigError(
            f"hydra.launcher.timeout_s={timeout!r}: how long one turn may last before the "
            f"job is stopped as hung, in seconds (> 0 and at most {MAX_TIMEOUT_S:g}; the first "
            "turn holds the warm-up)."
        )
    return group, steps, float(timeout)
