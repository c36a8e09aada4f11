import type { StockLevel, TicketLine } from '@cheesecake/contracts';
import type { Queryable } from '@cheesecake/service-kit';
import { DishNotStockedError } from '../errors.js';
import type { ReportedChanges } from '../reports/reported-changes.js';
import { reportStockLevel } from '../reports/stock-reports.js';
import { changeStock, listStockLevels, lockStockLevels } from './stock-store.js';

/** How many portions of each dish a ticket needs. */
export type Portions = Map<string, number>;

/** The portions a ticket's lines add up to (a dish may appear on several lines), by dish id. */
export function portionsOf(items: TicketLine[]): Portions {
  const portions: Portions = new Map();
  const byDish = [...items].sort((a, b) => (a.menuItemId < b.menuItemId ? -1 : 1));
  for (const line of byDish) {
    portions.set(line.menuItemId, (portions.get(line.menuItemId) ?? 0) + line.quantity);
  }
  return portions;
}

/**
 * Locks the stock of these dishes for the rest of the transaction and describes each dish that
 * has fewer portions left than asked, such as "lemon-tart (2 asked, 0 left)". A dish the
 * kitchen has never stocked has none left.
 */
export async function findShortages(tx: Queryable, portions: Portions): Promise<string[]> {
  const left = await lockStockLevels(tx, [...portions.keys()]);
  const shortages: string[] = [];
  for (const [menuItemId, asked] of portions) {
    const available = left.get(menuItemId) ?? 0;
    if (asked > available) shortages.push(`${menuItemId} (${asked} asked, ${available} left)`);
  }
  return shortages;
}

/**
 * Takes the portions and reports the new levels; call it after {@link findShortages} found
 * none, in the same transaction.
 */
export async function takePortions(
  tx: Queryable,
  portions: Portions,
  requestId: string,
): Promise<void> {
  for (const [menuItemId, quantity] of portions) {
    await changeLevel(tx, menuItemId, -quantity, requestId);
  }
}

/** Puts back the portions of a ticket that will not be prepared, and reports the new levels. */
export async function returnPortions(
  tx: Queryable,
  portions: Portions,
  requestId: string,
): Promise<void> {
  // Locked first, in the same order as findShortages does, so the two never deadlock.
  await lockStockLevels(tx, [...portions.keys()]);
  for (const [menuItemId, quantity] of portions) {
    await changeLevel(tx, menuItemId, quantity, requestId);
  }
}

async function changeLevel(tx: Queryable, menuItemId: string, portions: number, requestId: string) {
  const level = await changeStock(tx, menuItemId, { by: portions });
  // A ticket only takes portions of dishes found in stock, so the row is there.
  if (!level) throw new Error(`The stock of ${menuItemId} vanished`);
  await reportStockLevel(tx, level, requestId);
}

/** What the kitchen staff see and set of the stock. */
export class Stock {
  readonly #changes: ReportedChanges;

  constructor(changes: ReportedChanges) {
    this.#changes = changes;
  }

  list(): Promise<StockLevel[]> {
    return listStockLevels(this.#changes.db);
  }

  /**
   * Sets the portions left of a dish. Only of one the kitchen stocks (the menu's, from its
   * migrations): stock of a dish nobody can order would be a typo kept forever.
   */
  async set(menuItemId: string, quantity: number, requestId: string): Promise<StockLevel> {
    const level = await this.#changes.run(async (tx) => {
      const changed = await changeStock(tx, menuItemId, { to: quantity });
      if (!changed) throw new DishNotStockedError(menuItemId);
      await reportStockLevel(tx, changed, requestId);
      return changed;
    });
    return { menuItemId: level.menuItemId, quantity: level.quantity };
  }
}
