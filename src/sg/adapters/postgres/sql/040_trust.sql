-- Trust: sg runs with the engine role's rights (often a superuser's), so it must never run
-- code that a role it does not trust could have written. It trusts superusers and the engine
-- role itself; code owned by anyone else is refused before it could run.

-- True when sg may run code owned by `owner`.
CREATE OR REPLACE FUNCTION sg_meta.is_trusted_role(owner oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT owner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
        OR coalesce((SELECT rolsuper FROM pg_roles WHERE oid = owner), false)
$fn$;

-- The first function owned by an untrusted role that values of type `t` run when they are
-- received or checked (domain constraints, input and receive functions, anywhere inside
-- arrays, composites and ranges), described for an error message; NULL when there is none.
CREATE OR REPLACE FUNCTION sg_meta.untrusted_type_code(t oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    WITH RECURSIVE closure(typ) AS (
        SELECT t
        UNION
        SELECT k.child FROM closure c
        JOIN pg_type ty ON ty.oid = c.typ
        CROSS JOIN LATERAL (
            SELECT ty.typbasetype WHERE ty.typbasetype <> 0
            UNION ALL SELECT ty.typelem WHERE ty.typelem <> 0
            UNION ALL SELECT a.atttypid FROM pg_attribute a
                WHERE a.attrelid = ty.typrelid AND a.attnum > 0 AND NOT a.attisdropped
            UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = ty.oid
            UNION ALL SELECT r.rngtypid FROM pg_range r WHERE r.rngmultitypid = ty.oid
        ) AS k(child)
    ), code(typ, func) AS (
        SELECT c.typ, d.refobjid FROM closure c
        JOIN pg_constraint k ON k.contypid = c.typ
        JOIN pg_depend d ON d.classid = 'pg_constraint'::regclass AND d.objid = k.oid
            AND d.refclassid = 'pg_proc'::regclass
        UNION ALL
        SELECT c.typ, f.func FROM closure c JOIN pg_type ty ON ty.oid = c.typ
        CROSS JOIN LATERAL (VALUES (ty.typinput), (ty.typreceive)) AS f(func)
        WHERE f.func <> 0
    )
    SELECT coalesce(
        (SELECT format('type %s belongs to role %s, which sg does not trust',
                ty.oid::regtype, pg_get_userbyid(ty.typowner))
            FROM closure c JOIN pg_type ty ON ty.oid = c.typ
            WHERE ty.typtype = 'd' AND NOT sg_meta.is_trusted_role(ty.typowner)
            LIMIT 1),
        (SELECT format('type %s runs function %s of role %s, which sg does not trust',
                c.typ::regtype, p.oid::regprocedure, pg_get_userbyid(p.proowner))
            FROM code c JOIN pg_proc p ON p.oid = c.func
            WHERE NOT sg_meta.is_trusted_role(p.proowner)
            LIMIT 1))
$fn$;

-- The first column of `rel` whose type runs untrusted code (see above), described; or NULL.
CREATE OR REPLACE FUNCTION sg_meta.untrusted_column_type(rel oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT c.problem FROM (
        SELECT a.attnum, sg_meta.untrusted_type_code(a.atttypid) AS problem
        FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
    ) c
    WHERE c.problem IS NOT NULL ORDER BY c.attnum LIMIT 1
$fn$;

-- Why sg must not write into table `rel` (its owner or code attached to it — triggers, rules,
-- defaults, checks, index expressions, policies — belongs to a role it does not trust, or a
-- column type runs such code); NULL when it may.
CREATE OR REPLACE FUNCTION sg_meta.untrusted_target(rel oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    WITH parts(classid, objid) AS (
        SELECT 'pg_class'::regclass, rel
        UNION ALL SELECT 'pg_class'::regclass, i.indexrelid FROM pg_index i WHERE i.indrelid = rel
        UNION ALL SELECT 'pg_constraint'::regclass, k.oid FROM pg_constraint k
            WHERE k.conrelid = rel
        UNION ALL SELECT 'pg_trigger'::regclass, g.oid FROM pg_trigger g WHERE g.tgrelid = rel
        UNION ALL SELECT 'pg_attrdef'::regclass, a.oid FROM pg_attrdef a WHERE a.adrelid = rel
        UNION ALL SELECT 'pg_rewrite'::regclass, w.oid FROM pg_rewrite w WHERE w.ev_class = rel
        UNION ALL SELECT 'pg_policy'::regclass, p.oid FROM pg_policy p WHERE p.polrelid = rel
    ), funcs(func) AS (
        SELECT d.refobjid FROM parts x
        JOIN pg_depend d ON d.classid = x.classid AND d.objid = x.objid
            AND d.refclassid = 'pg_proc'::regclass
        UNION ALL
        SELECT o.oprcode::oid FROM parts x
        JOIN pg_depend d ON d.classid = x.classid AND d.objid = x.objid
            AND d.refclassid = 'pg_operator'::regclass
        JOIN pg_operator o ON o.oid = d.refobjid
    )
    SELECT coalesce(
        (SELECT format('table %s belongs to role %s, which sg does not trust',
                c.oid::regclass, pg_get_userbyid(c.relowner))
            FROM pg_class c WHERE c.oid = rel AND NOT sg_meta.is_trusted_role(c.relowner)),
        (SELECT format('table %s runs function %s of role %s, which sg does not trust',
                rel::regclass, p.oid::regprocedure, pg_get_userbyid(p.proowner))
            FROM funcs f JOIN pg_proc p ON p.oid = f.func
            WHERE NOT sg_meta.is_trusted_role(p.proowner) LIMIT 1),
        sg_meta.untrusted_column_type(rel))
$fn$;

REVOKE ALL ON FUNCTION sg_meta.is_trusted_role(oid), sg_meta.untrusted_type_code(oid),
    sg_meta.untrusted_column_type(oid), sg_meta.untrusted_target(oid) FROM PUBLIC;
