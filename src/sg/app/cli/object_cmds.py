"""`sg snapshot`, `sg objects`, `sg checkout`, `sg dump`, `sg load`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sg.app.cli.names import parse_table
from sg.app.cli.progress import CountingStream, byte_progress, spinner
from sg.app.cli.session import session_of
from sg.app.object_engine import PostgresEngine
from sg.domain.column_schema import FLAG_COLUMN
from sg.domain.dump_header import read_header
from sg.domain.errors import ObjectNotFoundError
from sg.domain.object_id import OBJECT_SCHEMA, ObjectId

TableArg = Annotated[str, typer.Argument(help="SCHEMA.TABLE (a bare name means public).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def snapshot(ctx: typer.Context, table: TableArg) -> None:
    """Store the whole table as one object and print its id.

    Example: sg snapshot shop.orders
    """
    session = session_of(ctx)
    engine = session.engine()
    ref = parse_table(table)
    with spinner(session, f"snapshotting {ref}"):
        object_id = engine.snapshot_table(*ref)
        engine.commit()
    typer.echo(object_id)


def objects(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the engine's objects: id, rows upserted/deleted, size and creation time.

    Example: sg objects --json
    """
    session = session_of(ctx)
    engine = session.engine()
    records = [engine.describe_object(object_id) for object_id in engine.list_objects()]
    records.sort(key=lambda r: (r.created_at is None, r.created_at, r.object_id))
    if as_json:
        session.emit_json(
            [
                {
                    "id": r.object_id,
                    "rows_upserted": r.rows_upserted,
                    "rows_deleted": r.rows_deleted,
                    "size_bytes": r.size_bytes,
                    "created": r.created_at.isoformat() if r.created_at else None,
                    "columns": [c.name for c in r.columns if c.name != FLAG_COLUMN],
                }
                for r in records
            ]
        )
        return
    if not records:
        session.say("no objects yet (sg snapshot / sg commit create them)")
        return
    listing = Table("object", "upserted", "deleted", "size", "created")
    for r in records:
        created = r.created_at.strftime("%Y-%m-%d %H:%M:%S") if r.created_at else ""
        listing.add_row(
            r.object_id, str(r.rows_upserted), str(r.rows_deleted), _size(r.size_bytes), created
        )
    session.out.print(listing)


def checkout(
    ctx: typer.Context,
    object_ids: Annotated[list[str], typer.Argument(help="Object ids, applied in this order.")],
    into: Annotated[str, typer.Option("--into", help="SCHEMA.TABLE to build or update.")],
) -> None:
    """Apply objects in order to a table, creating it from the first object when missing.

    Example: sg checkout o1a2… o3b4… --into shop.orders_copy
    """
    session = session_of(ctx)
    engine = session.engine()
    target = parse_table(into)
    with spinner(session, f"applying {len(object_ids)} object(s) to {target}"):
        created = engine.checkout_objects(object_ids, *target)
        engine.commit()
    session.say(f"{'created' if created else 'updated'} {target} from {len(object_ids)} object(s)")


def dump(
    ctx: typer.Context,
    object_id: Annotated[str, typer.Argument(help="The object to dump.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
) -> None:
    """Write an object to a file: a small header, then PostgreSQL binary COPY.

    Example: sg dump o1a2… -o orders.sgdump
    """
    session = session_of(ctx)
    engine = session.engine()
    checked = ObjectId(object_id)
    size = engine.describe_object(checked).size_bytes
    partial = output.with_name(output.name + ".partial")
    try:
        with (
            partial.open("wb") as raw,
            byte_progress(session, f"dumping {checked[:12]}…", size) as advance,
        ):
            engine.dump_object(OBJECT_SCHEMA, checked, CountingStream(raw, advance))  # type: ignore[arg-type]
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    engine.rollback()
    session.say(f"wrote {output} ({_size(output.stat().st_size)})")


def load(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="A file written by sg dump.", exists=True, dir_okay=False, readable=True
        ),
    ],
    as_table: Annotated[
        str | None, typer.Option("--as", help="Load as SCHEMA.TABLE instead of as an object.")
    ] = None,
) -> None:
    """Load a dump, verified against its id: as an object, or as a plain table with --as.

    Example: sg load orders.sgdump; sg load orders.sgdump --as scratch.orders
    """
    session = session_of(ctx)
    engine = session.engine()
    with file.open("rb") as raw:
        header = read_header(raw)
        raw.seek(0)
        if as_table is None and _has_object(engine, header.object_id):
            session.say(f"object {header.object_id} is already here")
            return
        target = parse_table(as_table) if as_table else None
        with byte_progress(session, f"loading {file.name}", file.stat().st_size) as advance:
            stream = CountingStream(raw, advance)
            if target is None:
                engine.load_object(OBJECT_SCHEMA, header.object_id, stream)  # type: ignore[arg-type]
            else:
                engine.create_schema(target.schema)
                engine.load_object(target.schema, target.table, stream)  # type: ignore[arg-type]
        engine.commit()
    session.say(
        f"loaded {header.object_id} ({header.rows} rows)" + (f" as {target}" if target else "")
    )
    if target is None:
        typer.echo(header.object_id)


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _has_object(engine: PostgresEngine, object_id: str) -> bool:
    try:
        engine.describe_object(object_id)
    except ObjectNotFoundError:
        return False
    return True
