"""History commands over `VersionedSchema`: init, commit, log, show, tag, checkout, diff, gc,
push, pull and clone of a schema's versions.

Each function takes already parsed arguments and the engine(s) to use, prints through `echo`
and commits its own work when it succeeds; `history_cmds` and the plumbing commands whose
arguments name a schema call them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from sg.app.cli.names import parse_version_target, quote_name

if TYPE_CHECKING:  # the engine brings psycopg and the container: loaded when a command runs
    from sg.app.facades.object_engine import PostgresEngine
    from sg.app.facades.versioned_schema import VersionedSchema
    from sg.domain.model import Change
    from sg.domain.versions import TableDiff, Version
    from sg.ports.progress import TransferProgress

LATEST = "latest"  # sg.domain.versions.LATEST, without loading hashlib at start-up

Echo = Callable[[str], None]
Render: TypeAlias = "Callable[[str, list[Change]], list[str]]"


def _versioned(engine: PostgresEngine, schema: str) -> VersionedSchema:
    from sg.app.facades.versioned_schema import VersionedSchema

    return VersionedSchema(engine, schema)


def _print(line: str) -> None:
    print(line)


def parse_target(target: str) -> tuple[str, str]:
    """`SCHEMA@VERSION` (or `SCHEMA`, meaning latest) as `(schema, version)`."""
    return parse_version_target(target, LATEST)


def _require_history(source: PostgresEngine, schema: str, where: str) -> None:
    """Moving the history of a schema the source has never versioned is a mistake, not a no-op."""
    if not source.versions.log(schema):
        from sg.domain.errors import NotVersionedError

        raise NotVersionedError(
            f"{where} has no versions of schema {quote_name(schema)}"
            " (sg log SCHEMA lists a schema's versions)"
        )


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def init_versions(
    engine: PostgresEngine, schema: str, message: str = "init", echo: Echo = _print
) -> Version:
    """`sg init SCHEMA`: snapshot and track every table of the schema as its first version."""
    version = _versioned(engine, schema).init(message)
    engine.commit()
    echo(
        f"{quote_name(schema)}: versioned {_count(len(version.tables), 'table')}"
        f" as {version.version_id.short}"
    )
    return version


def commit_version(
    engine: PostgresEngine,
    schema: str,
    message: str,
    author: str | None = None,
    echo: Echo = _print,
) -> Version | None:
    """`sg commit SCHEMA -m MESSAGE`: record the schema's tables as a new version."""
    version = _versioned(engine, schema).commit(message, author)
    engine.commit()
    if version is None:
        echo(f"{quote_name(schema)}: nothing to commit")
        return None
    changed = [t for t in version.tables if any(t.counts)]
    echo(f"{version.version_id.short} {message} ({_count(len(changed), 'table')} changed)")
    return version


def log(
    engine: PostgresEngine,
    schema: str,
    table: str | None = None,
    *,
    as_json: bool = False,
    stat: bool = False,
    echo: Echo = _print,
) -> None:
    """`sg log SCHEMA [TABLE] [--json] [--stat]`: versions newest first, one line each."""
    versioned = _versioned(engine, schema)
    versions = versioned.log(table)
    if not versions and (table is None or not versioned.log()):
        from sg.domain.errors import NotVersionedError

        name = quote_name(schema)
        raise NotVersionedError(f"schema {name} has no versions; run sg init {name}")
    tags: dict[str, list[str]] = {}
    for tag in versioned.tags():
        tags.setdefault(tag.version_id, []).append(tag.name)
    sizes = {s.version_id: s for s in versioned.storage()} if stat else {}
    if as_json:
        echo(json.dumps([_version_json(v, tags.get(v.version_id, [])) for v in versions]))
        return
    for version in versions:
        names = ", ".join(tags.get(version.version_id, []))
        when = version.created_at.strftime("%Y-%m-%d %H:%M:%S")
        line = f"{version.version_id.short} {when} {version.author}: {version.message}"
        line += f" ({names})" if names else ""
        if version.version_id in sizes:
            line += f" [{sizes[version.version_id].own_bytes:,} bytes new]"
        echo(line)


def show(
    engine: PostgresEngine,
    schema: str,
    version: str = LATEST,
    *,
    as_json: bool = False,
    echo: Echo = _print,
) -> None:
    """`sg show SCHEMA@VERSION`: the version's tables, objects, counts and message."""
    versioned = _versioned(engine, schema)
    found = versioned.show(version)
    storage = {s.version_id: s for s in versioned.storage()}.get(found.version_id)
    if as_json:
        echo(json.dumps(_version_json(found, [])))
        return
    echo(f"version {found.version_id}")
    echo(f"parent  {found.parent or '-'}")
    echo(f"author  {found.author}")
    echo(f"date    {found.created_at.isoformat()}")
    if storage is not None:
        echo(f"size    {storage.total_bytes:,} bytes ({storage.own_bytes:,} new)")
    echo(f"\n    {found.message}\n")
    for table in found.tables:
        added, removed, updated = table.counts
        echo(f"{table.name}: +{added} -{removed} ~{updated}; {_count(len(table.chain), 'object')}")
        for object_id in table.chain:
            echo(f"    {object_id}")


def tag(engine: PostgresEngine, schema: str, version: str, name: str, echo: Echo = _print) -> None:
    """`sg tag SCHEMA VERSION NAME`: name a version."""
    made = _versioned(engine, schema).tag(version, name)
    engine.commit()
    echo(f"{name} -> {made.version_id.short}")


def checkout_version(
    engine: PostgresEngine,
    target: str,
    *,
    force: bool = False,
    into: str | None = None,
    echo: Echo = _print,
) -> Version:
    """`sg checkout SCHEMA@VERSION [--force] [--into OTHER]`: materialise a version."""
    schema, version = parse_target(target)
    found = _versioned(engine, schema).checkout(version, force=force, into=into)
    engine.commit()
    where = quote_name(into or schema)
    echo(f"{where}: at {found.version_id.short} ({_count(len(found.tables), 'table')})")
    return found


def diff_versions(
    engine: PostgresEngine,
    schema: str,
    old: str,
    new: str | None = None,
    *,
    stat: bool = False,
    as_json: bool = False,
    limit: int | None = None,
    echo: Echo = _print,
    render: Render | None = None,
) -> list[TableDiff]:
    """`sg diff SCHEMA VERSION_A [VERSION_B] [--stat] [--json]`: per-table net changes.

    Unchanged tables are left out of the text. `limit` caps the changes shown per table
    (counts stay whole); `render` turns a table's changes into lines (default: plain text).
    """
    diffs = _versioned(engine, schema).diff(old, new)
    engine.rollback()  # a diff against the live tables may build temporary tables
    if limit is not None:
        diffs = [d._replace(changes=d.changes[:limit]) for d in diffs]
    if as_json:
        echo(
            json.dumps(
                [_diff_json(d, stat) for d in diffs], default=str, indent=2, ensure_ascii=False
            )
        )
        return diffs
    for table_diff in diffs:
        if table_diff.status == "unchanged":
            continue
        added, removed, updated = table_diff.counts
        name = quote_name(table_diff.table)
        echo(f"{name}: {table_diff.status} +{added} -{removed} ~{updated}")
        if not stat:
            for line in (render or _plain_table)(table_diff.table, table_diff.changes):
                echo(f"  {line}")
    return diffs


def _plain_table(table: str, changes: list[Change]) -> list[str]:
    del table
    return plain_lines(changes)


def plain_lines(changes: list[Change]) -> list[str]:
    """Changes as `SIGN (key) column=value, ...` lines, values in plain text."""
    from sg.app.cli.change_text import SIGNS

    return [
        f"{SIGNS[c.change_type]} {_text(c.primary_key)} {_text(c.change_data)}" for c in changes
    ]


def gc(engine: PostgresEngine, *, dry_run: bool = False, echo: Echo = _print) -> int:
    """`sg gc [--dry-run]`: remove objects no version needs; print the bytes freed."""
    versions = engine.versions
    if dry_run:
        garbage = versions.garbage()
        echo(f"would remove {_count(len(garbage), 'object')}, {sum(garbage.values()):,} bytes")
        return sum(garbage.values())
    result = versions.gc()
    engine.commit()
    echo(f"removed {_count(len(result.removed), 'object')}, freed {result.freed_bytes:,} bytes")
    return result.freed_bytes


def push_versions(
    engine: PostgresEngine,
    schema: str,
    remote: PostgresEngine,
    remote_schema: str | None = None,
    echo: Echo = _print,
    progress: TransferProgress | None = None,
) -> None:
    """`sg push SCHEMA --to REMOTE`: send the versions, tags and objects the remote lacks."""
    _require_history(engine, schema, "this engine")
    added = _versioned(engine, schema).push(remote, remote_schema, progress=progress)
    echo(f"pushed {_count(len(added), 'version')} of {quote_name(schema)} to {remote.name}")


def pull_versions(
    engine: PostgresEngine,
    schema: str,
    remote: PostgresEngine,
    remote_schema: str | None = None,
    echo: Echo = _print,
    progress: TransferProgress | None = None,
) -> None:
    """`sg pull SCHEMA --from REMOTE`: fetch the versions, tags and objects this engine lacks."""
    _require_history(remote, remote_schema or schema, remote.name)
    added = _versioned(engine, schema).pull(remote, remote_schema, progress=progress)
    echo(f"pulled {_count(len(added), 'version')} of {quote_name(schema)} from {remote.name}")


def clone(
    engine: PostgresEngine,
    remote: PostgresEngine,
    remote_schema: str,
    schema: str | None = None,
    echo: Echo = _print,
) -> None:
    """`sg clone REMOTE SCHEMA [LOCAL_SCHEMA]`: pull a schema's history and check out latest."""
    from sg.app.facades.versioned_schema import VersionedSchema

    local = VersionedSchema.clone(engine, schema or remote_schema, remote, remote_schema)
    head = local.head()
    echo(f"{quote_name(local.schema)}: cloned, at {head.version_id.short if head else '-'}")


def _version_json(version: Version, tags: list[str]) -> dict[str, Any]:
    return {
        "id": version.version_id,
        "parent": version.parent,
        "created": version.created_at.isoformat(),
        "author": version.author,
        "message": version.message,
        "tags": tags,
        "tables": [
            {
                "name": t.name,
                "objects": list(t.chain),
                "added": t.counts.added,
                "removed": t.counts.removed,
                "updated": t.counts.updated,
            }
            for t in version.tables
        ],
    }


def _diff_json(table_diff: TableDiff, stat: bool) -> dict[str, Any]:
    added, removed, updated = table_diff.counts
    result: dict[str, Any] = {
        "table": table_diff.table,
        "status": table_diff.status,
        "added": added,
        "removed": removed,
        "updated": updated,
    }
    if not stat:
        result["changes"] = [
            {"key": list(c.primary_key), "kind": c.change_type.name, "data": c.change_data}
            for c in table_diff.changes
        ]
    return result


def _text(value: Any) -> str:
    """Values as PostgreSQL would print them: NULL for None, plain text otherwise."""
    if isinstance(value, tuple):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)
