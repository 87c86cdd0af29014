"""How fast does `seqlab --help` answer? Prints the median of several runs (target < 1.5 s).

python benchmarks/cli_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    command = [shutil.which("seqlab") or sys.executable, "--help"]
    if command[0] == sys.executable:
        command.insert(1, "-m")
        command.insert(2, "seqlab")
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    print(
        f"`{' '.join(command)}`: median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f} s, max {max(times):.3f} s over {args.runs} runs (target < 1.5 s)"
    )


if __name__ == "__main__":
    main()
