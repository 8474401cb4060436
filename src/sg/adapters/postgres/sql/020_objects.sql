-- Objects: immutable fragment tables sg_meta.<object id>, and the registry that lists them.
CREATE TABLE IF NOT EXISTS sg_meta.objects (
    object_id text PRIMARY KEY CHECK (object_id ~ '^o[0-9a-f]{62}$'),
    -- [{"name": ..., "type": ..., "key": true|false}] in column order, flag column last
    columns jsonb NOT NULL CHECK (jsonb_typeof(columns) = 'array'),
    rows_upserted bigint NOT NULL CHECK (rows_upserted >= 0),
    rows_deleted bigint NOT NULL CHECK (rows_deleted >= 0),
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A type's name as format_type spells it with only pg_catalog on the search path: every
-- other type comes schema-qualified, so the spelling (part of object ids) does not depend
-- on the caller's search_path.
CREATE OR REPLACE FUNCTION sg_meta.qualified_type(type_oid oid, type_modifier integer)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$ SELECT pg_catalog.format_type(type_oid, type_modifier) $$;
