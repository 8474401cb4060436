"""`sg log`, `show`, `tag`, `gc`, `clone`, and the schema forms of init, commit, checkout and diff.

The plumbing commands `init`, `commit`, `checkout`, `diff`, `push` and `pull` call the
`*_schema` functions here when their argument names a schema (a bare name, read the SQL way
by `names`) rather than a table or object ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from sg.app.cli import version_cmds
from sg.app.cli.names import parse_schema, parse_version_target, quote_name
from sg.app.cli.options import JsonOpt, QuietOpt
from sg.app.cli.session import Session, session_of
from sg.domain.model import TableRef

if TYPE_CHECKING:
    from sg.app.facades.object_engine import PostgresEngine
    from sg.domain.model import Change

SchemaArg = Annotated[str, typer.Argument(metavar="SCHEMA", help="A versioned schema.")]


def log(
    ctx: typer.Context,
    schema: SchemaArg,
    table: Annotated[
        str | None, typer.Argument(metavar="TABLE", help="Only versions that changed it.")
    ] = None,
    as_json: JsonOpt = False,
    stat: Annotated[bool, typer.Option("--stat", help="Bytes each version added.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """A versioned schema's versions, newest first, one line each.

    Lines read `ID DATE TIME AUTHOR: MESSAGE (TAGS)`; ids are shown by their first 12 digits,
    which name the version anywhere a version is asked for.

    Example: sg log shop; sg log shop orders --json
    """
    session = session_of(ctx, quiet)
    engine = session.engine()
    name = parse_schema(schema)
    only = parse_schema(table) if table is not None else None
    lines: list[str] = []  # one write for all: a long history prints in one go
    version_cmds.log(engine, name, only, as_json=as_json, stat=stat, echo=lines.append)
    session.emit("\n".join(lines))


def show(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            metavar="SCHEMA[@VERSION]", help="A version: latest, a tag, an id or its prefix."
        ),
    ],
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """One version: its tables, objects, counts, size and message.

    Example: sg show shop@release; sg show shop (the latest version)
    """
    session = session_of(ctx, quiet)
    schema, version = parse_version_target(target)
    version_cmds.show(session.engine(), schema, version, as_json=as_json, echo=session.emit)


def tag(
    ctx: typer.Context,
    schema: SchemaArg,
    version: Annotated[
        str, typer.Argument(metavar="VERSION", help="latest, a tag, an id or its prefix.")
    ],
    name: Annotated[str, typer.Argument(metavar="NAME", help="The tag (moved if it exists).")],
    quiet: QuietOpt = False,
) -> None:
    """Name a version; `latest` always names the newest.

    Example: sg tag shop latest release; sg tag shop 1a2b3c4d v1
    """
    session = session_of(ctx, quiet)
    version_cmds.tag(session.engine(), parse_schema(schema), version, name, echo=session.say)


def gc(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be removed.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Remove objects no version needs; say how much space that freed.

    Objects a version needs are never removed.

    Example: sg gc --dry-run; sg gc
    """
    session = session_of(ctx, quiet)
    version_cmds.gc(session.engine(), dry_run=dry_run, echo=session.say)


def clone(
    ctx: typer.Context,
    remote: Annotated[
        str, typer.Argument(metavar="ENGINE", help="A remote (config file) or embedded engine.")
    ],
    schema: Annotated[str, typer.Argument(metavar="SCHEMA", help="The schema to copy.")],
    local: Annotated[
        str | None, typer.Argument(metavar="LOCAL_SCHEMA", help="Name here (default: SCHEMA).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Copy a schema's history from another engine; check out its latest.

    Example: sg clone warehouse shop; sg clone warehouse shop shop_copy
    """
    session = session_of(ctx, quiet)
    version_cmds.clone(
        session.engine(),
        session.engine(remote),
        parse_schema(schema),
        parse_schema(local) if local is not None else None,
        echo=session.say,
    )


def init_schema(session: Session, schema: str, message: str) -> None:
    """`sg init SCHEMA`: initialize the engine, then version every table of the schema."""
    engine = session.engine()
    engine.initialize()
    engine.commit()
    version = version_cmds.init_versions(engine, schema, message, echo=session.say)
    session.emit(version.version_id)


def commit_schema(session: Session, schema: str, message: str, author: str | None) -> None:
    """`sg commit SCHEMA -m MESSAGE`: a new version; its id on stdout, nothing when unchanged."""
    engine = session.engine()
    with _bare_name_hint(engine, schema, "commit"):
        version = version_cmds.commit_version(engine, schema, message, author, echo=session.say)
    if version is not None:
        session.emit(version.version_id)


def checkout_schema(session: Session, target: str, force: bool, into: str | None) -> None:
    """`sg checkout SCHEMA@VERSION [--force] [--into OTHER]`."""
    version_cmds.checkout_version(
        session.engine(),
        target,
        force=force,
        into=parse_schema(into) if into is not None else None,
        echo=session.say,
    )


def diff_schema(
    session: Session,
    schema: str,
    versions: list[str],
    *,
    stat: bool,
    as_json: bool,
    limit: int | None,
) -> None:
    """`sg diff SCHEMA [VERSION_A [VERSION_B]]`: A defaults to the version checked out."""
    engine = session.engine()
    with _bare_name_hint(engine, schema, "diff"):
        old = versions[0] if versions else _head(engine, schema)
        new = versions[1] if len(versions) > 1 else None
        diffs = version_cmds.diff_versions(
            engine,
            schema,
            old,
            new,
            stat=stat,
            as_json=as_json,
            limit=limit,
            echo=session.emit,
            render=_literals(engine, schema),
        )
    if not as_json and all(d.status == "unchanged" for d in diffs):
        session.say(f"no changes in {quote_name(schema)} from {old[:12]} to {new or 'the tables'}")


def _literals(engine: PostgresEngine, schema: str) -> version_cmds.Render:
    """Changes as SQL literals, typed by the live table; plain text where it cannot type them."""

    def render(table: str, changes: list[Change]) -> list[str]:
        from sg.app.cli.change_text import change_line, change_literals
        from sg.domain.errors import SgError

        ref = TableRef(schema, table)
        try:
            shown = change_literals(engine, ref, changes) if engine.table_exists(*ref) else None
        except SgError:  # the live table's columns no longer fit the version's rows
            shown = None
        if shown is None:
            return version_cmds.plain_lines(changes)
        return [change_line(c, key, data) for c, (key, data) in zip(changes, shown, strict=True)]

    return render


def _head(engine: PostgresEngine, schema: str) -> str:
    """The version the tables were last committed or checked out at; else (pulled) latest."""
    head = engine.versions.head(schema)
    return version_cmds.LATEST if head is None else head.version_id


@contextmanager
def _bare_name_hint(engine: PostgresEngine, schema: str, command: str) -> Iterator[None]:
    """Say "write public.NAME" when a bare name is no versioned schema but a tracked table."""
    from sg.domain.errors import NotVersionedError

    try:
        yield
    except NotVersionedError:
        engine.rollback()
        if ("public", schema) not in [tuple(t) for t in engine.get_tracked_tables()]:
            raise
        name = quote_name(schema)
        raise NotVersionedError(
            f"schema {name} is not versioned (sg init {name}); for the tracked table"
            f" public.{name} write sg {command} public.{name}"
        ) from None
