import { randomUUID } from 'node:crypto';
import { Order, OrderPage, Problem } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  asCustomer,
  newCustomerId,
  ONE_CHEESECAKE,
  placeOrder,
  storedOrder,
  useOrderService,
} from './support.js';

/** Holds every charge at the payment stub while `hold` is pending, and says when one arrived. */
function chargeGate() {
  let arrived = () => {};
  let release = () => {};
  const gate = {
    arrived: new Promise<void>((resolve) => {
      arrived = resolve;
    }),
    released: new Promise<void>((resolve) => {
      release = resolve;
    }),
    release,
    hold: async () => {
      arrived();
      await gate.released;
    },
  };
  return gate;
}

describe('Idempotency-Key on the order service', () => {
  let gate = chargeGate();
  const service = useOrderService({
    payment: {
      beforeAnswer: (charge) =>
        charge.paymentMethod === 'tok_insufficientFunds' ? gate.hold() : Promise.resolve(),
    },
    kitchen: true,
  });

  const post = async (path: string, customerId: string, key: string, body?: object) => {
    const call = request(service.app)
      .post(path)
      .use(asCustomer(customerId))
      .set('idempotency-key', key);
    return body === undefined ? call : call.send(body);
  };

  const ordersOf = async (customerId: string) =>
    OrderPage.parse((await request(service.app).get('/orders').use(asCustomer(customerId))).body)
      .items;

  const chargesOf = (orderId: string) =>
    service.payment.charges.filter((c) => c.body.orderId === orderId);

  describe('POST /orders', () => {
    it('returns the first order again, with Idempotent-Replayed, when the same key comes twice', async () => {
      const customer = newCustomerId();
      const key = randomUUID();

      const first = await post('/orders', customer, key, ONE_CHEESECAKE);
      const second = await post('/orders', customer, key, ONE_CHEESECAKE);

      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      const order = Order.parse(first.body);
      expect(Order.parse(second.body)).toEqual(order);
      expect(second.headers.location).toBe(`/orders/${order.id}`);
      expect((await ordersOf(customer)).map((listed) => listed.id)).toEqual([order.id]);
    });

    it('answers 422 and places nothing when the key comes with another body', async () => {
      const customer = newCustomerId();
      const key = randomUUID();
      await post('/orders', customer, key, ONE_CHEESECAKE);

      const res = await post('/orders', customer, key, {
        items: [{ menuItemId: 'lemon-tart', quantity: 1 }],
      });

      expectProblem(res, 422, 'idempotency-key-reused');
      expect(await ordersOf(customer)).toHaveLength(1);
    });

    it("places another customer's own order under the same key", async () => {
      const [alice, bob] = [newCustomerId(), newCustomerId()];
      const key = randomUUID();
      const alices = Order.parse((await post('/orders', alice, key, ONE_CHEESECAKE)).body);

      const res = await post('/orders', bob, key, ONE_CHEESECAKE);

      expect(res.status).toBe(201);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      const bobs = Order.parse(res.body);
      expect(bobs).toMatchObject({ customerId: bob });
      expect(bobs.id).not.toBe(alices.id);
      expect(await ordersOf(bob)).toHaveLength(1);
    });

    it('answers 400 and places nothing when the key is over 255 characters', async () => {
      const customer = newCustomerId();

      const res = await post('/orders', customer, 'k'.repeat(256), ONE_CHEESECAKE);

      const problem = expectProblem(res, 400, 'validation');
      expect(problem.errors?.map((issue) => issue.path)).toEqual(['headers.idempotency-key']);
      expect(await ordersOf(customer)).toEqual([]);
    });
  });

  describe('POST /orders/:orderId/payment', () => {
    it('charges once, keyed by the customer key, when the same key comes twice', async () => {
      const customer = newCustomerId();
      const order = await placeOrder(service.app, customer);
      const key = randomUUID();

      const first = await post(`/orders/${order.id}/payment`, customer, key, {
        paymentMethod: 'tok_visa',
      });
      const second = await post(`/orders/${order.id}/payment`, customer, key, {
        paymentMethod: 'tok_visa',
      });

      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(Order.parse(second.body)).toEqual(Order.parse(first.body));
      expect(chargesOf(order.id)).toEqual([
        expect.objectContaining({
          idempotencyKey: expect.stringMatching(
            new RegExp(`^${order.id}:key-[0-9a-f]{32}:tok_visa$`),
          ),
        }),
      ]);
      expect(await storedOrder(service.db, order.id)).toMatchObject({ status: 'PAID' });
    });

    it('replays a declined payment as the same 402 without charging again', async () => {
      const customer = newCustomerId();
      const order = await placeOrder(service.app, customer);
      const key = randomUUID();
      const declined = { paymentMethod: 'tok_chargeDeclined' };

      const first = await post(`/orders/${order.id}/payment`, customer, key, declined);
      const second = await post(`/orders/${order.id}/payment`, customer, key, declined);

      expectProblem(first, 402, 'payment-declined');
      expectProblem(second, 402, 'payment-declined');
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(Problem.parse(second.body)).toEqual(Problem.parse(first.body));
      expect(chargesOf(order.id)).toHaveLength(1);
      expect(await storedOrder(service.db, order.id)).toMatchObject({ status: 'PENDING_PAYMENT' });
    });

    it('answers 409 while the first payment with the key is still being charged', async () => {
      const customer = newCustomerId();
      const order = await placeOrder(service.app, customer);
      const key = randomUUID();
      const slow = { paymentMethod: 'tok_insufficientFunds' };
      gate = chargeGate();
      const first = post(`/orders/${order.id}/payment`, customer, key, slow);
      await gate.arrived;

      const second = await post(`/orders/${order.id}/payment`, customer, key, slow);
      gate.release();

      expectProblem(second, 409, 'idempotency-request-in-flight');
      expectProblem(await first, 402, 'payment-declined');
      expect(chargesOf(order.id)).toHaveLength(1);
    });

    it('charges again for a new key, as a new attempt', async () => {
      const customer = newCustomerId();
      const order = await placeOrder(service.app, customer);
      await post(`/orders/${order.id}/payment`, customer, randomUUID(), {
        paymentMethod: 'tok_chargeDeclined',
      });

      const res = await post(`/orders/${order.id}/payment`, customer, randomUUID(), {
        paymentMethod: 'tok_visa',
      });

      expect(res.status).toBe(200);
      expect(Order.parse(res.body)).toMatchObject({ status: 'PAID' });
      const [declinedKey, capturedKey] = chargesOf(order.id).map((c) => c.idempotencyKey);
      expect(capturedKey).not.toBe(declinedKey);
    });
  });

  describe('POST /orders/:orderId/cancel', () => {
    it('replays the cancellation, where a second cancellation without the key is refused', async () => {
      const customer = newCustomerId();
      const order = await placeOrder(service.app, customer);
      const key = randomUUID();

      const first = await post(`/orders/${order.id}/cancel`, customer, key);
      const replayed = await post(`/orders/${order.id}/cancel`, customer, key);
      const unkeyed = await request(service.app)
        .post(`/orders/${order.id}/cancel`)
        .use(asCustomer(customer));

      expect(first.status).toBe(200);
      expect(replayed.status).toBe(200);
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(Order.parse(replayed.body)).toEqual(Order.parse(first.body));
      expectProblem(unkeyed, 409, 'invalid-order-state');
      expect(await storedOrder(service.db, order.id)).toMatchObject({ status: 'CANCELLED' });
    });
  });
});
