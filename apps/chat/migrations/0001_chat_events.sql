-- One row per meeting: the last sequence number handed out. Bumping it takes the row lock, so the
-- transactions of one meeting commit in sequence order and a visible seq N implies every seq < N is visible.
create table chat_meetings (
  meeting_id uuid primary key,
  last_seq bigint not null default 0
);

-- The meeting's durable log: messages and the moderation events that change them, all on one sequence.
create table chat_events (
  meeting_id uuid not null,
  seq bigint not null,
  kind text not null check (kind in ('message', 'delete', 'mute', 'unmute')),
  sender_id uuid not null,
  sender_name text not null,
  client_msg_id text not null,
  body text,
  target_seq bigint,
  target_user uuid,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (meeting_id, seq)
);

-- A client retry of the same id is answered from here instead of stored twice.
create unique index chat_events_client_id on chat_events (meeting_id, sender_id, client_msg_id);

-- The cross-shard export of one user's messages walks this index on every shard.
create index chat_events_sender on chat_events (sender_id, created_at desc, meeting_id desc, seq desc)
  where kind = 'message';

create table chat_mutes (
  meeting_id uuid not null,
  user_id uuid not null,
  muted_by uuid not null,
  created_at timestamptz not null default now(),
  primary key (meeting_id, user_id)
);
