"""Pure domain: values, rules, errors and services (no I/O, no psycopg)."""
