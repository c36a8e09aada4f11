import type { StockLevel, StockLevelReport } from '@cheesecake/contracts';
import type { Queryable } from '@cheesecake/service-kit';

interface StockRow {
  menu_item_id: string;
  quantity: number;
  // bigint: node-postgres reads it as a string, PGlite as a number.
  version: number | string;
}

const COLUMNS = 'menu_item_id, quantity, version';

const toStockLevel = (row: StockRow): StockLevel => ({
  menuItemId: row.menu_item_id,
  quantity: row.quantity,
});

const toStockLevelReport = (row: StockRow): StockLevelReport => ({
  ...toStockLevel(row),
  version: Number(row.version),
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
    `select ${COLUMNS} from stock
     where menu_item_id = any($1::text[])
     order by menu_item_id
     for update`,
    [menuItemIds],
  );
  return new Map(rows.map((row) => [row.menu_item_id, row.quantity]));
}

export async function listStockLevels(db: Queryable): Promise<StockLevel[]> {
  const rows = await db.query<StockRow>(`select ${COLUMNS} from stock order by menu_item_id`);
  return rows.map(toStockLevel);
}

/**
 * Changes the portions left of a dish the kitchen stocks, `by` some (negative: takes them) or
 * `to` a quantity, and returns its new level; undefined when it stocks no such dish.
 */
export async function changeStock(
  db: Queryable,
  menuItemId: string,
  change: { by: number } | { to: number },
): Promise<StockLevelReport | undefined> {
  const [quantity, value] = 'by' in change ? ['quantity + $2', change.by] : ['$2', change.to];
  const [row] = await db.query<StockRow>(
    `update stock set quantity = ${quantity}, version = version + 1 where menu_item_id = $1
     returning ${COLUMNS}`,
    [menuItemId, value],
  );
  return row && toStockLevelReport(row);
}
