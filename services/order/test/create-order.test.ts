import { Order } from '@cheesecake/contracts';
import { expectProblem, forgetSpans, servedSpan } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  asCustomer,
  asService,
  asStaff,
  newCustomerId,
  ONE_CHEESECAKE,
  placeOrder,
  storedOrder,
  useOrderService,
} from './support.js';

describe('POST /orders', () => {
  const service = useOrderService();

  const ordersOf = async (customerId: string) =>
    (
      await service.db.query<{ count: number }>(
        'select count(*)::int as count from orders where customer_id = $1',
        [customerId],
      )
    )[0]?.count;

  it("records the new order's id and number on the request's span", async () => {
    forgetSpans();

    const order = await placeOrder(service.app, newCustomerId());

    expect(servedSpan('/orders')?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 201,
      'cheesecake.order.id': order.id,
      'cheesecake.order.number': order.number,
    });
  });

  it('returns 201 with its Location and the order priced from the menu, awaiting payment', async () => {
    const customerId = newCustomerId();

    const res = await request(service.app)
      .post('/orders')
      .use(asCustomer(customerId))
      .send({
        items: [
          { menuItemId: 'basque-burnt-cheesecake', quantity: 2 },
          { menuItemId: 'lemon-tart', quantity: 1 },
        ],
        notes: 'No candles',
      });

    expect(res.status).toBe(201);
    const order = Order.parse(res.body);
    expect(res.headers.location).toBe(`/orders/${order.id}`);
    expect(order).toMatchObject({
      customerId,
      status: 'PENDING_PAYMENT',
      totalCents: 2 * 720 + 520,
      currency: 'USD',
      notes: 'No candles',
      paymentId: null,
      ticketId: null,
    });
    expect(order.items).toEqual([
      {
        menuItemId: 'basque-burnt-cheesecake',
        name: 'Basque Burnt Cheesecake',
        quantity: 2,
        unitPriceCents: 720,
        lineTotalCents: 1440,
      },
      {
        menuItemId: 'lemon-tart',
        name: 'Lemon Tart',
        quantity: 1,
        unitPriceCents: 520,
        lineTotalCents: 520,
      },
    ]);
    expect(order.id).toMatch(/^ord_/);
    expect(order.number).toBeGreaterThanOrEqual(100);
    expect(await storedOrder(service.db, order.id)).toEqual(order);
  });

  it('numbers orders one after another', async () => {
    const customerId = newCustomerId();

    const first = await placeOrder(service.app, customerId);
    const second = await placeOrder(service.app, customerId);

    expect(second.number).toBe(first.number + 1);
  });

  it('returns 400 and stores nothing when the client sets the status or the total itself', async () => {
    const customerId = newCustomerId();

    const res = await request(service.app)
      .post('/orders')
      .use(asCustomer(customerId))
      .send({ ...ONE_CHEESECAKE, status: 'PAID', totalCents: 1 });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.detail).toMatch(/status/);
    expect(problem.detail).toMatch(/totalCents/);
    expect(await ordersOf(customerId)).toBe(0);
  });

  it('returns 400 and stores nothing for an order without items', async () => {
    const customerId = newCustomerId();

    const res = await request(service.app)
      .post('/orders')
      .use(asCustomer(customerId))
      .send({ items: [] });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path)).toEqual(['body.items']);
    expect(await ordersOf(customerId)).toBe(0);
  });

  it('returns 400 and stores nothing for notes with a NUL character', async () => {
    const customerId = newCustomerId();

    const res = await request(service.app)
      .post('/orders')
      .use(asCustomer(customerId))
      .send({ ...ONE_CHEESECAKE, notes: 'happy\u0000birthday' });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path)).toEqual(['body.notes']);
    expect(await ordersOf(customerId)).toBe(0);
  });

  it('returns 400 for an order id that is not an id', async () => {
    const res = await request(service.app).get('/orders/ord%00x').use(asCustomer(newCustomerId()));

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path)).toEqual(['params.orderId']);
  });

  it('returns 400 naming body.items.1.menuItemId and stores nothing when the menu has no such item', async () => {
    const customerId = newCustomerId();

    const res = await request(service.app)
      .post('/orders')
      .use(asCustomer(customerId))
      .send({ items: [...ONE_CHEESECAKE.items, { menuItemId: 'chocolate-cake', quantity: 1 }] });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors).toEqual([
      { path: 'body.items.1.menuItemId', message: 'the menu has no item "chocolate-cake"' },
    ]);
    expect(problem.detail).toContain('chocolate-cake');
    expect(await ordersOf(customerId)).toBe(0);
  });

  it('returns 400 listing every line with an unknown item, even next to one that is unavailable', async () => {
    const customerId = newCustomerId();
    await service.db.query(`update menu_items set available = false where id = 'tiramisu'`);
    onTestFinished(async () => {
      await service.db.query(`update menu_items set available = true where id = 'tiramisu'`);
    });

    const res = await request(service.app)
      .post('/orders')
      .use(asCustomer(customerId))
      .send({
        items: [
          { menuItemId: 'carrot-cake', quantity: 1 },
          { menuItemId: 'tiramisu', quantity: 1 },
          { menuItemId: 'carrot-cake', quantity: 2 },
          { menuItemId: 'sachertorte', quantity: 1 },
        ],
      });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path)).toEqual([
      'body.items.0.menuItemId',
      'body.items.2.menuItemId',
      'body.items.3.menuItemId',
    ]);
    expect(await ordersOf(customerId)).toBe(0);
  });

  it('returns 409 menu-item-unavailable and stores nothing when a dish is on the menu but unavailable', async () => {
    const customerId = newCustomerId();
    await service.db.query(`update menu_items set available = false where id = 'lemon-tart'`);
    onTestFinished(async () => {
      await service.db.query(`update menu_items set available = true where id = 'lemon-tart'`);
    });

    const res = await request(service.app)
      .post('/orders')
      .use(asCustomer(customerId))
      .send({ items: [{ menuItemId: 'lemon-tart', quantity: 1 }] });

    const problem = expectProblem(res, 409, 'menu-item-unavailable');
    expect(problem.detail).toContain('lemon-tart');
    expect(problem.menuItemIds).toEqual(['lemon-tart']);
    expect(await ordersOf(customerId)).toBe(0);
  });

  it('returns 403 for kitchen staff', async () => {
    const res = await request(service.app)
      .post('/orders')
      .use(asStaff('kitchen'))
      .send(ONE_CHEESECAKE);

    expectProblem(res, 403, 'forbidden');
    expect(await ordersOf('usr_kitchen')).toBe(0);
  });

  it('returns 401 for a service call made on behalf of no user', async () => {
    const res = await request(service.app)
      .post('/orders')
      .use(asService('gateway'))
      .send(ONE_CHEESECAKE);

    expectProblem(res, 401, 'unauthenticated');
  });

  it('returns 401 without an internal credential', async () => {
    const res = await request(service.app).post('/orders').send(ONE_CHEESECAKE);

    expectProblem(res, 401, 'unauthenticated');
  });
});
