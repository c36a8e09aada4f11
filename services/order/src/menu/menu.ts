import type { Menu, OrderLine, OrderLineRequest, StockLevelReport } from '@cheesecake/contracts';
import type { Queryable } from '@cheesecake/service-kit';
import {
  MenuItemNotFoundError,
  MenuItemUnavailableError,
  UnknownMenuItemError,
} from '../errors.js';
import {
  findMenuItems,
  listMenuItems,
  recordStockLevel,
  type StockedMenuItem,
} from './menu-store.js';

/** The lines of a new order, priced from the menu, and their total. */
export interface PricedLines {
  lines: OrderLine[];
  totalCents: number;
  currency: string;
}

/** The menu: what is on sale, and at what price. */
export class MenuCatalog {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Everything on the menu, with prices and availability, in the order it is shown. */
  async getMenu(): Promise<Menu> {
    return { items: await listMenuItems(this.#db) };
  }

  /**
   * Follows the kitchen's stock: a dish it reports sold out is shown unavailable until it
   * reports portions again. Whether the report was newer than the last one recorded.
   */
  async recordStockLevel(report: StockLevelReport): Promise<boolean> {
    const applied = await recordStockLevel(this.#db, report);
    if (applied === undefined) throw new MenuItemNotFoundError(report.menuItemId);
    return applied;
  }

  /**
   * Prices each requested line from the menu (never from the client). A dish the menu does not
   * have fails it as invalid input; one it does not sell now, or of which the kitchen has fewer
   * portions left than asked, as unavailable. The kitchen's own check when the ticket arrives
   * still decides: its stock may have changed since it last reported.
   */
  async priceLines(requested: OrderLineRequest[]): Promise<PricedLines> {
    const ids = [...new Set(requested.map((line) => line.menuItemId))];
    const known = new Map((await findMenuItems(this.#db, ids)).map((item) => [item.id, item]));

    const unknownLines = requested.flatMap(({ menuItemId }, index) =>
      known.has(menuItemId) ? [] : [{ index, menuItemId }],
    );
    if (unknownLines.length > 0) throw new UnknownMenuItemError(unknownLines);
    const unavailable = ids.filter((id) => !canSell(known.get(id), portionsAsked(requested, id)));
    if (unavailable.length > 0) throw new MenuItemUnavailableError(unavailable);

    const lines: OrderLine[] = [];
    const currencies = new Set<string>();
    for (const { menuItemId, quantity } of requested) {
      const item = known.get(menuItemId);
      if (!item) continue;
      currencies.add(item.currency);
      lines.push({
        menuItemId,
        name: item.name,
        quantity,
        unitPriceCents: item.priceCents,
        lineTotalCents: item.priceCents * quantity,
      });
    }
    const [currency, ...others] = currencies;
    // A total across currencies would mean nothing; the menu is priced in one.
    if (!currency || others.length > 0) throw new Error('The menu is not priced in one currency');
    return {
      lines,
      totalCents: lines.reduce((sum, line) => sum + line.lineTotalCents, 0),
      currency,
    };
  }
}

function portionsAsked(requested: OrderLineRequest[], menuItemId: string): number {
  return requested.reduce(
    (sum, line) => sum + (line.menuItemId === menuItemId ? line.quantity : 0),
    0,
  );
}

function canSell(item: StockedMenuItem | undefined, portions: number): boolean {
  if (!item?.available) return false;
  return item.portionsLeft === null || item.portionsLeft >= portions;
}
