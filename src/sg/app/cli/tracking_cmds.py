"""`sg track`, `untrack`, `tracked`, `status`, `diff`, `discard`, `compact` and `commit`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sg.app.cli.errors import usage_error
from sg.app.cli.names import (
    parse_schema,
    parse_schema_or_table,
    parse_table,
    quote_name,
    show_table,
)
from sg.app.cli.options import JsonOpt, MessageOpt, QuietOpt, SchemaOrTableArg, TablesArg
from sg.app.cli.progress import spinner
from sg.app.cli.session import session_of
from sg.domain.errors import TableNotTrackedError
from sg.domain.model import Change, TableRef


def track(ctx: typer.Context, tables: TablesArg, quiet: QuietOpt = False) -> None:
    """Start tracking changes to tables (tracking twice is harmless).

    Example: sg track shop.orders shop.customers
    """
    session = session_of(ctx, quiet)
    engine = session.engine()
    refs = [parse_table(t) for t in tables]
    engine.track_tables(refs)
    engine.commit()
    session.say(f"tracking {', '.join(show_table(r) for r in refs)}")


def untrack(ctx: typer.Context, tables: TablesArg, quiet: QuietOpt = False) -> None:
    """Stop tracking tables and discard their pending changes.

    Example: sg untrack shop.orders
    """
    session = session_of(ctx, quiet)
    engine = session.engine()
    refs = [parse_table(t) for t in tables]
    tracked = {TableRef(*t) for t in engine.get_tracked_tables()}
    strangers = [show_table(r) for r in refs if r not in tracked]
    if strangers:
        raise TableNotTrackedError(
            f"{', '.join(strangers)} {'is' if len(strangers) == 1 else 'are'} not tracked"
            " (sg tracked lists the tracked tables); nothing was untracked"
        )
    engine.untrack_tables(refs)
    engine.commit()
    session.say(f"no longer tracking {', '.join(show_table(r) for r in refs)}")


def tracked(ctx: typer.Context, as_json: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """List tracked tables, one per line, quoted where a name needs it.

    Example: sg tracked --json
    """
    session = session_of(ctx, quiet)
    tables = session.engine().get_tracked_tables()
    if as_json:
        session.emit_json([{"schema": s, "table": t} for s, t in tables])
    elif not tables:
        session.say("no tracked tables (sg track SCHEMA.TABLE)")
    else:
        for table in tables:
            session.emit(show_table(table))


def status(
    ctx: typer.Context,
    schema: Annotated[
        str | None, typer.Argument(metavar="SCHEMA", help="Only this schema's tables.")
    ] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Net rows added, removed and updated per tracked table.

    Counts are since the table's last commit (or since tracking began).

    Example: sg status; sg status shop --json
    """
    session = session_of(ctx, quiet)
    engine = session.engine()
    only = parse_schema(schema) if schema is not None else None
    tables = [TableRef(*t) for t in engine.get_tracked_tables() if only in (None, t[0])]
    rows = []
    with spinner(session, "counting pending changes") as note:
        for ref in tables:
            note(f"counting pending changes in {show_table(ref)}")
            added, removed, updated = engine.get_pending_changes(ref.schema, ref.table, True)
            rows.append({**ref._asdict(), "added": added, "removed": removed, "updated": updated})
    engine.rollback()
    if as_json:
        session.emit_json(rows)
    elif not rows:
        session.say("no tracked tables" + (f" in {quote_name(only)}" if only else ""))
    else:
        from sg.app.cli.result_format import plain_table

        session.emit(
            plain_table(
                ["table", "added", "removed", "updated"],
                [
                    [show_table((r["schema"], r["table"])), r["added"], r["removed"], r["updated"]]
                    for r in rows
                ],
            )
        )


def diff(
    ctx: typer.Context,
    target: SchemaOrTableArg,
    versions: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="VERSION_A [VERSION_B]",
            help="With a schema: from VERSION_A (default: the version checked out) to"
            " VERSION_B (default: the live tables).",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            min=1,
            metavar="N",
            help="Changed keys to show (per table; default 50 for a table, all for a schema).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Typed JSON: key, kind and data of each change.")
    ] = False,
    stat: Annotated[
        bool, typer.Option("--stat", help="With a schema: only the counts per table.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Changes between versions of a schema, or a tracked table's pending ones.

    sg diff SCHEMA [VERSION_A [VERSION_B]] (a bare name is a schema) prints per table
    `TABLE: STATUS +added -removed ~updated`, then its changes; versions are latest, a
    tag, an id or its prefix.
    sg diff SCHEMA.TABLE prints the table's pending changes in key order, as SQL literals.

    Lines read `+ (key) col=value, ...` (added), `~` (updated: the new values of the
    changed columns) and `-` (removed: the old row).

    Example: sg diff shop; sg diff shop v1 latest --stat; sg diff shop.orders --limit 10
    """
    session = session_of(ctx, quiet)
    schema, table = parse_schema_or_table(target)
    if table is None:
        from sg.app.cli.history_cmds import diff_schema

        if versions is not None and len(versions) > 2:
            usage_error(ctx, "sg diff SCHEMA takes at most two versions: VERSION_A VERSION_B")
        diff_schema(session, schema, versions or [], stat=stat, as_json=as_json, limit=limit)
        return
    if versions:
        usage_error(ctx, "versions belong to a schema: sg diff SCHEMA VERSION_A [VERSION_B]")
    if stat:
        usage_error(
            ctx, "--stat is for a schema (sg diff SCHEMA --stat); sg status counts a table's"
        )
    ref = TableRef(schema, table)
    limit = 50 if limit is None else limit
    engine = session.engine()
    with spinner(session, f"reading pending changes of {show_table(ref)}"):
        changes = engine.first_pending_changes(ref.schema, ref.table, limit)
        if not as_json:
            from sg.app.cli.change_text import change_literals

            shown = change_literals(engine, ref, changes)
    engine.rollback()
    if as_json:
        session.emit_json([_change_json(c) for c in changes])
        return
    if not changes:
        session.say(f"no pending changes in {show_table(ref)}")
        return
    from sg.app.cli.change_text import change_line

    for change, (key, data) in zip(changes, shown, strict=True):
        session.emit(change_line(change, key, data))


def discard(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            metavar="SCHEMA[.TABLE]", help="A schema (every tracked table in it) or one table."
        ),
    ],
    quiet: QuietOpt = False,
) -> None:
    """Forget pending changes (the tables keep their current rows).

    Example: sg discard shop; sg discard shop.orders
    """
    session = session_of(ctx, quiet)
    engine = session.engine()
    schema, table = parse_schema_or_table(target)
    _tracked_in(engine.get_tracked_tables(), schema, table)
    engine.discard_pending_changes(schema, table)
    engine.commit()
    what = show_table((schema, table)) if table else quote_name(schema)
    session.say(f"discarded pending changes of {what}")


def compact(
    ctx: typer.Context,
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="SCHEMA[.TABLE]",
            help="A schema (every tracked table in it) or one table; default: every one.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Shrink change logs to what the pending changes are resolved from.

    A row written many times since the last commit keeps one log entry; the pending
    changes stay the same. Writers go on meanwhile; a commit of a table waits for its
    compaction. PostgreSQL reuses or returns the freed space at the log's next (auto)vacuum.

    Example: sg compact; sg compact shop.orders
    """
    session = session_of(ctx, quiet)
    engine = session.engine()
    tracked = engine.get_tracked_tables()
    refs = (
        [TableRef(*t) for t in tracked]
        if target is None
        else _tracked_in(tracked, *parse_schema_or_table(target))
    )
    rows = []
    with spinner(session, "compacting change logs") as note:
        for ref in refs:
            note(f"compacting the change log of {show_table(ref)}")
            log = engine.compact_pending_changes(ref.schema, ref.table)[ref.schema, ref.table]
            engine.commit()  # a commit of each table waits only for its own compaction
            rows.append({**ref._asdict(), "entries": log.entries, "removed": log.removed})
    if as_json:
        session.emit_json(rows)
    elif not rows:
        session.say("no tracked tables (sg track SCHEMA.TABLE)")
    else:
        for r in rows:
            session.say(
                f"compacted {show_table((r['schema'], r['table']))}: {r['entries']:,} log"
                f" entries, {r['removed']:,} removed"
            )


def _tracked_in(tracked: list[tuple[str, str]], schema: str, table: str | None) -> list[TableRef]:
    """The tracked tables of `schema` (or just `table` in it); an error when there are none."""
    refs = [TableRef(*t) for t in tracked if t[0] == schema and table in (None, t[1])]
    if refs:
        return refs
    if table is None:
        raise TableNotTrackedError(
            f"no tracked tables in schema {quote_name(schema)}"
            " (sg tracked lists the tracked tables)"
        )
    raise TableNotTrackedError(
        f"{show_table((schema, table))} is not tracked (sg tracked lists the tracked tables)"
    )


def commit(
    ctx: typer.Context,
    target: SchemaOrTableArg,
    message: MessageOpt = None,
    author: Annotated[
        str | None,
        typer.Option("--author", metavar="NAME", help="Who (default: the database role)."),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Commit a schema as a new version (-m), or a table's changes as one object.

    sg commit SCHEMA -m MESSAGE (a bare name is a schema) records every table of the
    versioned schema as one new version and prints its id; -m is required.
    sg commit SCHEMA.TABLE stores the table's net pending changes as one object and prints
    its id.
    Either prints nothing on stdout (and says so on stderr) when nothing changed.

    Example: sg commit shop -m "reprice"; sg commit shop.orders
    """
    session = session_of(ctx, quiet)
    schema, table = parse_schema_or_table(target)
    if table is None:
        if message is None:
            usage_error(
                ctx,
                f"a version needs a message: sg commit {quote_name(schema)} -m MESSAGE"
                " (a table's changes as one object: sg commit SCHEMA.TABLE)",
            )
        from sg.app.cli.history_cmds import commit_schema

        commit_schema(session, schema, message, author)
        return
    if message is not None or author is not None:
        usage_error(ctx, "-m and --author are for a schema's version: sg commit SCHEMA -m MESSAGE")
    engine = session.engine()
    ref = TableRef(schema, table)
    with spinner(session, f"committing {show_table(ref)}"):
        object_id = engine.commit_changes(*ref)
        engine.commit()
    if object_id is None:
        session.say(f"nothing to commit in {show_table(ref)}")
    else:
        session.emit(object_id)


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "key": list(change.primary_key),
        "kind": change.change_type.name,
        "data": change.change_data,
    }
