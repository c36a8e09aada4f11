import { Order, OrderPage } from '@cheesecake/contracts';
import { expectProblem, type TestCredential } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  asCustomer,
  asService,
  asStaff,
  cancelOrder,
  newCustomerId,
  placeOrder,
  useOrderService,
} from './support.js';

// Cancelling an order awaiting payment asks the payment service whether it was captured.
const service = useOrderService({ payment: true });

describe('GET /orders', () => {
  const listAs = async (credential: TestCredential, query: Record<string, string | number> = {}) =>
    request(service.app).get('/orders').query(query).use(credential);

  it('shows a customer only their own orders, newest first', async () => {
    const alice = newCustomerId();
    const bob = newCustomerId();
    const older = await placeOrder(service.app, alice);
    await placeOrder(service.app, bob);
    const newer = await placeOrder(service.app, alice);

    const res = await listAs(asCustomer(alice));

    expect(res.status).toBe(200);
    const page = OrderPage.parse(res.body);
    expect(page.items.map((order) => order.id)).toEqual([newer.id, older.id]);
    expect(page.nextCursor).toBeNull();
  });

  it("shows kitchen staff and admins everyone's orders", async () => {
    const alices = await placeOrder(service.app, newCustomerId());
    const bobs = await placeOrder(service.app, newCustomerId());

    for (const role of ['kitchen', 'admin'] as const) {
      const res = await listAs(asStaff(role), { limit: 100 });

      expect(res.status).toBe(200);
      const ids = OrderPage.parse(res.body).items.map((order) => order.id);
      expect(ids).toEqual(expect.arrayContaining([alices.id, bobs.id]));
    }
  });

  it('pages through the orders with the cursor until nextCursor is null', async () => {
    const customer = newCustomerId();
    const first = await placeOrder(service.app, customer);
    const second = await placeOrder(service.app, customer);
    const third = await placeOrder(service.app, customer);
    const authorization = asCustomer(customer);

    const firstPage = OrderPage.parse((await listAs(authorization, { limit: 2 })).body);
    const secondPage = OrderPage.parse(
      (await listAs(authorization, { limit: 2, cursor: firstPage.nextCursor ?? '' })).body,
    );

    expect(firstPage.items.map((order) => order.id)).toEqual([third.id, second.id]);
    expect(firstPage.nextCursor).toEqual(expect.any(String));
    expect(secondPage.items.map((order) => order.id)).toEqual([first.id]);
    expect(secondPage.nextCursor).toBeNull();
  });

  it('filters by status', async () => {
    const customer = newCustomerId();
    const cancelled = await placeOrder(service.app, customer);
    await placeOrder(service.app, customer);
    await cancelOrder(service.app, customer, cancelled.id);

    const res = await listAs(asCustomer(customer), { status: 'CANCELLED' });

    expect(res.status).toBe(200);
    const page = OrderPage.parse(res.body);
    expect(page.items.map((order) => [order.id, order.status])).toEqual([
      [cancelled.id, 'CANCELLED'],
    ]);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['JSON of another shape', Buffer.from('{"before":"x"}').toString('base64url')],
    ['past the range of order numbers', Buffer.from('{"before":1e10}').toString('base64url')],
  ])('returns 400 for a cursor that is %s', async (_, cursor) => {
    const res = await listAs(asCustomer(newCustomerId()), { cursor });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors).toEqual([{ path: 'query.cursor', message: expect.any(String) }]);
  });

  it('returns 400 for an unknown status or a limit out of range', async () => {
    const authorization = asCustomer(newCustomerId());

    const badStatus = await listAs(authorization, { status: 'EATEN' });
    const badLimit = await listAs(authorization, { limit: 0 });

    expectProblem(badStatus, 400, 'validation');
    expectProblem(badLimit, 400, 'validation');
  });

  it('returns 401 for a service call made on behalf of no user', async () => {
    const res = await listAs(asService('gateway'));

    expectProblem(res, 401, 'unauthenticated');
  });
});

describe('GET /orders/:orderId', () => {
  const getAs = async (credential: TestCredential, orderId: string) =>
    request(service.app).get(`/orders/${orderId}`).use(credential);

  it('returns the order to its owner, kitchen staff and admins', async () => {
    const customer = newCustomerId();
    const order = await placeOrder(service.app, customer);

    for (const authorization of [asCustomer(customer), asStaff('kitchen'), asStaff('admin')]) {
      const res = await getAs(authorization, order.id);

      expect(res.status).toBe(200);
      expect(Order.parse(res.body)).toEqual(order);
    }
  });

  it("returns 404 for someone else's order, as for an order that does not exist", async () => {
    const order = await placeOrder(service.app, newCustomerId());
    const stranger = asCustomer(newCustomerId());

    const someoneElses = await getAs(stranger, order.id);
    const unknown = await getAs(stranger, 'ord_unknown');

    const problem = expectProblem(someoneElses, 404, 'order-not-found');
    expectProblem(unknown, 404, 'order-not-found');
    expect(problem.detail).toBe(`Order ${order.id} does not exist`);
  });
});
