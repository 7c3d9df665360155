-- The waiting room: one entry per member who asked to join a meeting whose `waiting_room` setting is on and whose
-- role does not bypass it. `waiting → admitted` and `waiting → denied` are the only transitions; both decisions
-- are final for the meeting (a denial is not reversed; an admitted member who must leave is removed instead).
create table waiting_room_entries (
  meeting_id uuid not null,
  user_id uuid not null,
  status text not null default 'waiting' check (status in ('waiting', 'admitted', 'denied')),
  requested_at timestamptz not null default now(),
  -- The member's latest join while waiting: moderators can tell who is still polling.
  last_seen_at timestamptz not null default now(),
  decided_at timestamptz,
  decided_by uuid,
  primary key (meeting_id, user_id),
  foreign key (meeting_id, user_id) references meeting_members (meeting_id, user_id) on delete cascade,
  constraint waiting_room_entries_decision check ((status = 'waiting') = (decided_at is null))
);
create index waiting_room_entries_queue on waiting_room_entries (meeting_id, status, requested_at);
