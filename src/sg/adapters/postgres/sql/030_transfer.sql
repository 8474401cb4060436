-- The postgres_fdw transport needs the wrapper in the database that receives objects.
-- Servers without the extension, or roles that may not create it, still initialize: the
-- transport says what is missing when a transfer asks for it.
DO $sg$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'postgres_fdw')
        AND EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'postgres_fdw')
    THEN
        CREATE EXTENSION postgres_fdw WITH SCHEMA sg_meta;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'postgres_fdw not installed: %', SQLERRM;
END
$sg$;
