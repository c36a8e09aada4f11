-- The requests made under an Idempotency-Key, and the answers to replay when they come again.
create table idempotency_keys (
  -- Whose key this is and for which route, such as `usr_1 POST /orders/:orderId/payment`.
  scope text not null,
  key text not null,
  -- sha256 of the method, the path with its parameters and the body: the same key with
  -- another request is refused.
  fingerprint text not null,
  state text not null check (state in ('in_flight', 'completed')),
  -- The request running under the key, and until when it holds it: a holder that crashed
  -- leaves the key to be taken over once its lease has run out.
  holder text,
  locked_until timestamptz,
  response_status integer,
  response_headers jsonb,
  -- json, not jsonb, so a replayed body keeps the key order of the first answer.
  response_body json,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (scope, key),
  check ((state = 'in_flight') = (holder is not null and locked_until is not null)),
  check ((state = 'completed') = (response_status is not null))
);

create index idempotency_keys_expiry on idempotency_keys (expires_at);
