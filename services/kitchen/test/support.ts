import {
  type CreateTicketRequest,
  type Role,
  type StockLevelReport,
  StockList,
  type TicketStatusReport,
} from '@cheesecake/contracts';
import {
  type Database,
  FAULT_MIGRATIONS,
  type Logger,
  newId,
  OUTBOX_MIGRATIONS,
} from '@cheesecake/service-kit';
import {
  internalCredential,
  openTestDatabase,
  silentLogger,
  TEST_INTERNAL_SECRET,
  useFixture,
} from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import request from 'supertest';
import { createApp, KITCHEN_MIGRATIONS } from '../src/app.js';
import { TICKET_STATUS_DESTINATION } from '../src/reports/status-reports.js';
import { STOCK_LEVEL_DESTINATION } from '../src/reports/stock-reports.js';

export const log: Logger = silentLogger();

/** The kitchen app under test and the migrated in-memory database it runs on. */
export interface KitchenService {
  db: Database;
  app: Express;
}

/** A kitchen for the tests of this file (or describe block): built before they run, closed after. */
export function useKitchenService(): KitchenService {
  return useFixture(
    async () => {
      const db = await openTestDatabase([OUTBOX_MIGRATIONS, FAULT_MIGRATIONS, KITCHEN_MIGRATIONS]);
      // Its reports stay in the outbox, where tests read them.
      const app = createApp({
        db,
        log,
        reports: { wake: () => {} },
        internalTokenSecret: TEST_INTERNAL_SECRET,
        bodyLimit: '100kb',
      });
      return { db, app };
    },
    (service) => service.db.close(),
  );
}

/** The credential of the order service calling the kitchen on its own behalf. */
export const asOrderService = () => internalCredential({ issuer: 'order', audience: 'kitchen' });

/** The credential of the gateway calling for no user, as when it composes an order view. */
export const asGateway = () => internalCredential({ issuer: 'gateway', audience: 'kitchen' });

/** The credential of the gateway calling on behalf of a user with `role`. */
export const asUser = (role: Role) =>
  internalCredential({
    issuer: 'gateway',
    audience: 'kitchen',
    user: { id: `usr_${role}`, role },
  });

/** A paid order's ticket request for one dish, with an order id of its own. */
export function ticketRequest(
  menuItemId: string,
  quantity = 1,
  overrides: Partial<CreateTicketRequest> = {},
): CreateTicketRequest {
  return {
    orderId: newId('ord'),
    orderNumber: 7,
    items: [{ menuItemId, name: `Dish ${menuItemId}`, quantity }],
    notes: null,
    ...overrides,
  };
}

/** A dish id no other test uses, so a test owns its stock. */
export const uniqueDish = () => `test-dish-${newId('d').slice(2, 14)}`;

/** The status reports waiting in the outbox for a ticket, oldest first. */
export async function reportsFor(db: Database, ticketId: string): Promise<TicketStatusReport[]> {
  const rows = await db.query<{ payload: TicketStatusReport }>(
    `select payload from outbox where destination = $1 and payload->>'ticketId' = $2
     order by created_at, id`,
    [TICKET_STATUS_DESTINATION, ticketId],
  );
  return rows.map((row) => row.payload);
}

/** The stock level reports waiting in the outbox for a dish, oldest first. */
export async function stockReportsFor(
  db: Database,
  menuItemId: string,
): Promise<StockLevelReport[]> {
  const rows = await db.query<{ payload: StockLevelReport }>(
    `select payload from outbox where destination = $1 and payload->>'menuItemId' = $2
     order by created_at, id`,
    [STOCK_LEVEL_DESTINATION, menuItemId],
  );
  return rows.map((row) => row.payload);
}

/** Stocks a dish of its own with `quantity` portions, through the staff API, and returns its id. */
export async function stockedDish({ db, app }: KitchenService, quantity: number): Promise<string> {
  const menuItemId = uniqueDish();
  // The kitchen stocks only its own dishes, which its migrations list: a new one is a new row.
  await db.query('insert into stock (menu_item_id, quantity) values ($1, 0)', [menuItemId]);
  const res = await request(app)
    .put(`/stock/${menuItemId}`)
    .use(asUser('kitchen'))
    .send({ quantity });
  if (res.status !== 200) throw new Error(`stocking ${menuItemId} answered ${res.status}`);
  return menuItemId;
}

/** The portions left of a dish, as the staff API lists them. */
export async function stockOf(app: Express, menuItemId: string): Promise<number | undefined> {
  const res = await request(app).get('/stock').use(asUser('kitchen'));
  return StockList.parse(res.body).items.find((level) => level.menuItemId === menuItemId)?.quantity;
}
