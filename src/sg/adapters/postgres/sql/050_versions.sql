-- Versions of versioned schemas: one row per version with its tables (shape + object chain +
-- counts) as JSON, tags naming versions, and the version each schema's live tables are at.
CREATE TABLE IF NOT EXISTS sg_meta.versions (
    schema_name text NOT NULL,
    version_id text NOT NULL CHECK (version_id ~ '^[0-9a-f]{64}$'),
    parent_id text CHECK (parent_id ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL,
    author text NOT NULL,
    message text NOT NULL,
    -- [{"name", "shape", "chain": [object id, ...], "counts": [added, removed, updated]}]
    tables jsonb NOT NULL CHECK (jsonb_typeof(tables) = 'array'),
    PRIMARY KEY (schema_name, version_id)
);
CREATE INDEX IF NOT EXISTS versions_by_time ON sg_meta.versions (schema_name, created_at);

CREATE TABLE IF NOT EXISTS sg_meta.version_tags (
    schema_name text NOT NULL,
    tag text NOT NULL CHECK (tag <> 'latest'),
    version_id text NOT NULL,
    PRIMARY KEY (schema_name, tag),
    FOREIGN KEY (schema_name, version_id) REFERENCES sg_meta.versions ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS sg_meta.version_heads (
    schema_name text PRIMARY KEY,
    version_id text NOT NULL,
    FOREIGN KEY (schema_name, version_id) REFERENCES sg_meta.versions ON DELETE CASCADE
);

-- Every object some version of some schema needs: gc keeps these.
CREATE OR REPLACE FUNCTION sg_meta.version_objects()
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT DISTINCT chain.object_id
    FROM sg_meta.versions v
    CROSS JOIN LATERAL jsonb_array_elements(v.tables) AS t(entry)
    CROSS JOIN LATERAL jsonb_array_elements_text(t.entry -> 'chain') AS chain(object_id)
$$;
