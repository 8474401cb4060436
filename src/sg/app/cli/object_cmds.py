"""`sg snapshot`, `sg objects`, `sg checkout`, `sg dump`, `sg load`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from sg.app.cli.errors import usage_error
from sg.app.cli.names import parse_table, show_table
from sg.app.cli.options import JsonOpt, QuietOpt, TableArg
from sg.app.cli.progress import CountingStream, byte_progress, spinner
from sg.app.cli.session import session_of
from sg.domain.errors import ObjectNotFoundError, ObjectSchemaMismatchError

if TYPE_CHECKING:
    from sg.app.facades.object_engine import PostgresEngine
    from sg.domain.dump_header import DumpHeader
    from sg.domain.model import TableRef
    from sg.domain.object_record import ObjectRecord

_OBJECT_SCHEMA = "sg_meta"
_CHECK_SCHEMA = "sg_load_check"  # a dump of an object already here is loaded, checked, undone


def snapshot(ctx: typer.Context, table: TableArg, quiet: QuietOpt = False) -> None:
    """Store the whole table as one object and print its id.

    Example: sg snapshot shop.orders
    """
    session = session_of(ctx, quiet)
    engine = session.engine()
    ref = parse_table(table)
    with spinner(session, f"snapshotting {show_table(ref)}"):
        object_id = engine.snapshot_table(*ref)
        engine.commit()
    session.emit(object_id)


def objects(ctx: typer.Context, as_json: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """List objects: id, rows upserted/deleted, columns, created.

    Example: sg objects --json
    """
    session = session_of(ctx, quiet)
    engine = session.engine()
    records = [engine.describe_object(object_id) for object_id in engine.list_objects()]
    records.sort(key=lambda r: (r.created_at is None, r.created_at, r.object_id))
    if as_json:
        session.emit_json([_object_json(r) for r in records])
        return
    if not records:
        session.say("no objects yet (sg snapshot / sg commit create them)")
        return
    from sg.app.cli.result_format import plain_table

    rows: list[list[Any]] = [
        [
            r.object_id,
            r.rows_upserted,
            r.rows_deleted,
            ", ".join(c.name for c in _user_columns(r)),
            r.created_at.strftime("%Y-%m-%d %H:%M:%S%z") if r.created_at else "",
        ]
        for r in records
    ]
    session.emit(plain_table(["object", "upserted", "deleted", "columns", "created"], rows))


def checkout(
    ctx: typer.Context,
    targets: Annotated[
        list[str],
        typer.Argument(
            metavar="SCHEMA@VERSION|OBJECT...",
            help="A version of a schema (latest, a tag, an id or its prefix; SCHEMA alone"
            " means latest), or object ids of one table, applied in this order.",
        ),
    ],
    into: Annotated[
        str | None,
        typer.Option(
            "--into",
            metavar="SCHEMA|SCHEMA.TABLE",
            help="A version: build it in this other schema. Objects: the table to build or"
            " update (required).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", "-f", help="A version in place: discard pending changes."),
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Check out a version of a schema, or apply objects to one table.

    sg checkout SCHEMA@VERSION makes the schema's tables equal that version (refused over
    pending changes unless --force); with --into OTHER it builds copies in schema OTHER.
    sg checkout OBJECT... --into SCHEMA.TABLE applies the objects (creating the table).

    Example: sg checkout shop@v1; sg checkout shop@release --into shop_then;
    sg checkout o1a2… o3b4… --into shop.orders_copy
    """
    from sg.app.cli.names import is_object_id

    session = session_of(ctx, quiet)
    if not all(is_object_id(t) for t in targets):
        if len(targets) != 1:
            usage_error(
                ctx, "give one SCHEMA@VERSION, or object ids only (OBJECT... --into SCHEMA.TABLE)"
            )
        from sg.app.cli.history_cmds import checkout_schema

        checkout_schema(session, targets[0], force, into)
        return
    if into is None:
        usage_error(ctx, "objects need a table: sg checkout OBJECT... --into SCHEMA.TABLE")
    if force:
        usage_error(ctx, "--force is for a version: sg checkout SCHEMA@VERSION --force")
    object_ids = targets
    engine = session.engine()
    target = parse_table(into)
    records = [engine.describe_object(o) for o in object_ids]
    _require_one_schema(records)
    if records and engine.table_exists(*target):
        _require_matching_table(engine, target, records[0])
    with spinner(session, f"applying {len(object_ids)} object(s) to {show_table(target)}"):
        created = engine.checkout_objects(object_ids, *target)
        engine.commit()
    session.say(
        f"{'created' if created else 'updated'} {show_table(target)}"
        f" from {len(object_ids)} object(s)"
    )


def dump(
    ctx: typer.Context,
    object_id: Annotated[str, typer.Argument(metavar="OBJECT", help="The object to dump.")],
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FILE", help="File to write; - for stdout.")
    ],
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite FILE.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Write an object as a small header, then PostgreSQL binary COPY.

    The file appears only when the whole dump is written.

    Example: sg dump o1a2… -o orders.sgdump; sg dump o1a2… -o - | ssh host sg load -
    """
    from sg.app.cli.files import check_output, output_stream
    from sg.domain.object_id import ObjectId

    session = session_of(ctx, quiet)
    checked = ObjectId(object_id)
    check_output(output, force)
    engine = session.engine()
    engine.describe_object(checked)
    with (
        output_stream(output) as raw,
        byte_progress(session, f"dumping {checked[:12]}…", None) as advance,
    ):
        engine.dump_object(_OBJECT_SCHEMA, checked, cast("Any", CountingStream(raw, advance)))
    engine.rollback()
    if output != "-":
        from pathlib import Path

        session.say(f"wrote {output} ({human_size(Path(output).stat().st_size)})")


def load(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="A file written by sg dump; - for stdin.")
    ],
    as_table: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="SCHEMA.TABLE",
            help="Load into this new table instead, as the object's fragment: its rows plus"
            " the sg_ud_flag column (false marks a deleted key), not registered as an object.",
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Load a dump, verified against its id, and print the id.

    A dump of an object the engine already holds is checked all the same, then kept once.

    Example: sg load orders.sgdump; sg load - < orders.sgdump; sg load x.sgdump --as s.t
    """
    from sg.app.cli.files import RecordingStream, ReplayStream, input_size, input_stream
    from sg.domain.dump_header import read_header

    session = session_of(ctx, quiet)
    target = parse_table(as_table) if as_table else None
    with input_stream(file) as raw:
        recorder = RecordingStream(raw)
        header = read_header(cast("Any", recorder))
        engine = session.engine()
        stream = ReplayStream(bytes(recorder.seen), raw)
        label = f"loading {'stdin' if file == '-' else file}"
        with byte_progress(session, label, input_size(file)) as advance:
            counted = cast("Any", CountingStream(cast("Any", stream), advance))
            outcome = _load(engine, header, counted, target)
    session.say(outcome)
    if target is None:
        session.emit(header.object_id)


def _load(engine: PostgresEngine, header: DumpHeader, stream: Any, target: TableRef | None) -> str:
    rows = f"{header.rows} row{'' if header.rows == 1 else 's'}"
    if target is not None:
        engine.create_schema(target.schema)
        engine.load_object(target.schema, target.table, stream)
        engine.commit()
        return f"loaded {header.object_id} ({rows}) as {show_table(target)}"
    if _has_object(engine, header.object_id):
        engine.create_schema(_CHECK_SCHEMA)
        engine.load_object(_CHECK_SCHEMA, header.object_id, stream)
        engine.rollback()  # the check's copy and schema go; the object was already here
        return f"object {header.object_id} is already here (the file checks out)"
    engine.load_object(_OBJECT_SCHEMA, header.object_id, stream)
    engine.commit()
    return f"loaded {header.object_id} ({rows})"


def human_size(size: int) -> str:
    """Bytes in binary units, as the progress bars show them."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _has_object(engine: PostgresEngine, object_id: str) -> bool:
    try:
        engine.describe_object(object_id)
    except ObjectNotFoundError:
        return False
    return True


def _user_columns(record: ObjectRecord) -> list[Any]:
    from sg.domain.column_schema import FLAG_COLUMN

    return [c for c in record.columns if c.name != FLAG_COLUMN]


def _object_json(record: ObjectRecord) -> dict[str, Any]:
    return {
        "id": record.object_id,
        "rows_upserted": record.rows_upserted,
        "rows_deleted": record.rows_deleted,
        "created": record.created_at.isoformat() if record.created_at else None,
        "columns": [c.name for c in _user_columns(record)],
    }


def _require_one_schema(records: list[ObjectRecord]) -> None:
    """Objects applied together must come from one table: same column names and types."""
    if not records:
        return
    first = records[0]
    for other in records[1:]:
        if _shape(other) != _shape(first):
            raise ObjectSchemaMismatchError(
                f"objects {first.object_id[:12]}… ({_describe_columns(first)}) and"
                f" {other.object_id[:12]}… ({_describe_columns(other)}) have different columns;"
                " check out objects of one table only"
            )


def _shape(record: ObjectRecord) -> list[tuple[str, str]]:
    return [(c.name, c.type) for c in _user_columns(record)]


def _describe_columns(record: ObjectRecord) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in _shape(record))


_TABLE_COLUMNS = (
    "SELECT a.attname FROM pg_catalog.pg_attribute a"
    " JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid"
    " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
    " WHERE n.nspname OPERATOR(pg_catalog.=) %s AND c.relname OPERATOR(pg_catalog.=) %s"
    " AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped ORDER BY a.attnum"
)


def _require_matching_table(engine: PostgresEngine, target: TableRef, record: ObjectRecord) -> None:
    """An existing target must have the objects' columns, or applying them fails obscurely."""
    from sg.domain.model import ResultShape

    have = engine.run_sql(_TABLE_COLUMNS, (target.schema, target.table), ResultShape.MANY_ONE)
    want = [c.name for c in _user_columns(record)]
    if list(have) != want:
        raise ObjectSchemaMismatchError(
            f"table {show_table(target)} has columns ({', '.join(have)}) but the objects have"
            f" ({', '.join(want)}); check out into a new table instead"
        )
