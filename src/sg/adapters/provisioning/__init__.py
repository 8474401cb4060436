"""Local PostgreSQL clusters from initdb and pg_ctl, for the tests and the embedded engine."""
