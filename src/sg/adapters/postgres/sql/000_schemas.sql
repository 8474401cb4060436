-- sg's own schemas: objects and their registry live in sg_meta, the change log in sg_audit.
CREATE SCHEMA IF NOT EXISTS sg_meta;
CREATE SCHEMA IF NOT EXISTS sg_audit;
