-- The kitchen's stock of each dish, as its last report said: null until it has reported. A
-- dish with no portions left is shown unavailable and cannot be ordered. The version is the
-- kitchen's count of the dish's changes, so an older report arriving late changes nothing.
alter table menu_items
  add column stock_quantity integer check (stock_quantity >= 0),
  add column stock_version bigint not null default 0;
