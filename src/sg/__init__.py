"""sg: git-like plumbing for PostgreSQL tables."""

from sg.app.container import Container, container
from sg.app.engine import AuditTriggerChangeEngine, PostgresEngine, PsycopgEngine, make_conn
from sg.domain.errors import (
    ConfigurationError,
    DatabaseError,
    DataValueError,
    DuplicateObjectError,
    EngineConnectionError,
    EngineNotInitializedError,
    IntegrityViolationError,
    InvalidIdentifierError,
    PermissionDeniedError,
    QueryCanceledError,
    SgError,
    SqlSyntaxError,
    TableNotFoundError,
    TransactionConflictError,
    UndefinedObjectError,
)
from sg.domain.model import ChangeKind, ResultShape

__all__ = [
    "AuditTriggerChangeEngine",
    "ChangeKind",
    "ConfigurationError",
    "Container",
    "DataValueError",
    "DatabaseError",
    "DuplicateObjectError",
    "EngineConnectionError",
    "EngineNotInitializedError",
    "IntegrityViolationError",
    "InvalidIdentifierError",
    "PermissionDeniedError",
    "PostgresEngine",
    "PsycopgEngine",
    "QueryCanceledError",
    "ResultShape",
    "SgError",
    "SqlSyntaxError",
    "TableNotFoundError",
    "TransactionConflictError",
    "UndefinedObjectError",
    "container",
    "make_conn",
]
