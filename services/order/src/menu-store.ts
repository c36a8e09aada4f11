import type { MenuItem } from '@cheesecake/contracts';
import type { Queryable } from '@cheesecake/service-kit';

interface MenuItemRow {
  id: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  available: boolean;
}

const COLUMNS = 'id, name, description, price_cents, currency, available';

/** The whole menu, in the order it is shown. */
export async function listMenuItems(db: Queryable): Promise<MenuItem[]> {
  const rows = await db.query<MenuItemRow>(`select ${COLUMNS} from menu_items order by position`);
  return rows.map(toMenuItem);
}

/** The menu items with these ids; unknown ids are left out. */
export async function findMenuItems(db: Queryable, ids: string[]): Promise<MenuItem[]> {
  const rows = await db.query<MenuItemRow>(
    `select ${COLUMNS} from menu_items where id = any($1::text[])`,
    [ids],
  );
  return rows.map(toMenuItem);
}

function toMenuItem(row: MenuItemRow): MenuItem {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    priceCents: row.price_cents,
    currency: row.currency,
    available: row.available,
  };
}
