"""Catalog, database admin, schema installer and SQL dumps, with the checks they share."""
