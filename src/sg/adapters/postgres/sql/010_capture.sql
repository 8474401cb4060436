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

-- One capture function: `body` runs with capture.seq (the statement's sequence value) and
-- capture.tx (the writing transaction); qualified, they cannot clash with column names.
CREATE OR REPLACE FUNCTION sg_audit.create_capture(rel oid, op text, body text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    fn text := format('sg_audit.%I', format('capture_%s_%s', rel, op));
BEGIN
    EXECUTE format(
        $def$CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS %L$def$,
        fn,
        format(E'<<capture>>\nDECLARE\n    seq bigint := nextval(''sg_audit.log_seq'');\n'
            || E'    tx xid8 := pg_current_xact_id();\nBEGIN\n%s\n    RETURN NULL;\nEND', body));
    EXECUTE format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', fn);
END
$fn$;

-- Starts capturing `target`'s changes; a no-op when it is already tracked.
CREATE OR REPLACE FUNCTION sg_audit.track(target regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    rel oid := target::oid;
    log text;
    cols text[];
    defs text;
    sortable boolean[];
    keys int[];
    all_log text;      -- c1, ..., cn
    key_log text;      -- the key's log columns
    old_all text;      -- o."a", o."b", ...
    new_all text;
    new_key text;
    head text;         -- INSERT INTO the log (its meta columns, ...
    op text;
    moment text;
    referencing text;
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = rel) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', target USING ERRCODE = 'wrong_object_type';
    END IF;
    -- Serialises tracking of one table, so a concurrent second call finds it tracked.
    PERFORM pg_advisory_xact_lock(hashtext('sg_audit.track'), (rel::bigint - 2147483648)::int);
    PERFORM sg_audit.forget_dropped();
    IF EXISTS (SELECT FROM sg_audit.tracked_tables WHERE relid = rel) THEN
        RETURN;
    END IF;
    log := format('sg_audit.%I', 'log_' || rel);

    SELECT array_agg(a.attname::text ORDER BY a.attnum),
        string_agg(format('c%s %s%s', a.n, format_type(a.atttypid, a.atttypmod),
            CASE WHEN a.attcollation <> 0 THEN ' COLLATE ' || a.attcollation::regcollation::text
            ELSE '' END), ', ' ORDER BY a.attnum),
        array_agg(sg_audit.is_sortable(a.atttypid) ORDER BY a.attnum),
        string_agg(format('c%s', a.n), ', ' ORDER BY a.attnum),
        string_agg(format('o.%I', a.attname), ', ' ORDER BY a.attnum),
        string_agg(format('n.%I', a.attname), ', ' ORDER BY a.attnum)
    INTO cols, defs, sortable, all_log, old_all, new_all
    FROM (SELECT *, row_number() OVER (ORDER BY attnum) AS n
        FROM pg_attribute WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped) a;
    IF cols IS NULL THEN
        RAISE EXCEPTION 'table % has no columns to track', target
            USING ERRCODE = 'feature_not_supported';
    END IF;

    SELECT coalesce(array_agg(array_position(cols, a.attname::text) ORDER BY k.pos), '{}'),
        string_agg(format('c%s', array_position(cols, a.attname::text)), ', ' ORDER BY k.pos),
        string_agg(format('n.%I', a.attname), ', ' ORDER BY k.pos)
    INTO keys, key_log, new_key
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, pos)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = rel AND i.indisprimary;

    -- Vacuuming an append-only log for its inserts buys nothing (it is emptied on discard);
    -- dead rows left by partial discards still trigger autovacuum.
    EXECUTE format('CREATE TABLE %s (sg_xid xid8 NOT NULL, sg_seq bigint NOT NULL, '
        'sg_existed boolean NOT NULL, %s) WITH (autovacuum_vacuum_insert_threshold = -1)',
        log, defs);
    INSERT INTO sg_audit.tracked_tables (relid, log_table, columns, key_columns, sortable)
    VALUES (rel, 'log_' || rel, cols, keys, sortable);

    head := format('INSERT INTO %s (sg_xid, sg_seq, sg_existed, ', log);
    IF key_log IS NOT NULL THEN
        -- Keyed: inserted keys were absent; updates keep before-images plus every new key
        -- (one that no old row had is a key-changing update; the read side prefers the
        -- before-image when a key has both). No join here: a plan cached for one-row
        -- statements must not meet a million-row one.
        PERFORM sg_audit.create_capture(rel, 'insert', format(
            '%s%s) SELECT capture.tx, capture.seq, false, %s FROM sg_new n;',
            head, key_log, new_key));
        PERFORM sg_audit.create_capture(rel, 'update', format(
            '%1$s%2$s) SELECT capture.tx, capture.seq, true, %3$s FROM sg_old o;'
            '%1$s%4$s) SELECT capture.tx, capture.seq, false, %5$s FROM sg_new n;',
            head, all_log, old_all, key_log, new_key));
    ELSE
        -- Whole-row key: every added copy and every removed copy, in full.
        PERFORM sg_audit.create_capture(rel, 'insert', format(
            '%s%s) SELECT capture.tx, capture.seq, false, %s FROM sg_new n;',
            head, all_log, new_all));
        PERFORM sg_audit.create_capture(rel, 'update', format(
            '%1$s%2$s) SELECT capture.tx, capture.seq, true, %3$s FROM sg_old o;'
            '%1$s%2$s) SELECT capture.tx, capture.seq, false, %4$s FROM sg_new n;',
            head, all_log, old_all, new_all));
    END IF;
    PERFORM sg_audit.create_capture(rel, 'delete', format(
        '%s%s) SELECT capture.tx, capture.seq, true, %s FROM sg_old o;',
        head, all_log, old_all));
    -- The table is named at run time, so a renamed table stays tracked; no ONLY, so the
    -- partitions of a partitioned table are copied too.
    PERFORM sg_audit.create_capture(rel, 'truncate', format(
        'EXECUTE format(%L, TG_TABLE_SCHEMA, TG_TABLE_NAME) USING capture.tx, capture.seq;',
        format('%s%s) SELECT $1, $2, true, %s FROM %%I.%%I o', head, all_log, old_all)));

    FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
        moment := CASE op WHEN 'truncate' THEN 'BEFORE' ELSE 'AFTER' END;
        referencing := CASE op
            WHEN 'insert' THEN 'REFERENCING NEW TABLE AS sg_new'
            WHEN 'update' THEN 'REFERENCING OLD TABLE AS sg_old NEW TABLE AS sg_new'
            WHEN 'delete' THEN 'REFERENCING OLD TABLE AS sg_old'
            ELSE '' END;
        EXECUTE format('CREATE TRIGGER %I %s %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION '
            'sg_audit.%I()', 'sg_capture_' || op, moment, upper(op), target, referencing,
            format('capture_%s_%s', rel, op));
    END LOOP;
END
$fn$;

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

REVOKE ALL ON FUNCTION sg_audit.is_sortable(oid), sg_audit.untrack(oid),
    sg_audit.forget_dropped(), sg_audit.create_capture(oid, text, text),
    sg_audit.track(regclass), sg_audit.on_sql_drop(), sg_audit.on_alter_table() FROM PUBLIC;

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
