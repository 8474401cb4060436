"""Command-line start-up: wall time of `sg --help`, `--version`, `tracked` and `log`.

Run as `.venv/bin/python benchmarks/bench_startup.py [--repeat N] [--versions N]`. Each
command runs N times (default 10) as a fresh process; the minimum and the median are
printed. `sg tracked` and `sg log` talk to an embedded engine started beforehand in a
throwaway data directory (its start-up is not timed); `sg log` reads a schema of
`--versions` versions (default 1,000). Measured in the same run: bare Python, `import
psycopg`, and the floor any command that reads the engine stands on — a Python process that
imports psycopg, connects and runs one query; sg's overhead is printed above that floor.
The engine is stopped afterwards. Python's bytecode cache is on for the timed processes
(`PYTHONDONTWRITEBYTECODE` is dropped), as on a user's machine: without it every run
compiles sg's modules again (about 0.25 s on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

SG = str(Path(sys.executable).with_name("sg"))
FLOOR = """
import json, sys
import psycopg
p = json.loads(sys.argv[1])
with psycopg.connect(host=p["SG_ENGINE_HOST"], port=p["SG_ENGINE_PORT"],
                     user=p["SG_ENGINE_USER"], password=p["SG_ENGINE_PWD"],
                     dbname=p["SG_ENGINE_DB_NAME"]) as conn:
    conn.execute("SELECT 1").fetchall()
"""


def timings(command: list[str], env: dict[str, str], repeat: int) -> list[float]:
    """Wall seconds of `repeat` runs of `command`."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        runs.append(time.perf_counter() - started)
    return runs


def make_history(params: dict[str, str], versions: int) -> None:
    """Schema `history`: one small versioned table and `versions` versions in a chain."""
    from sg import PostgresEngine, VersionedSchema
    from sg.domain.versions import History, Version, VersionId, derive_version_id

    engine = PostgresEngine(params, "bench")
    engine.run_sql("CREATE SCHEMA history; CREATE TABLE history.t (id int PRIMARY KEY, v text)")
    engine.run_sql("INSERT INTO history.t SELECT g, md5(g::text) FROM generate_series(1, 10) g")
    first = VersionedSchema(engine, "history").init()
    parent, created, chain = first.version_id, first.created_at, []
    for n in range(versions - 1):  # same tables, new messages: cheap to record, real to read
        created += timedelta(seconds=1)
        version_id = VersionId(
            derive_version_id("history", parent, created, "bench", f"v{n}", first.tables)
        )
        chain.append(
            Version(version_id, "history", parent, created, "bench", f"v{n}", first.tables)
        )
        parent = version_id
    engine.versions.receive("history", History(chain, []))
    engine.commit()
    assert len(VersionedSchema(engine, "history").log()) == versions
    engine.close()


def main() -> None:
    """Time the commands and print one line per command."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--versions", type=int, default=1000)
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sg-bench-startup-"))
    home.chmod(0o755)  # the embedded server's user must enter it when run as root
    (home / "config.toml").write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SG_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(SG_DATA_DIR=str(home / "data"), SG_CONFIG=str(home / "config.toml"))
    try:
        subprocess.run([SG, "-q", "engine", "start"], env=env, check=True)
        params = json.loads(
            subprocess.run(
                [SG, "engine", "env", "--json"], env=env, capture_output=True, check=True
            ).stdout
        )
        make_history(params, options.versions)
        py = sys.executable
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "python -c 'import psycopg'": [py, "-c", "import psycopg"],
            "floor: psycopg + connect + query": [py, "-c", FLOOR, json.dumps(params)],
            "sg --help": [SG, "--help"],
            "sg --version": [SG, "--version"],
            "sg tracked": [SG, "tracked"],
            f"sg log ({options.versions:,} versions)": [SG, "log", "history"],
        }
        print(f"{'command':<34} {'min':>8} {'median':>8}   ({options.repeat} runs each)")
        floor = 0.0
        for label, command in cases.items():
            subprocess.run(command, env=env, capture_output=True, check=True)  # caches
            runs = timings(command, env, options.repeat)
            floor = min(runs) if label.startswith("floor") else floor
            extra = f"   floor + {min(runs) - floor:.3f}s" if label.startswith("sg ") else ""
            extra = extra if floor and command[1] not in ("--help", "--version") else ""
            print(f"{label:<34} {min(runs):>7.3f}s {statistics.median(runs):>7.3f}s{extra}")
    finally:
        subprocess.run([SG, "-q", "engine", "stop"], env=env, check=False)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
