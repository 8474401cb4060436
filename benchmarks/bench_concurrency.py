"""Concurrency benchmark: pgbench's TPC-B-like script on tracked vs untracked tables.

Run as `.venv/bin/python benchmarks/bench_concurrency.py [--clients N] [--scale N]
[--seconds N] [--repeat N]` (default: 50 clients, scale 10, 20 s per run, 3 runs each). It
provisions a throwaway cluster, initialises pgbench's tables, and alternates runs with the
four tables untracked and tracked (pending changes discarded between runs), printing the
best throughput of each and their ratio. pgbench is taken from the cluster's binaries.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess

from measure import cluster
from sg import AuditTriggerChangeEngine
from sg.adapters.provisioning.local_cluster import LocalCluster

TABLES = [("public", f"pgbench_{name}") for name in ("accounts", "branches", "tellers", "history")]
TPS = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")


def pgbench(server: LocalCluster, *args: str) -> str:
    """Run pgbench against the cluster's `bench` database; return its output."""
    params = server.conn_params("bench")
    env = {**os.environ, "PGPASSWORD": params["SG_ENGINE_PWD"]}
    command = [
        str(server.bin_dir / "pgbench"),
        *("-h", params["SG_ENGINE_HOST"], "-p", params["SG_ENGINE_PORT"]),
        *("-U", params["SG_ENGINE_USER"], *args, params["SG_ENGINE_DB_NAME"]),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return done.stdout + done.stderr


def throughput(server: LocalCluster, clients: int, seconds: int) -> float:
    """Transactions per second of one run (initial connection time excluded)."""
    output = pgbench(server, "-n", "-c", str(clients), "-j", "2", "-T", str(seconds))
    found = TPS.search(output)
    assert found is not None, output
    return float(found.group(1))


def main() -> None:
    """Print the throughputs and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    with cluster() as server:
        engine = AuditTriggerChangeEngine(server.conn_params("bench"), "bench")
        engine.initialize()
        engine.commit()
        pgbench(server, "-i", "-q", "-s", str(options.scale))
        untracked, tracked = [], []
        for _ in range(options.repeat):
            untracked.append(throughput(server, options.clients, options.seconds))
            engine.track_tables(TABLES)
            engine.commit()
            tracked.append(throughput(server, options.clients, options.seconds))
            assert engine.has_pending_changes("public")
            engine.untrack_tables(TABLES)
            engine.commit()
        engine.close()
    print(f"pgbench TPC-B-like, {options.clients} clients, scale {options.scale}, "
          f"{options.seconds} s per run; best of {options.repeat}")  # fmt: skip
    print(f"untracked {max(untracked):,.0f} tps  tracked {max(tracked):,.0f} tps"
          f"  ratio {max(tracked) / max(untracked):.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
