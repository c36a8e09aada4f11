import { randomUUID } from 'node:crypto';
import { Order, OrderDetails, OrderPage, OrderTimeline } from '@cheesecake/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, expectBody, expectProblem, GatewayClient } from './support/client.js';
import { type Stack, startStack } from './support/stack.js';

let stack: Stack;
let alice: GatewayClient;
let bob: GatewayClient;

beforeAll(async () => {
  stack = await startStack();
  const anonymous = new GatewayClient(stack.gatewayUrl);
  [alice, bob] = await Promise.all([anonymous.as('alice'), anonymous.as('bob')]);
});
afterAll(() => stack?.stop());

/** An order whose notes name it, so that a list shows whether it was placed more than once. */
const orderNamed = (name: string) => ({
  items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }],
  notes: name,
});

const withKey = (customer: GatewayClient, path: string, key: string, body?: unknown) =>
  customer.send('POST', path, body, { 'idempotency-key': key });

async function ordersNamed(customer: GatewayClient, name: string): Promise<Order[]> {
  const page = expectBody(await customer.get('/api/orders?limit=100'), 200, OrderPage);
  return page.items.filter((order) => order.notes === name);
}

const replayed = (answer: Answer) => answer.headers.get('idempotent-replayed');

describe('Idempotency-Key through the gateway', () => {
  it('places one order for a key sent twice, and replays the first answer', async () => {
    const key = randomUUID();
    const name = `order ${key}`;

    const first = await withKey(alice, '/api/orders', key, orderNamed(name));
    const second = await withKey(alice, '/api/orders', key, orderNamed(name));

    const order = expectBody(first, 201, Order);
    expect(replayed(first)).toBeNull();
    expect(expectBody(second, 201, Order)).toEqual(order);
    expect(replayed(second)).toBe('true');
    expect(second.headers.get('location')).toBe(`/api/orders/${order.id}`);
    expect((await ordersNamed(alice, name)).map((listed) => listed.id)).toEqual([order.id]);
  });

  it('captures one payment for a payment sent twice with its key', async () => {
    const order = expectBody(await alice.post('/api/orders', orderNamed('paid once')), 201, Order);
    const key = randomUUID();
    const path = `/api/orders/${order.id}/payment`;

    const first = await withKey(alice, path, key, { paymentMethod: 'tok_visa' });
    const second = await withKey(alice, path, key, { paymentMethod: 'tok_visa' });

    expect(expectBody(first, 200, Order).status).toBe('PAID');
    expect(expectBody(second, 200, Order)).toEqual(Order.parse(first.body));
    expect(replayed(second)).toBe('true');
    const details = expectBody(await alice.get(`/api/orders/${order.id}`), 200, OrderDetails);
    expect(details.payment).toMatchObject({ status: 'CAPTURED', amountCents: order.totalCents });
    const timeline = expectBody(
      await alice.get(`/api/orders/${order.id}/timeline`),
      200,
      OrderTimeline,
    );
    expect(timeline.steps.filter((step) => step.step === 'payment.captured')).toHaveLength(1);
  });

  it('answers 422 to the key sent again with another order, and places nothing more', async () => {
    const key = randomUUID();
    const name = `order ${key}`;
    await withKey(alice, '/api/orders', key, orderNamed(name));

    const res = await withKey(alice, '/api/orders', key, orderNamed(`${name}, changed`));

    expectProblem(res, 422, 'idempotency-key-reused');
    expect(await ordersNamed(alice, name)).toHaveLength(1);
    expect(await ordersNamed(alice, `${name}, changed`)).toEqual([]);
  });

  it('answers 400 to a key of 256 characters, and places nothing', async () => {
    const name = `order ${randomUUID()}`;

    const res = await withKey(alice, '/api/orders', 'k'.repeat(256), orderNamed(name));

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path)).toEqual(['headers.idempotency-key']);
    expect(await ordersNamed(alice, name)).toEqual([]);
  });

  it("places a new order for another customer's same key", async () => {
    const key = randomUUID();
    const name = `order ${key}`;
    const alices = expectBody(
      await withKey(alice, '/api/orders', key, orderNamed(name)),
      201,
      Order,
    );

    const res = await withKey(bob, '/api/orders', key, orderNamed(name));

    const bobs = expectBody(res, 201, Order);
    expect(replayed(res)).toBeNull();
    expect(bobs.id).not.toBe(alices.id);
    expect((await ordersNamed(bob, name)).map((listed) => listed.id)).toEqual([bobs.id]);
    expect(await ordersNamed(alice, name)).toHaveLength(1);
  });

  it('places and pays once for any key a client may send', async () => {
    // Visible ASCII with no space at either end, which HTTP would trim: what a header carries.
    const keys = fc.stringMatching(/^[!-~]([ -~]{0,253}[!-~])?$/);

    await fc.assert(
      fc.asyncProperty(keys, async (key) => {
        // Named by its key, so a key drawn twice is the same order again rather than a 422.
        const name = `order ${key}`;
        const placed = await withKey(bob, '/api/orders', key, orderNamed(name));
        const placedAgain = await withKey(bob, '/api/orders', key, orderNamed(name));
        const order = expectBody(placed, 201, Order);
        const path = `/api/orders/${order.id}/payment`;
        const paid = await withKey(bob, path, key, { paymentMethod: 'tok_visa' });
        const paidAgain = await withKey(bob, path, key, { paymentMethod: 'tok_visa' });

        expect(expectBody(placedAgain, 201, Order).id).toBe(order.id);
        expect(replayed(placedAgain)).toBe('true');
        expect(expectBody(paid, 200, Order).status).toBe('PAID');
        expect(replayed(paidAgain)).toBe('true');
        expect(await ordersNamed(bob, name)).toHaveLength(1);
      }),
      { numRuns: 15 },
    );
  });
});
