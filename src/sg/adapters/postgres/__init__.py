"""psycopg 3 adapters: SQL runner, catalog, admin, schema installer, SQL dumps, provisioning."""
