-- Every change of a dish's stock is reported to the order service through the outbox. The
-- version counts the changes, so the order service keeps the newest report whatever order
-- the reports arrive in.
alter table stock add column version bigint not null default 1 check (version >= 1);
