import { StockLevel, StockList } from '@cheesecake/contracts';
import { expectProblem, type TestCredential } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  asGateway,
  asOrderService,
  asUser,
  stockedDish,
  stockOf,
  stockReportsFor,
  ticketRequest,
  uniqueDish,
  useKitchenService,
} from './support.js';

const service = useKitchenService();

describe('GET /stock', () => {
  it('lists 100 portions of each dish on the menu in a new kitchen', async () => {
    const res = await request(service.app).get('/stock').use(asUser('kitchen'));

    expect(res.status).toBe(200);
    expect(StockList.parse(res.body).items).toEqual(
      expect.arrayContaining(
        [
          'new-york-cheesecake',
          'basque-burnt-cheesecake',
          'matcha-cheesecake',
          'strawberry-cheesecake',
          'tiramisu',
          'lemon-tart',
        ].map((menuItemId) => ({ menuItemId, quantity: 100 })),
      ),
    );
  });

  it('returns 403 to a customer', async () => {
    const res = await request(service.app).get('/stock').use(asUser('customer'));

    expectProblem(res, 403, 'forbidden');
  });
});

describe('PUT /stock/:menuItemId', () => {
  it('sets the portions left of a dish the kitchen makes, again and again', async () => {
    const menuItemId = await stockedDish(service, 3);
    const put = async (quantity: number) =>
      request(service.app).put(`/stock/${menuItemId}`).use(asUser('admin')).send({ quantity });

    const set = await put(12);
    const emptied = await put(0);

    expect(StockLevel.parse(set.body)).toEqual({ menuItemId, quantity: 12 });
    expect(StockLevel.parse(emptied.body)).toEqual({ menuItemId, quantity: 0 });
    expect(await stockOf(service.app, menuItemId)).toBe(0);
  });

  it('returns 404 dish-not-stocked for a dish the kitchen does not make, and stocks nothing', async () => {
    const menuItemId = uniqueDish();

    const res = await request(service.app)
      .put(`/stock/${menuItemId}`)
      .use(asUser('kitchen'))
      .send({ quantity: 5 });

    expectProblem(res, 404, 'dish-not-stocked');
    expect(await stockOf(service.app, menuItemId)).toBeUndefined();
  });

  it('returns 400 and changes nothing for a negative quantity', async () => {
    const menuItemId = uniqueDish();

    const res = await request(service.app)
      .put(`/stock/${menuItemId}`)
      .use(asUser('kitchen'))
      .send({ quantity: -1 });

    expectProblem(res, 400, 'validation');
    expect(await stockOf(service.app, menuItemId)).toBeUndefined();
  });

  it('returns 400 for a dish id that is not a slug', async () => {
    const res = await request(service.app)
      .put('/stock/Lemon%20Tart')
      .use(asUser('kitchen'))
      .send({ quantity: 1 });

    expectProblem(res, 400, 'validation');
  });

  it('returns 403 to a customer and 401 to a service acting for no user, changing nothing', async () => {
    const menuItemId = uniqueDish();
    const put = async (credential: TestCredential) =>
      request(service.app).put(`/stock/${menuItemId}`).use(credential).send({ quantity: 5 });

    const asCustomer = await put(asUser('customer'));
    const asService = await put(asGateway());

    expectProblem(asCustomer, 403, 'forbidden');
    expectProblem(asService, 401, 'unauthenticated');
    expect(await stockOf(service.app, menuItemId)).toBeUndefined();
  });
});

describe('stock level reports to the order service', () => {
  const putStock = (menuItemId: string, quantity: number) =>
    request(service.app).put(`/stock/${menuItemId}`).use(asUser('kitchen')).send({ quantity });

  it('reports every level the staff set, each with a higher version', async () => {
    const menuItemId = await stockedDish(service, 3);

    await putStock(menuItemId, 0);
    await putStock(menuItemId, 8);

    const reports = await stockReportsFor(service.db, menuItemId);
    expect(reports.map(({ quantity }) => quantity)).toEqual([3, 0, 8]);
    const versions = reports.map(({ version }) => version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(3);
  });

  it('reports the portions a queued ticket takes and a cancelled one gives back', async () => {
    const menuItemId = await stockedDish(service, 5);
    const ticket = ticketRequest(menuItemId, 2);

    const created = await request(service.app).post('/tickets').use(asOrderService()).send(ticket);
    const cancelled = await request(service.app)
      .post(`/tickets/by-order/${ticket.orderId}/cancel`)
      .use(asOrderService())
      .send({ orderNumber: ticket.orderNumber });

    expect([created.status, cancelled.status]).toEqual([201, 200]);
    const reports = await stockReportsFor(service.db, menuItemId);
    expect(reports.map(({ quantity }) => quantity)).toEqual([5, 3, 5]);
  });

  it('reports nothing when a ticket is rejected as sold out or a dish is not stocked', async () => {
    const menuItemId = await stockedDish(service, 1);
    const unknown = uniqueDish();

    const rejected = await request(service.app)
      .post('/tickets')
      .use(asOrderService())
      .send(ticketRequest(menuItemId, 2));
    const notStocked = await putStock(unknown, 4);

    expect(rejected.body).toMatchObject({ status: 'REJECTED' });
    expect(notStocked.status).toBe(404);
    expect((await stockReportsFor(service.db, menuItemId)).map(({ quantity }) => quantity)).toEqual(
      [1],
    );
    expect(await stockReportsFor(service.db, unknown)).toEqual([]);
  });
});
