"""Command-line start-up: wall time of `sg --help`, `sg --version` and `sg tracked`.

Run as `.venv/bin/python benchmarks/bench_startup.py [--repeat N]`. Each command runs N
times (default 10) as a fresh process; the minimum and the median are printed. `sg tracked`
talks to an embedded engine started beforehand in a throwaway data directory (its start-up
is not timed), so it shows what every command that needs an engine pays: the imports of
psycopg and the container, connecting, and one query. The engine is stopped afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SG = str(Path(sys.executable).with_name("sg"))


def timings(args: list[str], env: dict[str, str], repeat: int) -> list[float]:
    """Wall seconds of `repeat` runs of `sg ARGS`."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([SG, *args], env=env, capture_output=True, check=True)
        runs.append(time.perf_counter() - started)
    return runs


def main() -> None:
    """Time the commands and print one line per command."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sg-bench-startup-"))
    home.chmod(0o755)  # the embedded server's user must enter it when run as root
    (home / "config.toml").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SG_")}
    env.update(SG_DATA_DIR=str(home / "data"), SG_CONFIG=str(home / "config.toml"))
    try:
        subprocess.run([SG, "-q", "engine", "start"], env=env, check=True)
        print(f"{'command':<14} {'min':>8} {'median':>8}   ({options.repeat} runs each)")
        for args in (["--help"], ["--version"], ["tracked"]):
            runs = timings(args, env, options.repeat)
            label = "sg " + " ".join(args)
            print(f"{label:<14} {min(runs):>7.3f}s {statistics.median(runs):>7.3f}s")
    finally:
        subprocess.run([SG, "-q", "engine", "stop"], env=env, check=False)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
