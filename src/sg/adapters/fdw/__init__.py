"""postgres_fdw transport between engines."""
