import { Order } from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBody, GatewayClient } from '../support/client.js';
import { type ServiceName, type Stack, startStack } from '../support/stack.js';
import { expectReadyWithOneCaptureAndOneTicket, sendUntilAnswered } from './support.js';

let stack: Stack;
let alice: GatewayClient;

beforeAll(async () => {
  stack = await startStack({ KITCHEN_START_DELAY_MS: '200', KITCHEN_PREPARATION_MS: '500' });
  alice = await new GatewayClient(stack.gatewayUrl).as('alice');
});
afterAll(() => stack?.stop());

const ORDERS_IN_FLIGHT = 6;
const KILLED: ServiceName[] = ['order', 'payment', 'kitchen', 'gateway'];

describe.each(KILLED)('kill -9 of the %s service in the middle of checkouts', (service) => {
  it('brings every order to READY once it is back, each with one capture and one ticket', async () => {
    const orders = await Promise.all(
      Array.from({ length: ORDERS_IN_FLIGHT }, async () =>
        expectBody(
          await alice.post('/api/orders', {
            items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }],
          }),
          201,
          Order,
        ),
      ),
    );

    // The payments start; once the first is answered, the others are still on their way.
    const payments = orders.map((order) =>
      sendUntilAnswered(alice, `/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' }),
    );
    await Promise.race(payments);
    await stack.kill(service);
    await stack.start(service);
    const answers = await Promise.all(payments);

    expect(answers.map((answer) => answer.status)).toEqual(orders.map(() => 200));
    for (const order of orders) {
      await expectReadyWithOneCaptureAndOneTicket(stack, alice, order);
    }
  });
});
