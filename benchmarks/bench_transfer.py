"""Object transfer between two engines vs a plain client COPY pipe, both directions.

Provisions two throwaway local clusters A and B, stores an object of `--rows` rows on each,
then times, per direction and interleaved `--repeat` times (median reported):

- pipe: `COPY ... TO STDOUT (FORMAT binary)` on the source streamed message by message
  into `COPY ... FROM STDIN (FORMAT binary)` on the destination (no verification), and
  the same pipe gathering messages into 256 KiB writes, for reference;
- each transport through `download_objects`, verification on (the default), and
  postgres_fdw once more with it off, to show what the destination's digest costs.

`vs pipe` is throughput relative to the plain pipe (above 1.0 = faster). Peak client
memory is the largest rise of the resident set during one transfer, run in a fresh
process; it is also measured on an object a tenth the size, to show that it does not
grow with the object.
Usage: .venv/bin/python benchmarks/bench_transfer.py [--rows N] [--repeat K] [--fetch-sizes]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dependency_injector import providers
from psycopg import sql

from sg import PostgresEngine, container
from sg.adapters.fdw.transport import FdwTransport
from sg.adapters.postgres.session.connection import make_conn
from sg.adapters.postgres.transfer.copy_transport import CHUNK_BYTES
from sg.adapters.provisioning.local_cluster import LocalCluster
from sg.domain.model import TableRef
from sg.domain.object_id import ObjectId
from sg.ports.transport import ObjectTransport

Method = Callable[[PostgresEngine, PostgresEngine, str], None]
DATABASE = "sg_bench"
PIPE_TABLE = TableRef("public", "pipe_target")


class PeakRss:
    """Samples this process's resident set in a thread; `rise` is the peak above the start."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.rise = 0

    @contextmanager
    def watch(self) -> Iterator[None]:
        start = _rss()
        peak = start
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(self.interval_s):
                peak = max(peak, _rss())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield
        finally:
            done.set()
            sampler.join()
            self.rise = max(peak, _rss()) - start


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_object(engine: PostgresEngine, name: str, rows: int) -> str:
    """An object of `rows` rows of a typical table: key, text, numeric, timestamp; each
    engine's labels differ, so that A's and B's objects differ too."""
    table = sql.Identifier("public", name)
    engine.run_sql(
        sql.SQL(
            "CREATE TABLE {} (id bigint PRIMARY KEY, label text, amount numeric(12,2),"
            " at timestamptz)"
        ).format(table)
    )
    engine.run_sql(
        sql.SQL(
            "INSERT INTO {} SELECT g, %s || g, (g %% 100000) / 100.0,"
            " timestamptz '2024-01-01' + g * interval '1 second'"
            " FROM generate_series(1, %s::bigint) AS g"
        ).format(table),
        [f"{engine.name}-{name}-", rows],
    )
    object_id = engine.snapshot_table("public", name)
    engine.run_sql(sql.SQL("DROP TABLE {}").format(table))
    engine.commit()
    return object_id


def forget(engine: PostgresEngine, object_id: str) -> None:
    """Remove an object (table and registry row) from the engine."""
    engine.run_sql("DELETE FROM sg_meta.objects WHERE object_id = %s", [object_id])
    engine.run_sql(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("sg_meta", object_id)))
    engine.commit()


def pipe(
    source: PostgresEngine, destination: PostgresEngine, object_id: str, chunk: int = 0
) -> None:
    """The baseline: binary COPY out of the source, each message written to the destination
    (or, with `chunk`, gathered into writes of that many bytes)."""
    record = source.objects._registry.get(ObjectId(object_id))
    assert record is not None
    destination.run_sql(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(*PIPE_TABLE)))
    destination.objects._store.create_table(PIPE_TABLE, record.columns, with_key=False)
    destination.commit()
    reader = _connect(source)
    writer = _connect(destination)
    try:
        copy_out = sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(
            sql.Identifier("sg_meta", object_id)
        )
        copy_in = sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(sql.Identifier(*PIPE_TABLE))
        with (
            reader.cursor() as out_cursor,
            writer.cursor() as in_cursor,
            out_cursor.copy(copy_out) as out,
            in_cursor.copy(copy_in) as into,
        ):
            buffer = bytearray()
            for data in out:
                if not chunk:
                    into.write(data)
                    continue
                buffer += data
                if len(buffer) >= chunk:
                    into.write(buffer)
                    buffer.clear()
            into.write(buffer)
        writer.commit()
    finally:
        reader.close()
        writer.close()


def _connect(engine: PostgresEngine) -> Any:
    p = engine.params
    return make_conn(p.host, p.port, p.user, p.password, p.dbname)


def transfer(kind: str, verify: bool = True) -> Method:
    """A measurement that moves the object with the transport `kind`."""

    def run(source: PostgresEngine, destination: PostgresEngine, object_id: str) -> None:
        os.environ["SG_TRANSPORT"] = kind
        moved = destination.download_objects([object_id], source, verify=verify)
        assert moved == [object_id], moved

    return run


def timed(
    method: Method, source: PostgresEngine, destination: PostgresEngine, object_id: str
) -> float:
    forget(destination, object_id)
    started = time.perf_counter()
    method(source, destination, object_id)
    elapsed = time.perf_counter() - started
    forget(destination, object_id)
    return elapsed


def methods() -> dict[str, Method]:
    """What is measured, by name; the pipe comes first (it is the baseline)."""
    return {
        "pipe": pipe,
        "pipe, 256 KiB writes": lambda s, d, o: pipe(s, d, o, chunk=CHUNK_BYTES),
        "copy (default)": transfer("copy"),
        "fdw": transfer("fdw"),
        "fdw, verify off": transfer("fdw", verify=False),
    }


def compare(
    engines: dict[str, PostgresEngine], objects: dict[str, str], rows: int, repeat: int
) -> None:
    print(f"\n{rows} rows per object, median of {repeat} interleaved runs\n")
    print("| direction | method | seconds | rows/s | vs pipe | peak client MiB |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for source_name, destination_name in (("A", "B"), ("B", "A")):
        source, destination = engines[source_name], engines[destination_name]
        object_id = objects[source_name]
        times: dict[str, list[float]] = {name: [] for name in methods()}
        for _round in range(repeat):
            for name, method in methods().items():
                times[name].append(timed(method, source, destination, object_id))
        base = statistics.median(times["pipe"])
        for name in methods():
            median = statistics.median(times[name])
            memory = peak_in_child(name, source, destination, object_id)
            print(
                f"| {source_name}→{destination_name} | {name} | {median:.2f} |"
                f" {rows / median:,.0f} | {base / median:.2f}x | {memory / 2**20:.1f} |"
            )


def memory_by_size(engines: dict[str, PostgresEngine], small: str, large: str) -> None:
    print("\n| method | peak client MiB, object of N/10 rows | of N rows |")
    print("| --- | ---: | ---: |")
    for name in methods():
        rises = [peak_in_child(name, engines["A"], engines["B"], o) for o in (small, large)]
        print(f"| {name} | {rises[0] / 2**20:.1f} | {rises[1] / 2**20:.1f} |")


def peak_in_child(
    method: str, source: PostgresEngine, destination: PostgresEngine, object_id: str
) -> int:
    """The peak resident-set rise of one transfer, in a fresh process (whose heap has not
    grown already) so that memory freed by earlier runs does not hide it."""
    job = {
        "method": method,
        "source": source.conn_params,
        "destination": destination.conn_params,
        "object": object_id,
    }
    result = subprocess.run(
        [sys.executable, __file__, "--child"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def child() -> int:
    job = json.loads(sys.stdin.read())
    source = PostgresEngine(job["source"], "A")
    destination = PostgresEngine(job["destination"], "B")
    method = methods()[job["method"]]
    forget(destination, job["object"])
    meter = PeakRss()
    with meter.watch():
        method(source, destination, job["object"])
    forget(destination, job["object"])
    print(meter.rise)
    return 0


def fetch_sizes(engines: dict[str, PostgresEngine], object_id: str, repeat: int) -> None:
    print("\n| fdw fetch_size | seconds (median, verify off) |")
    print("| ---: | ---: |")
    os.environ["SG_TRANSPORT"] = "fdw"
    for size in (100, 1000, 10_000, 50_000):
        factory = providers.Factory[ObjectTransport](
            FdwTransport, container.transfer_route, fetch_size=size
        )
        results = []
        with container.object_transport.override(factory):
            for _round in range(repeat):
                forget(engines["B"], object_id)
                started = time.perf_counter()
                engines["B"].download_objects([object_id], engines["A"], verify=False)
                results.append(time.perf_counter() - started)
        forget(engines["B"], object_id)
        print(f"| {size} | {statistics.median(results):.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--fetch-sizes", action="store_true", help="also time postgres_fdw fetch_size values"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child()
    clusters: list[LocalCluster] = []
    engines: dict[str, PostgresEngine] = {}
    try:
        for name in ("A", "B"):
            cluster = LocalCluster.create(Path(tempfile.mkdtemp(prefix="sg-bench-transfer-")))
            clusters.append(cluster)
            cluster.start()
            engines[name] = PostgresEngine(cluster.conn_params(DATABASE), name)
            engines[name].initialize()
        started = time.perf_counter()
        objects = {name: make_object(engine, "t", args.rows) for name, engine in engines.items()}
        small = make_object(engines["A"], "small", max(args.rows // 10, 1))
        print(f"objects stored in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        compare(engines, objects, args.rows, args.repeat)
        memory_by_size(engines, small, objects["A"])
        if args.fetch_sizes:
            fetch_sizes(engines, objects["A"], args.repeat)
    finally:
        for engine in engines.values():
            engine.close()
        for cluster in clusters:
            cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
