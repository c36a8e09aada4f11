-- Every charge attempt for an order, declined ones included, and the refund of a capture.
create table payments (
  id text primary key,
  order_id text not null,
  -- A retry with the same key and the same body (same fingerprint) is answered with this
  -- row; the same key with another body is refused.
  idempotency_key text not null unique,
  request_fingerprint text not null,
  payment_method text not null,
  -- bigint: the contract accepts any safe integer, and an amount must never fail as a 500.
  amount_cents bigint not null check (amount_cents > 0),
  currency text not null,
  status text not null check (status in ('CAPTURED', 'DECLINED', 'REFUNDED')),
  decline_code text check (decline_code in ('card_declined', 'insufficient_funds')),
  created_at timestamptz not null default now(),
  refunded_at timestamptz,
  check ((status = 'DECLINED') = (decline_code is not null)),
  check ((status = 'REFUNDED') = (refunded_at is not null))
);

-- An order is captured at most once: a second capture, even one racing the first, conflicts here.
create unique index payments_one_capture_per_order on payments (order_id)
  where status <> 'DECLINED';

create index payments_by_order on payments (order_id, created_at);
