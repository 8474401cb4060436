"""`sg sql`: run SQL on the engine and print every statement's result the psql way."""

from __future__ import annotations

from typing import Annotated

import typer

from sg.app.cli.options import QuietOpt
from sg.app.cli.session import session_of


def sql(
    ctx: typer.Context,
    statement: Annotated[
        str, typer.Argument(metavar="SQL", help="One or more statements, separated by ';'.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Rows as JSON objects keyed by column name.")
    ] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Rows as CSV with a header line.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Run SQL (committed) and print every statement's result.

    Queries print as psql-style tables in PostgreSQL's text forms (NULL shown as NULL);
    other statements print their command tag (e.g. INSERT 0 2) on stderr.
    With several queries, --json and --csv print one document per query.

    Example: sg sql "CREATE TABLE t (id int PRIMARY KEY, v text)"; sg sql --json "TABLE t"
    """
    from sg.app.cli.result_format import as_csv as render_csv
    from sg.app.cli.result_format import as_json as render_json
    from sg.app.cli.result_format import as_table
    from sg.app.cli.text_results import run_as_text

    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv")
    session = session_of(ctx, quiet)
    engine = session.engine()
    results = run_as_text(engine, statement)
    engine.commit()
    render = render_json if as_json else render_csv if as_csv else as_table
    for result in results:
        if result.columns is None:
            session.say(result.status)
        else:
            session.emit(render(result))
