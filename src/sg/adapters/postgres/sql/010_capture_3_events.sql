-- Event triggers (where the engine role may create them): a dropped tracked table is
-- forgotten at once, and column changes of a tracked table are refused.

-- Ends tracking of dropped tables at once (installed only where event triggers are allowed).
CREATE OR REPLACE FUNCTION sg_audit.on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF to_regclass('sg_audit.tracked_tables') IS NULL THEN
        RETURN;
    END IF;
    PERFORM sg_audit.untrack(r.relid)
    FROM sg_audit.tracked_tables r
    JOIN pg_event_trigger_dropped_objects() d
        ON d.classid = 'pg_class'::regclass AND d.objid = r.relid AND d.objsubid = 0;
END
$fn$;

-- Refuses ALTER TABLE that changes a tracked table's columns: its capture functions and log
-- name the columns it had (installed only where event triggers are allowed).
CREATE OR REPLACE FUNCTION sg_audit.on_alter_table() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    altered regclass;
BEGIN
    IF to_regclass('sg_audit.tracked_tables') IS NULL THEN
        RETURN;
    END IF;
    SELECT r.relid::regclass INTO altered
    FROM sg_audit.tracked_tables r
    JOIN pg_event_trigger_ddl_commands() d
        ON d.classid = 'pg_class'::regclass AND d.objid = r.relid
    WHERE (SELECT array_agg(a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod)
                ORDER BY a.attnum)
            FROM pg_attribute a WHERE a.attrelid = r.relid AND a.attnum > 0 AND NOT a.attisdropped)
        IS DISTINCT FROM
        (SELECT array_agg(r.columns[a.attnum - 3] || ' ' || format_type(a.atttypid, a.atttypmod)
                ORDER BY a.attnum)
            FROM pg_attribute a
            WHERE a.attrelid = format('sg_audit.%I', r.log_table)::regclass AND a.attnum > 3)
    LIMIT 1;
    IF altered IS NOT NULL THEN
        RAISE EXCEPTION 'table % is tracked: its columns cannot change', altered
            USING ERRCODE = 'object_in_use',
                HINT = 'untrack it (its pending changes are discarded), alter it, track it again';
    END IF;
END
$fn$;

REVOKE ALL ON FUNCTION sg_audit.on_sql_drop(), sg_audit.on_alter_table() FROM PUBLIC;

DO $do$
BEGIN
    -- Event triggers need a superuser; without one, dropped tables are forgotten lazily and
    -- column changes of tracked tables are not refused.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'sg_audit_forget_dropped') THEN
        CREATE EVENT TRIGGER sg_audit_forget_dropped ON sql_drop
            EXECUTE FUNCTION sg_audit.on_sql_drop();
    END IF;
    IF NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'sg_audit_guard_columns') THEN
        CREATE EVENT TRIGGER sg_audit_guard_columns ON ddl_command_end
            WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION sg_audit.on_alter_table();
    END IF;
END
$do$;
