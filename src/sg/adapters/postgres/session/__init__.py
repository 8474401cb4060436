"""The SQL port over psycopg: connections, the runner, pinned session settings, errors."""
