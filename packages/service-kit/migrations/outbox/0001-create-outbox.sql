-- Messages a service has promised to deliver, written in the same transaction as the
-- change that caused them and delivered by the relay until the receiver says 2xx.
create table outbox (
  id text primary key,
  destination text not null,
  payload jsonb not null,
  request_id text,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz
);

create index outbox_due on outbox (next_attempt_at) where status = 'pending';
