-- Meetings, their members (meeting roles), invitations, live participant state kept from LiveKit webhooks,
-- processed webhook ids, breakout rooms and recordings.
create table meetings (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null,
  title text not null,
  starts_at timestamptz not null,
  duration_minutes integer not null check (duration_minutes between 1 and 1440),
  capacity integer not null check (capacity between 2 and 500),
  mode text not null check (mode in ('meeting', 'webinar')),
  recording_allowed boolean not null default false,
  recording_roles text[] not null default '{host,co-host}',
  screen_share_roles text[] not null default '{host,co-host,presenter}',
  waiting_room boolean not null default false,
  state text not null default 'scheduled' check (state in ('scheduled', 'live', 'ended', 'cancelled')),
  room_sid text,
  breakouts_open boolean not null default false,
  started_at timestamptz,
  ended_at timestamptz,
  ended_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index meetings_state_starts_at on meetings (state, starts_at);

-- A member may join; the role decides the LiveKit grants. Overrides record live grants and revocations.
create table meeting_members (
  meeting_id uuid not null references meetings (id) on delete cascade,
  user_id uuid not null,
  role text not null check (role in ('host', 'co-host', 'presenter', 'attendee')),
  can_publish_override boolean,
  can_screen_share_override boolean,
  removed_at timestamptz,
  joined_via uuid,
  created_at timestamptz not null default now(),
  primary key (meeting_id, user_id)
);
create index meeting_members_user on meeting_members (user_id);

-- Only the SHA-256 of an invitation code is stored; the code itself is shown once, at creation.
create table invitations (
  id uuid primary key default gen_random_uuid(),
  meeting_id uuid not null references meetings (id) on delete cascade,
  kind text not null check (kind in ('email', 'link')),
  email text,
  role text not null check (role in ('co-host', 'presenter', 'attendee')),
  code_hash bytea not null unique,
  max_uses integer not null check (max_uses >= 1),
  uses integer not null default 0,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  created_by uuid not null,
  created_at timestamptz not null default now(),
  constraint invitations_uses_bounded check (uses <= max_uses),
  constraint invitations_email_kind check ((kind = 'email') = (email is not null))
);
create index invitations_meeting on invitations (meeting_id, created_at);

-- Who is in which LiveKit room, from participant webhooks and the reconciler (the SFU is the truth).
create table room_participants (
  room_name text not null,
  identity text not null,
  meeting_id uuid not null references meetings (id) on delete cascade,
  participant_sid text not null,
  state text not null check (state in ('joined', 'left')),
  joined_at timestamptz not null,
  left_at timestamptz,
  -- Published tracks by sid: {"TR_x": {"source": "camera", "type": "video", "muted": false}}.
  tracks jsonb not null default '{}',
  -- When LiveKit created the event last applied; older events arriving late change nothing.
  event_at timestamptz not null,
  updated_at timestamptz not null default now(),
  primary key (room_name, identity)
);
create index room_participants_meeting on room_participants (meeting_id, state);

-- LiveKit may deliver a webhook more than once; an id seen before is acknowledged and ignored.
create table webhook_events (
  id text primary key,
  event text not null,
  received_at timestamptz not null default now()
);

create table breakout_rooms (
  meeting_id uuid not null references meetings (id) on delete cascade,
  number integer not null check (number between 1 and 50),
  name text not null,
  primary key (meeting_id, number)
);

create table breakout_assignments (
  meeting_id uuid not null,
  user_id uuid not null,
  number integer not null,
  primary key (meeting_id, user_id),
  foreign key (meeting_id, number) references breakout_rooms (meeting_id, number) on delete cascade
);

create table recordings (
  id uuid primary key default gen_random_uuid(),
  meeting_id uuid not null references meetings (id) on delete cascade,
  egress_id text not null unique,
  object_key text not null,
  status text not null check (status in ('starting', 'active', 'ending', 'complete', 'failed', 'aborted')),
  error text,
  started_by uuid not null,
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  deleted_at timestamptz
);
create index recordings_meeting on recordings (meeting_id, started_at);
