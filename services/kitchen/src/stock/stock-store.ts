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

/**
 * Adds `portions` (negative: takes them) to a dish the kitchen stocks and returns its new
 * level; undefined when it stocks no such dish.
 */
export function changeStock(
  db: Queryable,
  menuItemId: string,
  portions: number,
): Promise<StockLevelReport | undefined> {
  return updateStock(db, menuItemId, 'quantity + $2', portions);
}

export async function listStockLevels(db: Queryable): Promise<StockLevel[]> {
  const rows = await db.query<StockRow>(`select ${COLUMNS} from stock order by menu_item_id`);
  return rows.map(toStockLevel);
}

/** Sets the portions left of a dish the kitchen stocks; undefined when it stocks no such dish. */
export function setStockLevel(
  db: Queryable,
  menuItemId: string,
  quantity: number,
): Promise<StockLevelReport | undefined> {
  return updateStock(db, menuItemId, '$2', quantity);
}

/** Sets a dish's quantity to `newQuantity`, an expression of its old one and `$2`. */
async function updateStock(
  db: Queryable,
  menuItemId: string,
  newQuantity: string,
  value: number,
): Promise<StockLevelReport | undefined> {
  const [row] = await db.query<StockRow>(
    `update stock set quantity = ${newQuantity}, version = version + 1 where menu_item_id = $1
     returning ${COLUMNS}`,
    [menuItemId, value],
  );
  return row && toStockLevelReport(row);
}
