import type { StockLevel } from '@cheesecake/contracts';
import type { Queryable } from '@cheesecake/service-kit';

interface StockRow {
  menu_item_id: string;
  quantity: number;
}

const toStockLevel = (row: StockRow): StockLevel => ({
  menuItemId: row.menu_item_id,
  quantity: row.quantity,
});

/**
 * Locks the stock rows of these dishes until the transaction ends and returns what is left of
 * each. Rows are locked in id order, so two transactions never wait for each other in a cycle.
 */
export async function lockStockLevels(
  db: Queryable,
  menuItemIds: string[],
): Promise<Map<string, number>> {
  const rows = await db.query<StockRow>(
    `select menu_item_id, quantity from stock
     where menu_item_id = any($1::text[])
     order by menu_item_id
     for update`,
    [menuItemIds],
  );
  return new Map(rows.map((row) => [row.menu_item_id, row.quantity]));
}

export async function decreaseStock(
  db: Queryable,
  menuItemId: string,
  portions: number,
): Promise<void> {
  await db.query('update stock set quantity = quantity - $2 where menu_item_id = $1', [
    menuItemId,
    portions,
  ]);
}

/** Adds portions to a dish, creating its row if it has none. */
export async function increaseStock(
  db: Queryable,
  menuItemId: string,
  portions: number,
): Promise<void> {
  await db.query(
    `insert into stock (menu_item_id, quantity) values ($1, $2)
     on conflict (menu_item_id) do update set quantity = stock.quantity + excluded.quantity`,
    [menuItemId, portions],
  );
}

export async function listStockLevels(db: Queryable): Promise<StockLevel[]> {
  const rows = await db.query<StockRow>(
    'select menu_item_id, quantity from stock order by menu_item_id',
  );
  return rows.map(toStockLevel);
}

/** Sets the portions left of a dish the kitchen stocks; undefined when it stocks no such dish. */
export async function setStockLevel(
  db: Queryable,
  menuItemId: string,
  quantity: number,
): Promise<StockLevel | undefined> {
  const rows = await db.query<StockRow>(
    `update stock set quantity = $2 where menu_item_id = $1
     returning menu_item_id, quantity`,
    [menuItemId, quantity],
  );
  return rows[0] && toStockLevel(rows[0]);
}
