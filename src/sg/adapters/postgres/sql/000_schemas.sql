-- sg's own schemas: objects and their registry live in sg_meta, the change log in sg_audit.
CREATE SCHEMA IF NOT EXISTS sg_meta;
CREATE SCHEMA IF NOT EXISTS sg_audit;

-- Whoever owns these schemas can replace anything in them: refuse schemas that a role other
-- than the engine role or a superuser created first.
DO $do$
DECLARE
    foreign_owner text;
BEGIN
    SELECT format('schema %I belongs to role %I', n.nspname, r.rolname) INTO foreign_owner
    FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner
    WHERE n.nspname IN ('sg_meta', 'sg_audit') AND r.rolname <> current_user AND NOT r.rolsuper
    LIMIT 1;
    IF foreign_owner IS NOT NULL THEN
        RAISE EXCEPTION 'cannot install sg: %, which sg does not trust', foreign_owner
            USING ERRCODE = 'insufficient_privilege',
                HINT = 'drop that schema, or have a superuser take it over';
    END IF;
END
$do$;
