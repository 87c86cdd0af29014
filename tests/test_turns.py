"""The interleaving launcher's schedule and a job's chunks, without processes.

The e2e side (real processes taking turns) is tests/test_interleave.py. Here: every
round's order is a fresh random one (each job in each place alike), and a chunk's first
step, which pays for the switch from the job before (a chunk right after the same job's
previous one starts warm: the A/A bias of docs/benchmarks.md came from there), is timed
apart from the steps that make the chunk's figure."""

from __future__ import annotations

import itertools
import os
import random
from collections import Counter
from pathlib import Path

import pytest

from seqlab.sweeps.interleave import Job, families, seed_turn, turn_order, warmup_order
from seqlab.training import turns
from seqlab.training.interleave import Gate


@pytest.mark.parametrize("size", [2, 3, 4])
def test_every_round_is_a_fresh_random_order_giving_each_job_each_place_alike(size):
    rng = random.Random(size)
    jobs = [f"job{i}" for i in range(size)]
    rounds = [turn_order(jobs, rng) for _ in range(6000)]
    assert all(sorted(order) == jobs for order in rounds)  # every live job once a round
    # Every order happens (not a fixed or alternating one: the job placed first in an
    # alternation ran 8-15 % slower here), each about equally often.
    counts = Counter(tuple(order) for order in rounds)
    orders = list(itertools.permutations(jobs))
    assert set(counts) == set(orders)
    expected = len(rounds) / len(orders)
    assert all(abs(counts[o] - expected) < 5 * expected**0.5 for o in orders)
    # A job follows itself (last of one round, first of the next) about 1/size of rounds.
    repeats = sum(a[-1] == b[0] for a, b in itertools.pairwise(rounds)) / (len(rounds) - 1)
    assert abs(repeats - 1 / size) < 0.03


def test_without_a_baseline_each_job_warms_up_first_in_turn():
    jobs = ["b", "base", "a"]  # sorted by their configuration (here: the name)
    firsts = [warmup_order(jobs, turn, key=str)[0] for turn in range(6)]
    assert firsts == ["a", "b", "base", "a", "b", "base"]
    assert all(sorted(warmup_order(jobs, t, key=str)) == sorted(jobs) for t in range(6))
    assert warmup_order([], 3, key=str) == []


@pytest.mark.parametrize("size", [2, 3, 4])
def test_the_baseline_warms_up_first_then_last_so_each_pairs_order_alternates(size):
    """The crossover statistics (reports.crossover) need every configuration's warm-up
    order against its baseline to alternate from seed to seed: a cyclic turn of four
    jobs put the baseline before one configuration in 3 of 4 turns."""
    base, *others = ["base", *(f"c{i}" for i in range(size - 1))]
    for turn in range(6):
        order = warmup_order([*reversed(others), base], turn, baseline=base, key=str)
        assert sorted(order) == sorted([base, *others])
        before = [order.index(base) < order.index(c) for c in others]
        assert before == [turn % 2 == 0] * len(others)
    # A baseline not live (skipped: already finished) leaves the others to take turns.
    assert warmup_order(others, 1, baseline=base, key=str)[0] == others[1 % len(others)]


def test_the_warm_up_order_follows_the_seed_whatever_the_batch_order_and_launch():
    """The sweeper alternates the jobs' order in a batch from round to round, and shuffles
    repeats=auto's batches: turned in batch order, one configuration warmed up first in
    3 of 4 rounds."""
    rounds = [["dataset.seed=1", "dataset.seed=2"], ["dataset.seed=2", "dataset.seed=1"]] * 2
    firsts = []
    for seed, order in enumerate(rounds, start=1):
        jobs = [Job(i, [given, f"trainer.seed={seed}"], Path("."), "") for i, given in
                enumerate(order)]  # fmt: skip
        base = next(job for job in jobs if job.overrides[0] == "dataset.seed=1")
        assert seed_turn(jobs) == seed
        firsts.append(warmup_order(jobs, seed_turn(jobs), baseline=base)[0].overrides[0])
    assert firsts == ["dataset.seed=2", "dataset.seed=1"] * 2
    mixed = [Job(0, ["trainer.seed=1"], Path("."), ""), Job(1, ["trainer.seed=2"], Path("."), "")]
    assert seed_turn(mixed) is None and seed_turn(mixed[:1]) == 1
    assert seed_turn([Job(0, ["x=1"], Path("."), "")]) is None


def test_a_lone_job_takes_every_turn():
    assert turn_order(["a"], random.Random(0)) == ["a"]


class _Gate:
    """Grants turns at once: round 1, 2, ... with the places given."""

    chunk_steps = 3
    family = "f"
    warmup_place = 1

    def __init__(self, places):
        self.places = iter(places)
        self.rounds = itertools.count(1)
        self.waited_s = 0.0

    def turn(self):
        self.waited_s += 0.5
        return next(self.rounds), next(self.places)


class _Timer:
    warmup_steps = 1

    def __init__(self):
        self.paused = 0.0

    def pause(self, seconds):
        self.paused += seconds


def test_a_chunks_first_step_is_timed_apart_from_its_figure(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(turns.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(turns, "read_counters", lambda: None)
    timer = _Timer()
    callback = turns.ChunkTurns(_Gate([1, 0, 1]), timer, epochs=2)
    # Step times: epoch 1 is the warm-up (no turns counted here); in epoch 2 the first
    # step of each chunk takes 0.2 s (the switch), the others 0.1 s, except the epoch's
    # own first step (0.9 s), never a steady step.
    plan = {1: [1.0] * 4, 2: [0.9, 0.1, 0.1, 0.2, 0.1, 0.1, 0.2, 0.1]}
    for epoch, times in plan.items():
        callback.on_epoch_begin(epoch - 1)
        for batch, seconds in enumerate(times):
            callback.on_train_batch_begin(batch)
            clock[0] += seconds
            callback.on_train_batch_end(batch)
    callback.on_train_end()
    rounds = callback.as_dict()["rounds"]
    assert [r[0] for r in rounds] == [1, 2, 3] and [r[5] for r in rounds] == [1, 0, 1]
    assert callback.as_dict()["warmup_place"] == 1
    # Chunk 1 starts the epoch: its first step is the epoch's, excluded from both.
    assert rounds[0][1] == pytest.approx(0.1) and rounds[0][3] == 2 and rounds[0][4] is None
    assert rounds[1][1] == pytest.approx(0.1) and rounds[1][4] == pytest.approx(0.2)
    assert rounds[2][3] == 1 and rounds[2][4] == pytest.approx(0.2)
    assert callback.waited == pytest.approx(1.5) and timer.paused == pytest.approx(1.5)


def test_the_gate_reads_its_round_and_place_from_the_launcher():
    job_read, launcher_write = os.pipe()
    launcher_read, job_write = os.pipe()
    gate = Gate(job_read, job_write, "fam", 4)
    with os.fdopen(launcher_write, "w", buffering=1) as to_job:
        to_job.write("go 7 2\ngo 8\n")  # a launcher of before places wrote no place
    assert gate.turn() == (7, 2) and gate.turn() == (8, 0)
    assert gate.warmup_place == 2  # the first turn is the warm-up's
    assert os.read(launcher_read, 100) == b"ask\nask\n"
    os.close(launcher_read)
    assert gate.turns == 2


def test_families_pair_each_configuration_with_its_baseline():
    overrides = [["model=lstm", "s=1"], ["model=gru", "s=1"], ["model=lstm", "s=2"],
                 ["model=gru", "s=2"], ["x=1"]]  # fmt: skip
    assert families(overrides, "model=lstm", 4) == [[0, 1], [2, 3], [4]]
    assert families(overrides, None, 2) == [[0, 1], [2, 3], [4]]
    # The baseline first, wherever the batch put it (the warm-ups turn around it).
    assert families(overrides[::-1], "model=lstm", 4) == [[2, 1], [4, 3], [0]]


@pytest.mark.parametrize("steps", [1, 0, 2.5, True, "4"])
def test_a_chunk_of_fewer_than_two_steps_is_refused_with_why(steps):
    from omegaconf import OmegaConf

    from seqlab.errors import ConfigError
    from seqlab.sweeps.interleave import options

    given = {"hydra": {"launcher": {"group": 2, "chunk_steps": steps, "timeout_s": 10}}}
    with pytest.raises(ConfigError, match=r"whole number >= 2.*timed apart"):
        options(OmegaConf.create(given))
    given["hydra"]["launcher"]["chunk_steps"] = 2
    assert options(OmegaConf.create(given)) == (2, 2, 10.0)
