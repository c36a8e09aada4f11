-- The dishes on sale. The ids are shared with the kitchen's stock, so they never change.
create table menu_items (
  id text primary key,
  name text not null,
  description text not null,
  price_cents integer not null check (price_cents > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  available boolean not null default true,
  position integer not null unique
);

insert into menu_items (id, name, description, price_cents, currency, available, position) values
  ('new-york-cheesecake', 'New York Cheesecake', 'Dense and creamy on a graham cracker crust.', 650, 'USD', true, 1),
  ('basque-burnt-cheesecake', 'Basque Burnt Cheesecake', 'Crustless, caramelised on top, soft in the middle.', 720, 'USD', true, 2),
  ('matcha-cheesecake', 'Matcha Cheesecake', 'Light cheesecake with Uji matcha.', 690, 'USD', true, 3),
  ('strawberry-cheesecake', 'Strawberry Cheesecake', 'Vanilla cheesecake under fresh strawberries.', 680, 'USD', true, 4),
  ('tiramisu', 'Tiramisu', 'Espresso-soaked ladyfingers layered with mascarpone.', 590, 'USD', true, 5),
  ('lemon-tart', 'Lemon Tart', 'Sharp lemon curd in a butter pastry shell.', 520, 'USD', true, 6);

-- One row per order. The lines never change once priced, so they live in the row as jsonb.
create table orders (
  id text primary key,
  -- The number customers and the kitchen call an order by (#100, #101, …).
  number integer not null unique generated always as identity (start with 100),
  customer_id text not null,
  status text not null check (
    status in ('PENDING_PAYMENT', 'PAID', 'PREPARING', 'READY', 'CANCELLED', 'REJECTED')
  ),
  items jsonb not null,
  total_cents integer not null check (total_cents >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  notes text,
  payment_id text,
  ticket_id text,
  -- Part of the idempotency key of the next charge, so a retry reuses the key until a decline.
  declined_payments integer not null default 0 check (declined_payments >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Lists are newest first by number: a customer's own orders, or everyone's by status.
create index orders_by_customer on orders (customer_id, number desc);
create index orders_by_status on orders (status, number desc);
