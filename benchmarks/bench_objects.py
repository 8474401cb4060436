"""Objects benchmark: dump, verified load and rebuild against plain PostgreSQL baselines.

Run as `.venv/bin/python benchmarks/bench_objects.py [--rows N]`. It provisions a
throwaway local cluster, prints one table of timings and ratios, and removes the cluster.
Each timing is the best of `--repeat` runs, interleaved with its baseline, so that the
ratios compare like with like on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psycopg import sql

from measure import best, cluster, measure_memory, timed
from sg import PostgresEngine
from sg.domain.dump_header import read_header
from sg.domain.model import TableRef

CHUNK = 1 << 20
TABLE = """CREATE TABLE t (
    id bigint PRIMARY KEY, label text, amount numeric(12, 2), at timestamptz, score float8)"""
FILL = """INSERT INTO t SELECT g, md5(g::text), (g %% 100000) / 7.0,
    timestamptz '2024-01-01' + g * interval '1 second', g * 1.5
    FROM generate_series(1, %s) g"""


class Bench:
    def __init__(self, engine: PostgresEngine, workdir: Path, repeat: int) -> None:
        self.engine = engine
        self.conn: Any = engine.connection
        self.dir = workdir
        self.repeat = repeat
        self.counter = 0

    def run(self, statement: str | sql.Composable, args: Any = None) -> Any:
        return self.engine.run_sql(statement, args)

    def fresh_name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # dump --------------------------------------------------------------------------------
    def dump_sg(self, object_id: str) -> Path:
        path = self.dir / "object.sgdump"
        with path.open("wb") as stream:
            self.engine.dump_object("sg_meta", object_id, stream)
        self.engine.commit()
        return path

    def dump_raw(self, object_id: str) -> Path:
        path = self.dir / "object.copy"
        statement = sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(
            sql.Identifier("sg_meta", object_id)
        )
        with path.open("wb") as stream, self.conn.cursor() as cur, cur.copy(statement) as copy:
            for data in copy:
                stream.write(data)
        self.conn.commit()
        return path

    # load --------------------------------------------------------------------------------
    def load_sg(self, path: Path) -> str:
        name = self.fresh_name("sg_loaded_")
        with path.open("rb") as stream:
            self.engine.load_object("bench", name, stream)
        self.engine.commit()
        return name

    def load_raw(self, path: Path, object_id: str) -> str:
        name = self.fresh_name("raw_loaded_")
        target = sql.Identifier("bench", name)
        self.run(
            sql.SQL("CREATE TABLE {} (LIKE {})").format(
                target, sql.Identifier("sg_meta", object_id)
            )
        )
        with path.open("rb") as stream:
            read_header(stream)  # the raw baseline reads the same bytes, minus our header
            with (
                self.conn.cursor() as cursor,
                cursor.copy(sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(target)) as copy,
            ):
                while chunk := stream.read(CHUNK):
                    copy.write(chunk)
        self.conn.commit()
        return name

    # rebuild -----------------------------------------------------------------------------
    def rebuild(self, fill: Callable[[], Any]) -> float:
        """Seconds to fill a fresh copy of t's definition, committed."""
        self.run("DROP TABLE IF EXISTS rebuilt")
        self.run("CREATE TABLE rebuilt (LIKE t INCLUDING ALL)")
        self.engine.commit()
        start = time.perf_counter()
        fill()
        self.engine.commit()
        return time.perf_counter() - start

    def differences(self, left: str, right: str) -> int:
        query = sql.SQL(
            "SELECT (SELECT count(*) FROM (TABLE {l} EXCEPT ALL TABLE {r}) AS a)"
            " + (SELECT count(*) FROM (TABLE {r} EXCEPT ALL TABLE {l}) AS b)"
        ).format(l=sql.Identifier(left), r=sql.Identifier(right))
        return int(self.run(query)[0][0])

    def drop(self, name: str) -> None:
        self.run(sql.SQL("DROP TABLE {}").format(sql.Identifier("bench", name)))
        self.engine.commit()


def make_patches(bench: Bench, rows: int, patches: int, fraction: float) -> list[str]:
    """Patches touching `fraction` of the rows each: updates, deletes, inserts, key moves."""
    rng = random.Random(7)
    next_id = rows + 1
    ids: list[str] = []
    for _ in range(patches):
        live = [r[0] for r in bench.run("SELECT id FROM t TABLESAMPLE SYSTEM (5)")]
        touched = rng.sample(live, min(len(live), int(rows * fraction)))
        quarter = len(touched) // 4
        updated, deleted = touched[: 2 * quarter], touched[2 * quarter : 3 * quarter]
        bench.run(
            "UPDATE t SET amount = amount + 1, label = 'changed' WHERE id = ANY(%s)", [updated]
        )
        bench.run("DELETE FROM t WHERE id = ANY(%s)", [deleted])
        added = list(range(next_id, next_id + len(touched) - 3 * quarter))
        next_id += len(added)
        bench.run("INSERT INTO t SELECT g, 'new', 1, now(), 0 FROM unnest(%s::bigint[]) g", [added])
        inserted = [(i,) for i in updated + added]
        object_id = bench.engine.objects.store_object(
            TableRef("public", "t"), inserted, [(i,) for i in deleted]
        )
        bench.engine.commit()
        ids.append(str(object_id))
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--patches", type=int, default=10)
    parser.add_argument("--patch-fraction", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    with cluster() as server, tempfile.TemporaryDirectory(prefix="sg-bench-files-") as files:
        engine = PostgresEngine(server.conn_params("bench"), "bench")
        engine.initialize()
        bench = Bench(engine, Path(files), options.repeat)
        bench.run("CREATE SCHEMA bench")
        bench.run(TABLE)
        fill_s = timed(lambda: bench.run(FILL, [options.rows]))
        bench.run("ANALYZE t")
        engine.commit()
        base_holder: list[str] = []
        snapshot_s = timed(lambda: base_holder.append(engine.snapshot_table("public", "t")))
        engine.commit()
        base = base_holder[0]
        print(
            f"rows: {options.rows:,}  fill: {fill_s:.2f}s  snapshot (store + id): {snapshot_s:.2f}s"
        )

        dump_sg, dump_raw = [], []
        for _ in range(options.repeat):
            dump_raw.append(timed(lambda: bench.dump_raw(base)))
            dump_sg.append(timed(lambda: bench.dump_sg(base)))
        sg_file = bench.dump_sg(base)
        raw_size = bench.dump_raw(base).stat().st_size
        dump_bytes = sg_file.stat().st_size

        load_sg, load_raw = [], []
        loaded: list[str] = []
        for _ in range(options.repeat):
            load_raw.append(timed(lambda: loaded.append(bench.load_raw(sg_file, base))))
            load_sg.append(timed(lambda: loaded.append(bench.load_sg(sg_file))))
            while loaded:
                bench.drop(loaded.pop())

        dump_mem = measure_memory(lambda: bench.dump_sg(base))
        measured: list[str] = []
        load_mem = measure_memory(lambda: measured.append(bench.load_sg(sg_file)))
        bench.drop(measured.pop())

        patch_start = time.perf_counter()
        patches = make_patches(bench, options.rows, options.patches, options.patch_fraction)
        patch_s = time.perf_counter() - patch_start
        objects = [("sg_meta", object_id) for object_id in [base, *patches]]
        rebuild_sg, rebuild_raw = [], []
        for _ in range(options.repeat):
            rebuild_raw.append(
                bench.rebuild(lambda: bench.run("INSERT INTO rebuilt SELECT * FROM t"))
            )
            rebuild_sg.append(
                bench.rebuild(lambda: engine.apply_fragments(objects, "public", "rebuilt"))
            )
        differ = bench.differences("t", "rebuilt")
        engine.close()

    report(options, dump_bytes, raw_size, dump_sg, dump_raw, load_sg, load_raw,
           rebuild_sg, rebuild_raw, dump_mem, load_mem, patch_s, differ)  # fmt: skip


def report(
    options: argparse.Namespace,
    dump_bytes: int,
    raw_size: int,
    dump_sg: list[float],
    dump_raw: list[float],
    load_sg: list[float],
    load_raw: list[float],
    rebuild_sg: list[float],
    rebuild_raw: list[float],
    dump_mem: tuple[int, int | None, int | None],
    load_mem: tuple[int, int | None, int | None],
    patch_s: float,
    differ: int,
) -> None:
    mib = 1 << 20
    print(f"object dump: {dump_bytes / mib:.1f} MiB ({dump_bytes - raw_size} bytes of header)")
    print(f"patches: {options.patches} x {options.patch_fraction:.0%} stored in {patch_s:.1f}s")
    print()
    rows = [
        ("dump vs raw COPY TO (throughput)", best(dump_raw) / best(dump_sg), ">= 0.9",
         best(dump_raw) / best(dump_sg) >= 0.9, dump_sg, dump_raw),
        ("verified load vs raw COPY FROM (throughput)", best(load_raw) / best(load_sg), ">= 0.7",
         best(load_raw) / best(load_sg) >= 0.7, load_sg, load_raw),
        ("rebuild base + patches vs INSERT SELECT (time)", best(rebuild_sg) / best(rebuild_raw),
         "<= 1.5", best(rebuild_sg) / best(rebuild_raw) <= 1.5, rebuild_sg, rebuild_raw),
    ]  # fmt: skip
    print(f"{'measure':48} {'ratio':>6} {'target':>7}      {'sg (s)':>8} {'baseline (s)':>12}")
    for name, ratio, target, met, ours, theirs in rows:
        mark = "met" if met else "MISSED"
        print(
            f"{name:48} {ratio:6.2f} {target:>7} {mark:>6} {best(ours):8.2f} {best(theirs):12.2f}"
        )
    print(
        "  (best of "
        f"{options.repeat}; medians: dump {statistics.median(dump_sg):.2f}/"
        f"{statistics.median(dump_raw):.2f}, load {statistics.median(load_sg):.2f}/"
        f"{statistics.median(load_raw):.2f}, rebuild {statistics.median(rebuild_sg):.2f}/"
        f"{statistics.median(rebuild_raw):.2f})"
    )
    print()
    for name, (traced, peak, growth) in (("dump", dump_mem), ("load", load_mem)):
        rss = "n/a" if peak is None else f"{peak / 1024:.0f} MiB (+{(growth or 0) / 1024:.1f} MiB)"
        print(
            f"peak client memory during {name}: {traced / mib:.1f} MiB Python allocations"
            f" (tracemalloc); process peak RSS {rss}; object is {dump_bytes / mib:.1f} MiB"
        )
    print(f"rebuilt table equals the live table: {'yes' if differ == 0 else f'NO ({differ})'}")
    if os.environ.get("SG_BENCH_STRICT") and not all(r[3] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
