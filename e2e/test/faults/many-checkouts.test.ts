import { type Order, OrderPage, PaymentList, TicketList } from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, eventually, expectBody, GatewayClient } from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';
import { asGateway, checkout } from './support.js';

let stack: Stack;
let customers: GatewayClient[];
let kai: GatewayClient;

beforeAll(async () => {
  // Quick preparation and many stations: the kitchen is not what this measures.
  stack = await startStack({
    KITCHEN_START_DELAY_MS: '0',
    KITCHEN_PREPARATION_MS: '100',
    KITCHEN_STATIONS: '50',
  });
  const anonymous = new GatewayClient(stack.gatewayUrl);
  customers = await Promise.all([anonymous.as('alice'), anonymous.as('bob')]);
  kai = await anonymous.as('kai');
});
afterAll(() => stack?.stop());

const CHECKOUTS = 1_000;

/** The ids of every order in `status`, read page by page as the kitchen sees them. */
async function idsInStatus(status: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const query: string = `status=${status}&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
    const page = expectBody(await kai.get(`/api/orders?${query}`), 200, OrderPage);
    for (const order of page.items) ids.add(order.id);
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

describe(`${CHECKOUTS} checkouts at once`, () => {
  it('accounts for every one: each order READY, charged once, with one ticket', async () => {
    // Enough cheesecakes that none is rejected as sold out.
    const stocked = await kai.put('/api/kitchen/stock/new-york-cheesecake', {
      quantity: CHECKOUTS * 2,
    });
    expect(stocked.status).toBe(200);

    const orders: Order[] = await Promise.all(
      Array.from({ length: CHECKOUTS }, (_, n) =>
        checkout(customers[n % customers.length] as GatewayClient),
      ),
    );

    const ids = orders.map((order) => order.id);
    expect(new Set(ids).size).toBe(CHECKOUTS);
    await eventually(
      () => idsInStatus('READY'),
      (ready) => ids.every((id) => ready.has(id)),
      300_000,
    );
    const readsOf = (service: 'payment' | 'kitchen', collection: string) =>
      Promise.all(
        ids.map(async (id) => {
          const path = `/${collection}?orderId=${id}`;
          return { path, headers: await asGateway(service, 'GET', path) };
        }),
      );
    const payments = await stack.readService('payment', await readsOf('payment', 'payments'));
    const tickets = await stack.readService('kitchen', await readsOf('kitchen', 'tickets'));
    orders.forEach((order, n) => {
      const paid = expectBody(payments[n] as Answer, 200, PaymentList).items;
      expect(paid.map((payment) => [payment.orderId, payment.status])).toEqual([
        [order.id, 'CAPTURED'],
      ]);
      expect(paid[0]?.amountCents).toBe(order.totalCents);
      const made = expectBody(tickets[n] as Answer, 200, TicketList).items;
      expect(made.map((ticket) => [ticket.orderId, ticket.status])).toEqual([[order.id, 'READY']]);
    });
  });
});
