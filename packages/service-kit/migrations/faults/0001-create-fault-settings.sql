-- The faults an operator injects into this service (`PUT /ops/faults`): one row at most, which
-- every replica of the service reads, so a fault set through any of them reaches them all.
-- No row means no faults.
create table fault_settings (
  id boolean primary key default true check (id),
  failure_rate double precision not null check (failure_rate between 0 and 1),
  latency_ms integer not null check (latency_ms >= 0),
  updated_at timestamptz not null default now()
);
