"""The command line before Hydra reads it: what seqlab adds to Hydra's syntax (`repeats=N`,
`repeats=auto`) and what it says better than Hydra's parser would (a baseline with an
unquoted "=", a launcher whose plugin is missing). Nothing here imports a sweep's code,
so a plain run loads none of it.
"""

from __future__ import annotations

from seqlab.errors import ConfigError


def expand_repeats(argv: list[str]) -> list[str]:
    """`seqlab -m ... repeats=N` is `trainer.seed=1,...,N`: every job N times, one seed each,
    in alternated rounds (the seed varies slowest).

    The summary then groups the jobs that differ only in the seed (mean, standard
    deviation, 95 % interval, n; see seqlab.reports.stats).
    """
    for arg in argv:
        key, _, value = arg.lstrip("+").partition("=")
        if key == "report.baseline" and "=" in value and value[:1] not in "'\"":
            raise ConfigError(
                f"{arg}: Hydra reads a second '=' in an unquoted value as a syntax error. "
                f"Write the baseline as {key}={value.replace('=', ':', 1)} or quote it: "
                f"'{key}=\"{value}\"' (the single quotes are for the shell)."
            )
    found = [arg for arg in argv if arg.startswith("repeats=")]
    if not found:
        return argv
    value = found[-1].split("=", 1)[1]
    if value != "auto" and (not value.isdigit() or int(value) < 1):
        raise ConfigError(
            f"repeats={value!r} is not allowed: repeats must be an integer >= 1 (the number "
            "of seeds to run each job with) or auto (rounds of seeds until every comparison "
            "with report.baseline is decided). Fix it on the command line."
        )
    if not {"-m", "--multirun"} & set(argv):
        raise ConfigError(
            f"repeats={value} repeats the jobs of a sweep, and this command is not one. Add "
            "-m (for example `seqlab -m model=lstm repeats=3`)."
        )
    if any(arg.lstrip("+").startswith("trainer.seed=") for arg in argv):
        raise ConfigError(
            f"repeats={value} sets trainer.seed=1..{value}, and the command sets trainer.seed "
            "too. Keep one of them."
        )
    rest = [arg for arg in argv if not arg.startswith("repeats=")]
    if value == "auto":
        return [*rest, "hydra/sweeper=seqlab_auto"]
    seeds = ",".join(str(seed) for seed in range(1, int(value) + 1))
    # Before the first override: Hydra's basic sweeper varies the first key slowest, so
    # each round runs every job once and the rounds alternate (a drift of the machine
    # then spreads over all jobs). Presets list trainer.seed first for the same reason.
    first = next((i for i, arg in enumerate(rest) if "=" in arg and not arg.startswith("-")), 0)
    return [*rest[:first], f"trainer.seed={seeds}", *rest[first:]]
