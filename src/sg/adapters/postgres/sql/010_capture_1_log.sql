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
-- The columns (name, type, typmod, collation) the capture functions were written for, and
-- the tables whose writes they capture (the table, and a partitioned table's partitions).
ALTER TABLE sg_audit.tracked_tables ADD COLUMN IF NOT EXISTS signature text;
ALTER TABLE sg_audit.tracked_tables ADD COLUMN IF NOT EXISTS members oid[];
COMMENT ON TABLE sg_audit.tracked_tables IS
    'Tracked tables by oid: log table, captured columns, primary key positions (1-based into '
    'columns, empty = whole-row key) and whether each column type has a default ordering.';

CREATE SEQUENCE IF NOT EXISTS sg_audit.log_seq;

-- The columns of a table as the capture functions depend on them: a change to any of them
-- (through ALTER of the table, of a parent, or of its type) makes them stop capturing.
CREATE OR REPLACE FUNCTION sg_audit.column_signature(rel oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    -- By name: capture names columns, and a partition may hold them in another order.
    -- The capture functions of 010_capture_2_track.sql inline this query: keep them alike.
    SELECT string_agg(format('%I %s %s %s', a.attname, a.atttypid, a.atttypmod, a.attcollation),
        ', ' ORDER BY a.attname)
    FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
$fn$;

-- The tables whose writes the capture of `rel` must see: itself and, when it is partitioned,
-- its partitions at every level (a statement names one of them, and fires its triggers only).
CREATE OR REPLACE FUNCTION sg_audit.capture_members(rel oid) RETURNS SETOF oid
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT rel UNION SELECT t.relid::oid FROM pg_partition_tree(rel) t
$fn$;

-- Why a table cannot be tracked (or, once tracked, why its capture can no longer be
-- trusted); NULL when nothing is wrong with its shape.
CREATE OR REPLACE FUNCTION sg_audit.shape_problem(rel oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT CASE
        WHEN c.oid IS NULL THEN 'it does not exist'
        WHEN c.relispartition THEN format('it is a partition of %s: track that table, whose '
            'capture covers its partitions', pg_partition_root(c.oid)::regclass)
        WHEN c.relkind NOT IN ('r', 'p') THEN 'it is not a table'
        WHEN EXISTS (SELECT FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid
                WHERE (i.inhrelid = rel OR i.inhparent = rel) AND NOT k.relispartition)
            THEN 'it has an inheritance parent or child (writes and column changes through the '
                'other table would escape its capture)'
        WHEN c.reloftype <> 0 THEN 'it is a typed table (ALTER TYPE would change its columns)'
        ELSE (SELECT format('its partition %s is a foreign table, whose writes sg cannot see',
                m::regclass)
            FROM sg_audit.capture_members(rel) m JOIN pg_class f ON f.oid = m
            WHERE f.relkind = 'f' LIMIT 1)
    END
    FROM (SELECT rel AS oid) r LEFT JOIN pg_class c ON c.oid = r.oid
$fn$;

-- The capture triggers every member of a tracked table must have, each enabled, calling the
-- table's own function, for every row of its statements (no column list, no WHEN), with its
-- transition tables; and no member may have left (its rows left uncaptured).
-- tgtype bits: 2 before, 4 insert, 8 delete, 16 update, 32 truncate (0: after, statement).
CREATE OR REPLACE FUNCTION sg_audit.trigger_problem(rel oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT coalesce(
        (SELECT format('%s was detached or dropped, and its rows left uncaptured',
                CASE WHEN m = rel THEN 'the table' ELSE 'its partition ' || m END)
            FROM sg_audit.tracked_tables r CROSS JOIN LATERAL unnest(r.members) AS m
            WHERE r.relid = rel AND m NOT IN (SELECT sg_audit.capture_members(rel))
            LIMIT 1),
        (SELECT CASE WHEN m.m = rel THEN 'its' ELSE format('the partition %s''s', m.m::regclass)
                END || ' capture trigger ' || e.name || ' was '
                || CASE WHEN g.oid IS NULL THEN 'dropped or replaced' ELSE 'disabled' END
            FROM sg_audit.capture_members(rel) AS m(m)
            CROSS JOIN (VALUES
                ('sg_capture_begin', 'capture_begin', 30, NULL, NULL),
                ('sg_capture_insert', format('capture_%s_insert', rel), 4, NULL, 'sg_new'),
                ('sg_capture_update', format('capture_%s_update', rel), 16, 'sg_old', 'sg_new'),
                ('sg_capture_delete', format('capture_%s_delete', rel), 8, 'sg_old', NULL),
                ('sg_capture_truncate', format('capture_%s_truncate', rel), 34, NULL, NULL)
            ) AS e(name, func, kind, old_table, new_table)
            LEFT JOIN pg_trigger g ON g.tgrelid = m.m AND g.tgname = e.name
                AND g.tgfoid = (SELECT p.oid FROM pg_proc p
                    WHERE p.pronamespace = 'sg_audit'::regnamespace AND p.proname = e.func
                        AND p.pronargs = 0)
                AND g.tgtype = e.kind AND g.tgattr = ''::int2vector AND g.tgqual IS NULL
                AND g.tgoldtable IS NOT DISTINCT FROM e.old_table
                AND g.tgnewtable IS NOT DISTINCT FROM e.new_table
            WHERE g.oid IS NULL OR g.tgenabled NOT IN ('O', 'A')
            ORDER BY m.m <> rel, e.kind
            LIMIT 1))
$fn$;

-- Why a tracked table's pending changes cannot be trusted; NULL when they can.
CREATE OR REPLACE FUNCTION sg_audit.capture_problem(rel oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT coalesce(sg_audit.shape_problem(rel),
        (SELECT CASE WHEN m = rel THEN 'its columns changed'
                ELSE format('the columns of its partition %s changed', m::regclass) END
            FROM sg_audit.capture_members(rel) m
            WHERE sg_audit.column_signature(m) IS DISTINCT FROM r.signature LIMIT 1),
        sg_audit.trigger_problem(rel))
    FROM sg_audit.tracked_tables r WHERE r.relid = rel
$fn$;

-- Run before each INSERT, UPDATE or DELETE statement on a tracked table: every capture of
-- one query (a statement and the data-modifying WITH clauses it holds, whose changes take
-- effect together) then shares this statement's log position (`currval`).
CREATE OR REPLACE FUNCTION sg_audit.capture_begin() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM nextval('sg_audit.log_seq');
    RETURN NULL;
END
$fn$;

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

-- Drops a table's capture: its triggers (on every table that still calls its functions),
-- functions and log. The registry row goes first, so that no guard sees a half-tracked table.
CREATE OR REPLACE FUNCTION sg_audit.untrack(rel oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    op text;
    target regclass;
BEGIN
    DELETE FROM sg_audit.tracked_tables WHERE relid = rel;
    FOR target IN
        SELECT DISTINCT g.tgrelid::regclass FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid
        WHERE p.pronamespace = 'sg_audit'::regnamespace
            AND p.proname LIKE format('capture\_%s\_%%', rel)
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS sg_capture_begin ON %s', target);
        FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', 'sg_capture_' || op, target);
        END LOOP;
    END LOOP;
    FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS sg_audit.%I()', format('capture_%s_%s', rel, op));
    END LOOP;
    EXECUTE format('DROP TABLE IF EXISTS sg_audit.%I', 'log_' || rel);
END
$fn$;

-- Forgets tracked tables that were dropped (needed when no event trigger could be installed).
-- A table that still exists but lost a capture trigger is not forgotten: its log stays, and
-- reading it is an error until the table is tracked again.
CREATE OR REPLACE FUNCTION sg_audit.forget_dropped() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM sg_audit.untrack(r.relid)
    FROM sg_audit.tracked_tables r
    WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = r.relid);
END
$fn$;

REVOKE ALL ON FUNCTION sg_audit.is_sortable(oid), sg_audit.untrack(oid),
    sg_audit.forget_dropped(), sg_audit.column_signature(oid), sg_audit.shape_problem(oid),
    sg_audit.trigger_problem(oid), sg_audit.capture_problem(oid), sg_audit.capture_begin(),
    sg_audit.capture_members(oid)
    FROM PUBLIC;
