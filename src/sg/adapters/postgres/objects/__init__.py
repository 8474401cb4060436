"""The fragment-store, object-registry and object-codec ports over PostgreSQL."""
