"""The version-store and table-shapes ports over PostgreSQL."""
