-- Users, login sessions (one refresh-token family each) and the refresh tokens of every family.
create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  display_name text not null,
  password_hash text not null,
  roles text[] not null default '{member}',
  disabled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint users_email_key unique (email),
  constraint users_email_normalized check (email = lower(btrim(email))),
  constraint users_roles_known check (roles <@ array['admin', 'member']::text[] and cardinality(roles) > 0)
);
create index users_created_at_id on users (created_at, id);

-- A session is a refresh-token family: it ends (revoked_at) on logout, on reuse of a rotated token,
-- when its user is disabled or changes password, or when an admin ends it.
create table sessions (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_refreshed_at timestamptz not null default now(),
  idle_expires_at timestamptz not null,
  absolute_expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_reason text,
  user_agent text,
  ip text
);
create index sessions_user_open on sessions (user_id) where revoked_at is null;

-- Only SHA-256 digests of refresh tokens are stored. A token with used_at set has been rotated; presenting
-- it again is reuse and ends its session.
create table refresh_tokens (
  token_hash bytea primary key,
  session_id uuid not null references sessions (id) on delete cascade,
  issued_at timestamptz not null default now(),
  used_at timestamptz
);
create index refresh_tokens_session on refresh_tokens (session_id);
