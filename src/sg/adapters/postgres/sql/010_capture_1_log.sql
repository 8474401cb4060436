-- Change capture: a registry of tracked tables, one append-only log per tracked table, and
-- statement-level triggers with transition tables that append to it. Net changes are
-- resolved when they are read (see sg/adapters/postgres/capture_sql.py), so writers only
-- append: one sequence value per statement and, per row, the key or the before-image.
--
-- Log rows: sg_xid (writing transaction), sg_seq (statement order), sg_existed (true: the
-- row image as it was before the statement; false: a key that was absent before it, or,
-- for a table without a primary key, an added copy of a row), then c1..cn with the tracked
-- table's own column types, so images come back natively typed.
--
-- Every function pins search_path and quotes every name it builds; capture functions are
-- SECURITY DEFINER so roles that write a tracked table need (and get) no access to its log.

REVOKE ALL ON SCHEMA sg_audit FROM PUBLIC;

CREATE TABLE IF NOT EXISTS sg_audit.tracked_tables (
    relid oid PRIMARY KEY,
    log_table name NOT NULL,
    columns text[] NOT NULL,
    key_columns int[] NOT NULL,
    sortable boolean[] NOT NULL,
    tracked_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sg_audit.tracked_tables IS
    'Tracked tables by oid: log table, captured columns, primary key positions (1-based into '
    'columns, empty = whole-row key) and whether each column type has a default ordering.';

CREATE SEQUENCE IF NOT EXISTS sg_audit.log_seq;

-- True when values of type `t` can be ordered with a default btree operator class.
CREATE OR REPLACE FUNCTION sg_audit.is_sortable(t oid) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    ty pg_type;
BEGIN
    SELECT * INTO ty FROM pg_type WHERE oid = t;
    IF ty.typtype = 'd' THEN
        RETURN sg_audit.is_sortable(ty.typbasetype);
    ELSIF ty.typcategory = 'A' AND ty.typelem <> 0 AND ty.typlen = -1 THEN
        RETURN sg_audit.is_sortable(ty.typelem);
    ELSIF ty.typtype = 'c' THEN
        RETURN NOT EXISTS (
            SELECT FROM pg_attribute a
            WHERE a.attrelid = ty.typrelid AND a.attnum > 0 AND NOT a.attisdropped
                AND NOT sg_audit.is_sortable(a.atttypid));
    ELSIF ty.typtype IN ('e', 'r', 'm') THEN
        RETURN true;
    END IF;
    RETURN EXISTS (
        SELECT FROM pg_opclass c JOIN pg_am m ON m.oid = c.opcmethod
        WHERE m.amname = 'btree' AND c.opcdefault
            AND (c.opcintype = t OR EXISTS (
                SELECT FROM pg_cast k
                WHERE k.castsource = t AND k.casttarget = c.opcintype AND k.castmethod = 'b')));
END
$fn$;

-- Drops a table's capture: its triggers (when the table still exists), functions and log.
CREATE OR REPLACE FUNCTION sg_audit.untrack(rel oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    op text;
    target regclass := (SELECT c.oid::regclass FROM pg_class c WHERE c.oid = rel);
BEGIN
    FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
        IF target IS NOT NULL THEN
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', 'sg_capture_' || op, target);
        END IF;
        EXECUTE format('DROP FUNCTION IF EXISTS sg_audit.%I()', format('capture_%s_%s', rel, op));
    END LOOP;
    EXECUTE format('DROP TABLE IF EXISTS sg_audit.%I', 'log_' || rel);
    DELETE FROM sg_audit.tracked_tables WHERE relid = rel;
END
$fn$;

-- Forgets tracked tables that were dropped (needed when no event trigger could be installed).
CREATE OR REPLACE FUNCTION sg_audit.forget_dropped() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM sg_audit.untrack(r.relid)
    FROM sg_audit.tracked_tables r
    WHERE NOT EXISTS (
        SELECT FROM pg_trigger g WHERE g.tgrelid = r.relid AND g.tgname = 'sg_capture_insert');
END
$fn$;

REVOKE ALL ON FUNCTION sg_audit.is_sortable(oid), sg_audit.untrack(oid),
    sg_audit.forget_dropped() FROM PUBLIC;
