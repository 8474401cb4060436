"""psycopg 3 adapters, grouped by the port they serve; install scripts in `sql/`."""
