-- One ticket per paid order. A cancellation that arrives before the order's ticket stores a
-- CANCELLED placeholder with no items, so the ticket that arrives later finds it here.
create table tickets (
  id text primary key,
  order_id text not null unique,
  -- bigint: the contract accepts any safe integer, and an order number must never fail as a 500.
  order_number bigint not null check (order_number >= 1),
  status text not null check (status in ('QUEUED', 'PREPARING', 'READY', 'REJECTED', 'CANCELLED')),
  items jsonb not null,
  notes text,
  rejection_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  ready_at timestamptz,
  check ((status = 'REJECTED') = (rejection_reason is not null))
);

-- Preparation looks for the oldest tickets of a status.
create index tickets_by_status on tickets (status, created_at);

-- Portions left of each dish. A ticket takes its portions when it is queued and gives them
-- back when it is cancelled while still queued.
create table stock (
  menu_item_id text primary key,
  quantity integer not null check (quantity >= 0)
);

-- The ids are the order service's menu item ids.
insert into stock (menu_item_id, quantity) values
  ('new-york-cheesecake', 100),
  ('basque-burnt-cheesecake', 100),
  ('matcha-cheesecake', 100),
  ('strawberry-cheesecake', 100),
  ('tiramisu', 100),
  ('lemon-tart', 100);
