-- The signed-in user's id, from the `sub` claim InsForge passes to PostgreSQL, as text.
-- Provider ids (`user-test-…`, `user_01…`, `kp_…`, `user_2…`, `auth0|…`) are not UUIDs, so
-- InsForge's `auth.uid()`, which casts `sub` to uuid, must not be used for them.
-- Reads the setting directly (not through `auth.jwt()`) so it works on every InsForge version;
-- the inner nullif keeps an empty setting from failing the json cast.
create or replace function public.requesting_user_id()
returns text
language sql
stable
as $$
  select nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')
$$;
