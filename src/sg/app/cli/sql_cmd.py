"""`sg sql`: run one statement on the engine (handy for scripts and the demo)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sg.app.cli.session import session_of
from sg.domain.model import ResultShape


def sql(
    ctx: typer.Context,
    statement: Annotated[str, typer.Argument(help="The SQL statement to run.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON.")] = False,
) -> None:
    """Run a SQL statement on the engine and print its rows (committed on success).

    Example: sg sql "CREATE TABLE t (id int PRIMARY KEY, v text)"; sg sql --json "SELECT * FROM t"
    """
    session = session_of(ctx)
    engine = session.engine()
    cursor_rows = engine.run_sql(statement, return_shape=ResultShape.MANY_MANY)
    engine.commit()
    if cursor_rows is None:
        session.say("ok")
        return
    if as_json:
        session.emit_json([list(row) for row in cursor_rows])
        return
    table = Table(show_header=False)
    for row in cursor_rows:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    session.out.print(table)
