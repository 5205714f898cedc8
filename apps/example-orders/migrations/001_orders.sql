-- The example app's own tables. Run at start by src/run-orders-migrations.ts
-- (plain SQL, idempotent), NOT by graphile-migrate: graphile-migrate keeps one
-- bookkeeping schema per database, and Postbox's own migrations use it.

create table if not exists orders (
  id bigint generated always as identity primary key,
  customer text not null,
  amount_cents int not null check (amount_cents > 0),
  status text not null default 'placed'
    check (status in ('placed', 'paid', 'shipped', 'payment_failed')),
  failure_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Deliberately no unique (order_id) here or on shipments: the exactly-once
-- handlers (Postbox's inbox, committed with the effects) are what keeps it to
-- one payment and one shipment per order, and the example's end-to-end test
-- counts rows to prove it. A production schema would add the constraint too.
create table if not exists payments (
  id bigint generated always as identity primary key,
  order_id bigint not null references orders (id),
  amount_cents int not null,
  captured_at timestamptz not null default now()
);
create index if not exists payments_order_idx on payments (order_id);

create table if not exists shipments (
  id bigint generated always as identity primary key,
  order_id bigint not null references orders (id),
  payment_id bigint not null references payments (id),
  created_at timestamptz not null default now()
);
create index if not exists shipments_order_idx on shipments (order_id);
