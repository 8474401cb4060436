-- Tracking a table: its log, its capture functions and the triggers that call them.

-- One capture function: `body` runs with capture.seq (the statement's log position: `nextval`
-- for TRUNCATE, else the one `sg_audit.capture_begin` drew for the query) and capture.tx (the
-- writing transaction); qualified, they cannot clash with column names. It first checks that
-- the table still has the columns it was written for: copying values of other types into the
-- log would run casts the table's owner may have written, with the log owner's rights.
CREATE OR REPLACE FUNCTION sg_audit.create_capture(rel oid, op text, body text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    fn text := format('sg_audit.%I', format('capture_%s_%s', rel, op));
    signature text := (SELECT r.signature FROM sg_audit.tracked_tables r WHERE r.relid = rel);
BEGIN
    EXECUTE format(
        $def$CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp SET row_security = off AS %L$def$,
        fn,
        format(E'<<capture>>\nDECLARE\n    seq bigint := %s(''sg_audit.log_seq'');\n'
            || E'    tx xid8 := pg_current_xact_id();\nBEGIN\n'
            -- sg_audit.column_signature(TG_RELID), inlined: its plan is then cached with
            -- the function's, and no nested call runs per statement.
            || E'    IF (SELECT pg_catalog.string_agg(pg_catalog.format(''%%I %%s %%s %%s'', '
            || E'a.attname, a.atttypid, a.atttypmod, a.attcollation), '', '' ORDER BY a.attname) '
            || E'FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) TG_RELID '
            || E'AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped)\n'
            || E'            IS DISTINCT FROM %L\n'
            || E'            OR (TG_RELID <> %s AND pg_partition_root(TG_RELID)::oid IS DISTINCT FROM %s) THEN\n'
            || E'        RAISE EXCEPTION ''the columns or partitions of tracked table %%.%% changed'', '
            || E'TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = ''object_not_in_prerequisite_state'', '
            || E'HINT = ''untrack it, or change it back'';\n'
            || E'    END IF;\n%s\n    RETURN NULL;\nEND',
            CASE op WHEN 'truncate' THEN 'nextval' ELSE 'currval' END, signature, rel, rel, body));
    EXECUTE format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', fn);
END
$fn$;

-- Puts the capture triggers of tracked table `rel` on `member` (the table or a partition).
CREATE OR REPLACE FUNCTION sg_audit.install_triggers(rel oid, member regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    op text;
    moment text;
    referencing text;
BEGIN
    FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
        moment := CASE op WHEN 'truncate' THEN 'BEFORE' ELSE 'AFTER' END;
        referencing := CASE op
            WHEN 'insert' THEN 'REFERENCING NEW TABLE AS sg_new'
            WHEN 'update' THEN 'REFERENCING OLD TABLE AS sg_old NEW TABLE AS sg_new'
            WHEN 'delete' THEN 'REFERENCING OLD TABLE AS sg_old'
            ELSE '' END;
        EXECUTE format('CREATE TRIGGER %I %s %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION '
            'sg_audit.%I()', 'sg_capture_' || op, moment, upper(op), member, referencing,
            format('capture_%s_%s', rel, op));
    END LOOP;
    EXECUTE format('CREATE TRIGGER sg_capture_begin BEFORE INSERT OR UPDATE OR DELETE ON %s '
        'FOR EACH STATEMENT EXECUTE FUNCTION sg_audit.capture_begin()', member);
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
    members oid[];
BEGIN
    IF sg_audit.shape_problem(rel) IS NOT NULL THEN
        RAISE EXCEPTION 'cannot track %: %', target, sg_audit.shape_problem(rel)
            USING ERRCODE = 'wrong_object_type';
    END IF;
    -- Serialises tracking of one table, so a concurrent second call finds it tracked.
    PERFORM pg_advisory_xact_lock(hashtext('sg_audit.track'), (rel::bigint - 2147483648)::int);
    PERFORM sg_audit.forget_dropped();
    IF EXISTS (SELECT FROM sg_audit.tracked_tables WHERE relid = rel) THEN
        IF sg_audit.capture_problem(rel) IS NULL THEN
            RETURN;
        END IF;
        -- Tracking again a table whose capture broke: its log cannot be trusted; start afresh.
        PERFORM sg_audit.untrack(rel);
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
    members := ARRAY(SELECT sg_audit.capture_members(rel));
    INSERT INTO sg_audit.tracked_tables (relid, log_table, columns, key_columns, sortable,
        signature, members)
    VALUES (rel, 'log_' || rel, cols, keys, sortable, sg_audit.column_signature(rel), members);

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
    -- The table is named at run time, so a renamed table stays tracked. ONLY: truncating a
    -- partitioned table fires the trigger of each partition, which copies its own rows.
    PERFORM sg_audit.create_capture(rel, 'truncate', format(
        'EXECUTE format(%L, TG_TABLE_SCHEMA, TG_TABLE_NAME) USING capture.tx, capture.seq;',
        format('%s%s) SELECT $1, $2, true, %s FROM ONLY %%I.%%I o', head, all_log, old_all)));

    PERFORM sg_audit.install_triggers(rel, m::regclass) FROM unnest(members) AS m;
END
$fn$;

REVOKE ALL ON FUNCTION sg_audit.create_capture(oid, text, text), sg_audit.track(regclass),
    sg_audit.install_triggers(oid, regclass) FROM PUBLIC;
