"""`make demo`: a scripted tour of the real `sg` command against two embedded engines.

It versions a schema of 5,000 orders, changes and commits it with messages, reads the log
and the diffs, tags a version, pushes the history to a second engine and checks versions
out there. Every step prints the command it runs and its output. The tour ends by checking
that each version checked out on the second engine equals the same version on the first,
and exits non-zero if not.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SG = str(Path(sys.executable).with_name("sg"))

CREATE = """
CREATE SCHEMA IF NOT EXISTS shop;
CREATE TABLE shop.orders (
    id         int PRIMARY KEY,
    customer   text NOT NULL,
    amount     numeric(10, 2) NOT NULL,
    placed_at  timestamptz NOT NULL,
    tags       text[],
    details    jsonb,
    shipped    boolean NOT NULL DEFAULT false
);
INSERT INTO shop.orders
SELECT g,
       (ARRAY['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra',
              'Barbara Liskov', 'Donald Knuth', 'Frances Allen'])[1 + g % 7],
       round((5 + (g * 7919 % 50000) / 100.0)::numeric, 2),
       timestamptz '2026-01-01 09:00+00' + g * interval '37 minutes',
       ARRAY['web', (ARRAY['gift', 'express', 'bulk'])[1 + g % 3]],
       jsonb_build_object('items', 1 + g % 5, 'note', CASE WHEN g % 11 = 0 THEN 'fragile' END),
       g % 4 = 0
FROM generate_series(1, 5000) AS g;
"""

FIRST_CHANGE = """
UPDATE shop.orders SET shipped = true WHERE id % 10 = 1;
DELETE FROM shop.orders WHERE id BETWEEN 4990 AND 5000;
INSERT INTO shop.orders VALUES
    (5001, 'Katherine Johnson', 42.00, now(), ARRAY['phone'], '{"items": 2}', false),
    (5002, 'Margaret Hamilton', 99.95, now(), NULL, NULL, false);
"""

SECOND_CHANGE = """
UPDATE shop.orders SET amount = amount * 1.1, details = details || '{"discounted": true}'
 WHERE customer = 'Ada Lovelace' AND NOT shipped;
UPDATE shop.orders SET id = id + 10000 WHERE id BETWEEN 100 AND 104;
DELETE FROM shop.orders WHERE customer = 'Frances Allen' AND id < 500;
"""

CHECKSUM = "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} t"


def step(title: str) -> None:
    """Print a step heading."""
    print(f"\n== {title}", flush=True)


def sg(*args: str, capture: bool = False) -> str:
    """Run the real `sg` command, echoing it; stop the tour on failure."""
    print(f"$ sg {' '.join(shlex.quote(a) for a in args)}", flush=True)
    result = subprocess.run([SG, *args], capture_output=True, text=True, check=False)
    if result.stdout and not capture:
        print(result.stdout.rstrip())
    if result.stderr:
        print(result.stderr.rstrip(), file=sys.stderr)
    if result.returncode != 0:
        raise SystemExit(f"tour failed: sg {' '.join(args)} exited {result.returncode}")
    return result.stdout.strip()


def checksum(engine: str, table: str) -> list[object]:
    """Row count and a digest of every row, in key order, on `engine`."""
    rows = json.loads(
        sg("--engine", engine, "sql", "--json", CHECKSUM.format(table=table), capture=True)
    )
    return list(rows[0].values())


def same(label: str, first: tuple[str, str], second: tuple[str, str]) -> None:
    """Compare a table on two engines; stop the tour when they differ."""
    one, two = checksum(*first), checksum(*second)
    print(f"{label}\n  {first[0]:8} {first[1]:24} {one}\n  {second[0]:8} {second[1]:24} {two}")
    if one != two:
        raise SystemExit(f"tour failed: {first} differs from {second}")


def tour() -> None:
    """The scripted steps."""
    step("start two embedded engines")
    sg("engine", "start")
    sg("engine", "start", "other")
    step("create a schema with a table of 5,000 orders and start versioning it")
    sg("sql", CREATE)
    sg("init", "shop", "-m", "5,000 orders")
    step("change it: ship some orders, cancel a few, take two new ones")
    sg("sql", FIRST_CHANGE)
    sg("status", "shop")
    sg("diff", "shop", "--limit", "3")
    step("commit the change as a version, and tag it")
    sg("commit", "shop", "-m", "ship, cancel, two new orders")
    sg("tag", "shop", "latest", "shipped")
    step("change again (including key changes) and commit")
    sg("sql", SECOND_CHANGE)
    sg("diff", "shop", "--stat")
    sg("commit", "shop", "-m", "discounts; renumber five orders")
    step("the history, and what changed since the tag")
    sg("log", "shop")
    sg("diff", "shop", "shipped", "latest", "--stat")
    sg("show", "shop@shipped")
    step("push the history to the other engine (versions, tags and the objects they need)")
    sg("push", "shop", "--to", "other")
    sg("--engine", "other", "log", "shop")
    step("check out the tagged version on the other engine, and the latest beside it")
    sg("--engine", "other", "checkout", "shop@shipped")
    sg("--engine", "other", "checkout", "shop@latest", "--into", "shop_latest")
    step("compare with the first engine")
    sg("checkout", "shop@shipped", "--into", "shop_shipped")
    same("version 'shipped':", ("default", "shop_shipped.orders"), ("other", "shop.orders"))
    same("latest version:", ("default", "shop.orders"), ("other", "shop_latest.orders"))
    print("identical: both versions checked out on the other engine equal the first engine's")


def main() -> None:
    """Run the tour in a throwaway data directory and stop its engines afterwards."""
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="sg-demo-"))
    workdir.chmod(0o755)  # our own folder: the embedded server's user must enter it
    os.environ["SG_DATA_DIR"] = str(workdir / "data")
    (workdir / "config.toml").write_text("")  # no remotes: only the embedded engines
    os.environ["SG_CONFIG"] = str(workdir / "config.toml")
    for key in [k for k in os.environ if k.startswith("SG_ENGINE_")]:
        del os.environ[key]
    try:
        tour()
    finally:
        for name in ("default", "other"):
            subprocess.run([SG, "--quiet", "engine", "stop", name], check=False)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\ntour finished in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
