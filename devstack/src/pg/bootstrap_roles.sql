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
  -- Not InsForge's (its PostgREST logs in as the superuser): the stand-in's login. It may
  -- become each API role and nothing more, and inherits none of their rights, so SQL that
  -- slips past the migration filter (RESET ROLE, SET ROLE postgres, a DO block's EXECUTE)
  -- still cannot act as a superuser.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'insforge_gateway') THEN
    CREATE ROLE insforge_gateway LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
-- InsForge migration 045.
ALTER ROLE project_admin BYPASSRLS;
GRANT anon, authenticated, project_admin TO insforge_gateway;
