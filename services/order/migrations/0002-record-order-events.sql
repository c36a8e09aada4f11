-- Every step of an order's saga, written in the same transaction as the change it describes:
-- the order's timeline, and (the steps that changed its status) the events of its live status
-- streams, whose ids are this table's.
create table order_events (
  id bigint generated always as identity primary key,
  order_id text not null references orders (id),
  step text not null check (
    step in ('order.placed', 'payment.captured', 'payment.declined', 'ticket.delivery-failed',
      'ticket.delivered', 'kitchen.status', 'order.cancelled', 'refund.requested',
      'refund.completed')
  ),
  -- The order's status once the step was taken.
  order_status text not null check (
    order_status in ('PENDING_PAYMENT', 'PAID', 'PREPARING', 'READY', 'CANCELLED', 'REJECTED')
  ),
  -- Whether this step moved the order to a new status (placing it included).
  status_changed boolean not null,
  detail text not null,
  request_id text,
  payment_id text,
  ticket_id text,
  ticket_status text check (
    ticket_status in ('QUEUED', 'PREPARING', 'READY', 'REJECTED', 'CANCELLED')
  ),
  attempt integer check (attempt >= 1),
  -- The time of the step itself, not of the start of its transaction.
  at timestamptz not null default clock_timestamp()
);

-- An order's timeline and stream: its steps in order.
create index order_events_by_order on order_events (order_id, id);
-- Every order's stream: the status changes in order.
create index order_status_changes on order_events (id) where status_changed;

-- Orders placed before this table existed get one step carrying their current status, so that
-- their streams start from it like any other order's.
insert into order_events (order_id, step, order_status, status_changed, detail, payment_id, ticket_id, at)
select id, 'order.placed', status, true,
  'Placed before the order service kept a timeline; ' || status || ' when it began',
  payment_id, ticket_id, updated_at
from orders
order by number;
