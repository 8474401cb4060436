"""`sg track`, `untrack`, `tracked`, `status`, `diff`, `discard` and `commit`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from sg.app.cli.names import parse_schema_or_table, parse_table
from sg.app.cli.progress import spinner
from sg.app.cli.session import session_of
from sg.app.object_engine import PostgresEngine
from sg.domain.model import Change, ChangeKind, TableRef

_SIGNS = {
    ChangeKind.INSERT: ("+", "green"),
    ChangeKind.DELETE: ("-", "red"),
    ChangeKind.UPDATE: ("~", "yellow"),
}
TablesArg = Annotated[list[str], typer.Argument(help="SCHEMA.TABLE names.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def track(ctx: typer.Context, tables: TablesArg) -> None:
    """Start tracking changes to tables (tracking twice is harmless).

    Example: sg track shop.orders shop.customers
    """
    _for_tables(ctx, tables, PostgresEngine.track_tables, "tracking")


def untrack(ctx: typer.Context, tables: TablesArg) -> None:
    """Stop tracking tables and discard their pending changes.

    Example: sg untrack shop.orders
    """
    _for_tables(ctx, tables, PostgresEngine.untrack_tables, "no longer tracking")


def _for_tables(
    ctx: typer.Context,
    tables: list[str],
    action: Callable[[PostgresEngine, list[TableRef]], None],
    done: str,
) -> None:
    session = session_of(ctx)
    engine = session.engine()
    refs = [parse_table(t) for t in tables]
    action(engine, refs)
    engine.commit()
    session.say(f"{done} {', '.join(str(r) for r in refs)}")


def tracked(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List tracked tables.

    Example: sg tracked --json
    """
    session = session_of(ctx)
    tables = session.engine().get_tracked_tables()
    if as_json:
        session.emit_json([{"schema": s, "table": t} for s, t in tables])
    elif not tables:
        session.say("no tracked tables (sg track SCHEMA.TABLE)")
    else:
        for schema, table in tables:
            typer.echo(f"{schema}.{table}")


def status(
    ctx: typer.Context,
    schema: Annotated[str | None, typer.Argument(help="Only this schema.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show tracked tables with net rows added, removed and updated since the last commit.

    Example: sg status; sg status shop --json
    """
    session = session_of(ctx)
    engine = session.engine()
    rows = []
    for table_schema, table in engine.get_tracked_tables():
        if schema is None or table_schema == schema:
            added, removed, updated = engine.get_pending_changes(table_schema, table, True)
            rows.append(
                {
                    "schema": table_schema,
                    "table": table,
                    "added": added,
                    "removed": removed,
                    "updated": updated,
                }
            )
    engine.rollback()
    if as_json:
        session.emit_json(rows)
        return
    if not rows:
        session.say("no tracked tables" + (f" in {schema}" if schema else ""))
        return
    listing = Table("table", "added", "removed", "updated")
    for row in rows:
        changed = row["added"] or row["removed"] or row["updated"]
        listing.add_row(
            f"{row['schema']}.{row['table']}",
            str(row["added"]),
            str(row["removed"]),
            str(row["updated"]),
            style=None if changed else "dim",
        )
    session.out.print(listing)


def diff(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help="A tracked SCHEMA.TABLE.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Changed keys to show.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show a tracked table's net pending changes in key order.

    Example: sg diff shop.orders --limit 10
    """
    session = session_of(ctx)
    engine = session.engine()
    ref = parse_table(table)
    changes = engine.first_pending_changes(ref.schema, ref.table, limit)
    engine.rollback()
    if as_json:
        session.emit_json([_change_json(c) for c in changes])
        return
    if not changes:
        session.say(f"no pending changes in {ref}")
        return
    for change in changes:
        sign, style = _SIGNS[change.change_type]
        data = ", ".join(f"{k}={v!r}" for k, v in change.change_data.items())
        key = ", ".join(repr(v) for v in change.primary_key)
        session.out.print(Text(sign, style=style).append(f" ({key}) {data}", style=None))


def discard(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="SCHEMA (every tracked table) or SCHEMA.TABLE.")],
) -> None:
    """Forget pending changes (the tables keep their current rows).

    Example: sg discard shop; sg discard shop.orders
    """
    session = session_of(ctx)
    engine = session.engine()
    schema, table = parse_schema_or_table(target)
    engine.discard_pending_changes(schema, table)
    engine.commit()
    session.say(f"discarded pending changes of {target}")


def commit(ctx: typer.Context, table: Annotated[str, typer.Argument(help="SCHEMA.TABLE")]) -> None:
    """Store a tracked table's net pending changes as one object and print its id.

    Prints nothing (and says so on stderr) when there is no net change.
    Example: sg commit shop.orders
    """
    session = session_of(ctx)
    engine = session.engine()
    ref = parse_table(table)
    with spinner(session, f"committing {ref}"):
        object_id = engine.commit_changes(*ref)
        engine.commit()
    if object_id is None:
        session.say(f"nothing to commit in {ref}")
    else:
        typer.echo(object_id)


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "key": list(change.primary_key),
        "kind": change.change_type.name,
        "data": change.change_data,
    }
