-- Cluster-wide roles, as InsForge's deploy/docker-init/db/db-init.sql creates them
-- (roles are global in PostgreSQL, so this runs once per cluster).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'project_admin') THEN
    CREATE ROLE project_admin NOLOGIN;
  END IF;
END
$$;
-- InsForge migration 045.
ALTER ROLE project_admin BYPASSRLS;
