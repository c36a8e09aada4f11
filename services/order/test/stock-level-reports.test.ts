import { Menu, Order, type StockLevelReport, StockLevelReportAck } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { asCustomer, asService, newCustomerId, useOrderService } from './support.js';

const service = useOrderService();

/** Sends the kitchen's report of a dish's stock, as its outbox would; the dish is reset after the test. */
async function reportStock(report: StockLevelReport) {
  onTestFinished(async () => {
    await service.db.query(
      'update menu_items set stock_quantity = null, stock_version = 0 where id = $1',
      [report.menuItemId],
    );
  });
  return request(service.app).post('/stock-level-reports').use(asService('kitchen')).send(report);
}

async function availabilityOf(menuItemId: string): Promise<boolean | undefined> {
  const res = await request(service.app).get('/menu').use(asService('gateway'));
  return Menu.parse(res.body).items.find((item) => item.id === menuItemId)?.available;
}

const ordersOf = async (customerId: string) =>
  (
    await service.db.query<{ count: number }>(
      'select count(*)::int as count from orders where customer_id = $1',
      [customerId],
    )
  )[0]?.count;

describe('POST /stock-level-reports', () => {
  it('shows a dish the kitchen reports sold out as unavailable, and available again once restocked', async () => {
    const soldOut = await reportStock({ menuItemId: 'tiramisu', quantity: 0, version: 2 });
    const whileSoldOut = await availabilityOf('tiramisu');
    const restocked = await reportStock({ menuItemId: 'tiramisu', quantity: 4, version: 3 });

    expect(StockLevelReportAck.parse(soldOut.body)).toEqual({ applied: true });
    expect(StockLevelReportAck.parse(restocked.body)).toEqual({ applied: true });
    expect(whileSoldOut).toBe(false);
    expect(await availabilityOf('tiramisu')).toBe(true);
  });

  it('keeps the newest report when an older one arrives after it', async () => {
    await reportStock({ menuItemId: 'matcha-cheesecake', quantity: 0, version: 7 });

    const late = await reportStock({ menuItemId: 'matcha-cheesecake', quantity: 9, version: 6 });
    const again = await reportStock({ menuItemId: 'matcha-cheesecake', quantity: 0, version: 7 });

    expect(StockLevelReportAck.parse(late.body)).toEqual({ applied: false });
    expect(StockLevelReportAck.parse(again.body)).toEqual({ applied: false });
    expect(await availabilityOf('matcha-cheesecake')).toBe(false);
  });

  it('returns 404 menu-item-not-found for a dish the menu does not have', async () => {
    const res = await reportStock({ menuItemId: 'carrot-cake', quantity: 0, version: 2 });

    const problem = expectProblem(res, 404, 'menu-item-not-found');
    expect(problem.detail).toContain('carrot-cake');
  });

  it('returns 400 for a negative quantity, changing nothing', async () => {
    const res = await reportStock({ menuItemId: 'lemon-tart', quantity: -1, version: 2 });

    expectProblem(res, 400, 'validation');
    expect(await availabilityOf('lemon-tart')).toBe(true);
  });

  it('returns 403 to the gateway and to a customer, changing nothing', async () => {
    const report = { menuItemId: 'lemon-tart', quantity: 0, version: 2 };

    const fromGateway = await request(service.app)
      .post('/stock-level-reports')
      .use(asService('gateway'))
      .send(report);
    const fromCustomer = await request(service.app)
      .post('/stock-level-reports')
      .use(asCustomer(newCustomerId()))
      .send(report);

    expectProblem(fromGateway, 403, 'forbidden');
    expectProblem(fromCustomer, 403, 'forbidden');
    expect(await availabilityOf('lemon-tart')).toBe(true);
  });
});

describe('POST /orders against the kitchen stock', () => {
  const order = (customerId: string, lines: { menuItemId: string; quantity: number }[]) =>
    request(service.app).post('/orders').use(asCustomer(customerId)).send({ items: lines });

  it('returns 409 menu-item-unavailable and stores nothing when the kitchen reported the dish sold out', async () => {
    const customerId = newCustomerId();
    await reportStock({ menuItemId: 'lemon-tart', quantity: 0, version: 2 });

    const res = await order(customerId, [{ menuItemId: 'lemon-tart', quantity: 1 }]);

    const problem = expectProblem(res, 409, 'menu-item-unavailable');
    expect(problem.menuItemIds).toEqual(['lemon-tart']);
    expect(await ordersOf(customerId)).toBe(0);
  });

  it('returns 409 when the lines of a dish ask for more portions than the kitchen has left', async () => {
    const customerId = newCustomerId();
    await reportStock({ menuItemId: 'strawberry-cheesecake', quantity: 3, version: 2 });

    const res = await order(customerId, [
      { menuItemId: 'strawberry-cheesecake', quantity: 2 },
      { menuItemId: 'new-york-cheesecake', quantity: 1 },
      { menuItemId: 'strawberry-cheesecake', quantity: 2 },
    ]);

    const problem = expectProblem(res, 409, 'menu-item-unavailable');
    expect(problem.menuItemIds).toEqual(['strawberry-cheesecake']);
    expect(await ordersOf(customerId)).toBe(0);
  });

  it('places an order for exactly the portions the kitchen has left', async () => {
    const customerId = newCustomerId();
    await reportStock({ menuItemId: 'basque-burnt-cheesecake', quantity: 2, version: 2 });

    const res = await order(customerId, [{ menuItemId: 'basque-burnt-cheesecake', quantity: 2 }]);

    expect(res.status).toBe(201);
    expect(Order.parse(res.body).status).toBe('PENDING_PAYMENT');
    expect(await ordersOf(customerId)).toBe(1);
  });
});
