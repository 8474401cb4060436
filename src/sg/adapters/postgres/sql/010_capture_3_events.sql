-- Event triggers (where the engine role may create them): a dropped tracked table is
-- forgotten at once, and column changes of a tracked table are refused.

-- Ends tracking of dropped tables at once, and refuses to drop a partition of a tracked table
-- on its own (its rows would leave uncaptured) (installed only where event triggers are
-- allowed).
CREATE OR REPLACE FUNCTION sg_audit.on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    lost text;
BEGIN
    IF to_regclass('sg_audit.tracked_tables') IS NULL THEN
        RETURN;
    END IF;
    SELECT format('%s.%s', d.schema_name, d.object_name) INTO lost
    FROM sg_audit.tracked_tables r
    JOIN pg_event_trigger_dropped_objects() d
        ON d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid <> r.relid
            AND d.objid = ANY (r.members)
    WHERE NOT EXISTS (
        SELECT FROM pg_event_trigger_dropped_objects() x
        WHERE x.classid = 'pg_class'::regclass AND x.objid = r.relid)
    LIMIT 1;
    IF lost IS NOT NULL THEN
        RAISE EXCEPTION 'table % is a partition of a tracked table: dropping it would lose '
            'the deletion of its rows', lost
            USING ERRCODE = 'object_in_use',
                HINT = 'delete its rows first, or untrack the partitioned table';
    END IF;
    PERFORM sg_audit.untrack(r.relid)
    FROM sg_audit.tracked_tables r
    JOIN pg_event_trigger_dropped_objects() d
        ON d.classid = 'pg_class'::regclass AND d.objid = r.relid AND d.objsubid = 0;
END
$fn$;

-- Refuses DDL that would make a tracked table's capture inexact: changing its columns,
-- giving it an inheritance parent or child, making it a typed table, disabling its capture
-- triggers (installed only where event triggers are allowed; elsewhere the capture functions
-- refuse writes after a column change, and reads report the rest).
CREATE OR REPLACE FUNCTION sg_audit.on_alter_table() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    altered regclass;
    problem text;
    added record;
BEGIN
    IF to_regclass('sg_audit.tracked_tables') IS NULL THEN
        RETURN;
    END IF;
    -- A new, empty partition of a tracked table is captured from the start.
    FOR added IN
        SELECT r.relid, d.objid FROM sg_audit.tracked_tables r
        JOIN pg_event_trigger_ddl_commands() d
            ON d.classid = 'pg_class'::regclass AND d.command_tag = 'CREATE TABLE'
                AND d.objid <> r.relid AND NOT d.objid = ANY (r.members)
        JOIN pg_class c ON c.oid = d.objid AND c.relkind IN ('r', 'p') AND c.relispartition
        WHERE pg_partition_root(d.objid)::oid = r.relid
    LOOP
        PERFORM sg_audit.install_triggers(added.relid, added.objid::regclass);
        UPDATE sg_audit.tracked_tables SET members = members || added.objid
        WHERE relid = added.relid;
    END LOOP;
    SELECT t.relid::regclass, t.problem INTO altered, problem
    FROM (
        SELECT DISTINCT r.relid, sg_audit.capture_problem(r.relid) AS problem
        FROM sg_audit.tracked_tables r
        JOIN pg_event_trigger_ddl_commands() d
            ON d.classid = 'pg_class'::regclass AND (d.objid = r.relid
                OR pg_partition_root(d.objid)::oid = r.relid
                OR EXISTS (
                    SELECT FROM pg_inherits i
                    WHERE (i.inhrelid = r.relid AND i.inhparent = d.objid)
                        OR (i.inhparent = r.relid AND i.inhrelid = d.objid)))
    ) t
    WHERE t.problem IS NOT NULL
    LIMIT 1;
    IF altered IS NOT NULL THEN
        RAISE EXCEPTION 'table % is tracked: %', altered, problem
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
    IF NOT EXISTS (SELECT FROM pg_event_trigger
            WHERE evtname = 'sg_audit_guard_columns' AND 'CREATE TABLE' = ANY (evttags)) THEN
        DROP EVENT TRIGGER IF EXISTS sg_audit_guard_columns;
        CREATE EVENT TRIGGER sg_audit_guard_columns ON ddl_command_end
            WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE') EXECUTE FUNCTION sg_audit.on_alter_table();
    END IF;
END
$do$;
