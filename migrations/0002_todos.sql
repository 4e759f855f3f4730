-- Each user's own todos. The app never sends user_id: it defaults to the caller's id, and the
-- policy refuses any row whose user_id is not the caller's, for reads and writes alike.
create table public.todos (
  id uuid primary key default gen_random_uuid(),
  user_id text not null default public.requesting_user_id(),
  title text not null
    constraint todos_title_length check (char_length(btrim(title, E' \t\r\n\f\v')) between 1 and 500),
  is_complete boolean not null default false,
  created_at timestamptz not null default now()
);

-- "My todos, newest first".
create index todos_user_id_created_at_idx on public.todos (user_id, created_at desc);

alter table public.todos enable row level security;

-- `to authenticated` only: the anon role has no policy, so it sees and writes nothing.
-- `(select …)` lets PostgreSQL evaluate the function once per statement, not once per row.
create policy "Users manage their own todos"
  on public.todos
  for all
  to authenticated
  using (user_id = (select public.requesting_user_id()))
  with check (user_id = (select public.requesting_user_id()));
