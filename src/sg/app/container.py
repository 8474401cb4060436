"""The composition root: binds every port to its adapter with dependency-injector."""

from __future__ import annotations

from dependency_injector import containers, providers

from sg.adapters.fdw.transport import FdwTransport
from sg.adapters.postgres.capture.change_capture import PostgresChangeCapture
from sg.adapters.postgres.catalog.admin import PostgresDatabaseAdmin
from sg.adapters.postgres.catalog.catalog import PostgresCatalog
from sg.adapters.postgres.catalog.schema_installer import PostgresSchemaInstaller
from sg.adapters.postgres.catalog.sql_dump import PostgresTableSqlDumper
from sg.adapters.postgres.objects.copy_codec import CopyObjectCodec
from sg.adapters.postgres.objects.fragments import PostgresFragmentStore
from sg.adapters.postgres.objects.registry import PostgresObjectRegistry
from sg.adapters.postgres.session.sql_runner import PsycopgSqlRunner
from sg.adapters.postgres.transfer.copy_transport import CopyStreamTransport
from sg.adapters.postgres.versions.table_shapes import PostgresTableShapes
from sg.adapters.postgres.versions.version_store import PostgresVersionStore
from sg.app.transfer_settings import transport_kind
from sg.domain.services.change_tracking import ChangeTracking
from sg.domain.services.commits import ChangeCommitter
from sg.domain.services.objects import ObjectService
from sg.domain.services.transfer import ObjectTransfer
from sg.domain.services.versions import VersionService
from sg.ports.admin import DatabaseAdmin, SchemaInstaller
from sg.ports.capture import ChangeCapture
from sg.ports.catalog import Catalog
from sg.ports.codec import ObjectCodec
from sg.ports.fragments import FragmentStore
from sg.ports.progress import SilentProgress, TransferProgress
from sg.ports.registry import ObjectRegistry
from sg.ports.sql import SqlRunner
from sg.ports.sql_dump import TableSqlDumper
from sg.ports.transport import ObjectTransport
from sg.ports.versions import TableShapes, VersionStore


class Container(containers.DeclarativeContainer):
    """Factories for each port; an engine facade calls them with its own parameters.

    Providers are typed with the port they provide, so an override built as
    `providers.Factory[SqlRunner](FakeSqlRunner)` is checked by mypy.
    """

    sql_runner: providers.Factory[SqlRunner] = providers.Factory(PsycopgSqlRunner)
    catalog: providers.Factory[Catalog] = providers.Factory(PostgresCatalog)
    database_admin: providers.Factory[DatabaseAdmin] = providers.Factory(PostgresDatabaseAdmin)
    schema_installer: providers.Factory[SchemaInstaller] = providers.Factory(
        PostgresSchemaInstaller
    )
    table_sql_dumper: providers.Factory[TableSqlDumper] = providers.Factory(PostgresTableSqlDumper)
    fragment_store: providers.Factory[FragmentStore] = providers.Factory(PostgresFragmentStore)
    object_registry: providers.Factory[ObjectRegistry] = providers.Factory(PostgresObjectRegistry)
    object_codec: providers.Factory[ObjectCodec] = providers.Factory(CopyObjectCodec)
    object_service: providers.Factory[ObjectService] = providers.Factory(ObjectService)
    change_capture: providers.Factory[ChangeCapture] = providers.Factory(PostgresChangeCapture)
    change_tracking: providers.Factory[ChangeTracking] = providers.Factory(ChangeTracking)
    change_committer: providers.Factory[ChangeCommitter] = providers.Factory(ChangeCommitter)
    # Called with a `TransferRoute`; `SG_TRANSPORT` picks the adapter at each call.
    object_transport: providers.Provider[ObjectTransport] = providers.Selector(
        transport_kind,
        copy=providers.Factory(CopyStreamTransport),
        fdw=providers.Factory(FdwTransport),
    )
    transfer_progress: providers.Factory[TransferProgress] = providers.Factory(SilentProgress)
    object_transfer: providers.Factory[ObjectTransfer] = providers.Factory(ObjectTransfer)
    version_store: providers.Factory[VersionStore] = providers.Factory(PostgresVersionStore)
    table_shapes: providers.Factory[TableShapes] = providers.Factory(PostgresTableShapes)
    version_service: providers.Factory[VersionService] = providers.Factory(VersionService)


container = Container()
"""The process-wide container the facades use unless they are given another."""
