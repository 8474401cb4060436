"""The public engine facades, one module each, gathered here."""

from sg.adapters.postgres.session.connection import make_conn
from sg.app.facades.change_engine import AuditTriggerChangeEngine
from sg.app.facades.object_engine import PostgresEngine
from sg.app.facades.sql_engine import PsycopgEngine

__all__ = ["AuditTriggerChangeEngine", "PostgresEngine", "PsycopgEngine", "make_conn"]
