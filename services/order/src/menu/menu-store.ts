import type { MenuItem, StockLevelReport } from '@cheesecake/contracts';
import type { Queryable } from '@cheesecake/service-kit';

interface MenuItemRow {
  id: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  available: boolean;
  stock_quantity: number | null;
}

/** A menu item and the portions the kitchen last reported left of it (null: no report yet). */
export interface StockedMenuItem extends MenuItem {
  portionsLeft: number | null;
}

const COLUMNS = 'id, name, description, price_cents, currency, available, stock_quantity';

/** The whole menu, in the order it is shown. */
export async function listMenuItems(db: Queryable): Promise<MenuItem[]> {
  const rows = await db.query<MenuItemRow>(`select ${COLUMNS} from menu_items order by position`);
  return rows.map(toMenuItem);
}

/** The menu items with these ids; unknown ids are left out. */
export async function findMenuItems(db: Queryable, ids: string[]): Promise<StockedMenuItem[]> {
  const rows = await db.query<MenuItemRow>(
    `select ${COLUMNS} from menu_items where id = any($1::text[])`,
    [ids],
  );
  return rows.map((row) => ({ ...toMenuItem(row), portionsLeft: row.stock_quantity }));
}

/**
 * Records the kitchen's report of a dish's stock unless a newer one is recorded already;
 * whether it did, or undefined when the menu has no such dish.
 */
export async function recordStockLevel(
  db: Queryable,
  report: StockLevelReport,
): Promise<boolean | undefined> {
  const updated = await db.query(
    `update menu_items set stock_quantity = $2, stock_version = $3
     where id = $1 and stock_version < $3
     returning id`,
    [report.menuItemId, report.quantity, report.version],
  );
  if (updated.length > 0) return true;
  const known = await db.query('select 1 from menu_items where id = $1', [report.menuItemId]);
  return known.length > 0 ? false : undefined;
}

function toMenuItem(row: MenuItemRow): MenuItem {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    priceCents: row.price_cents,
    currency: row.currency,
    // On sale, and not sold out as far as the kitchen's last report tells.
    available: row.available && row.stock_quantity !== 0,
  };
}
