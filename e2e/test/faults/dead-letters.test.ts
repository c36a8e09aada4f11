import { DeadLetter, DeadLetterList, Order } from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectBody, GatewayClient } from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';
import { expectReadyWithOneCaptureAndOneTicket } from './support.js';

let stack: Stack;
let alice: GatewayClient;
let ada: GatewayClient;

beforeAll(async () => {
  // Two attempts and the message is set aside: a dead letter within about a second.
  stack = await startStack({
    OUTBOX_MAX_ATTEMPTS: '2',
    KITCHEN_START_DELAY_MS: '200',
    KITCHEN_PREPARATION_MS: '500',
  });
  const anonymous = new GatewayClient(stack.gatewayUrl);
  [alice, ada] = await Promise.all([anonymous.as('alice'), anonymous.as('ada')]);
});
// Fault settings stay in the kitchen service's database, restarts included: a test that
// stopped with them on must not hand them to the next one on the same stack (compose's).
afterAll(async () => {
  await ada?.put('/api/ops/faults/kitchen', { failureRate: 0, latencyMs: 0 });
  await stack?.stop();
});

const deadLetters = async () =>
  expectBody(await ada.get('/api/ops/dead-letters'), 200, DeadLetterList).items;

describe('a message that exhausted its retries', () => {
  it('stays as a dead letter for an admin to see, and reaches the kitchen once replayed', async () => {
    const order = expectBody(
      await alice.post('/api/orders', {
        items: [{ menuItemId: 'matcha-cheesecake', quantity: 1 }],
      }),
      201,
      Order,
    );
    // Every request the kitchen gets fails, except its operations API.
    await ada.put('/api/ops/faults/kitchen', { failureRate: 1, latencyMs: 0 });
    expect(
      (await alice.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' })).status,
    ).toBe(200);
    const [dead] = (
      await eventually(deadLetters, (letters) =>
        letters.some(
          (letter) => letter.payload && JSON.stringify(letter.payload).includes(order.id),
        ),
      )
    ).filter((letter) => JSON.stringify(letter.payload).includes(order.id));
    await ada.put('/api/ops/faults/kitchen', { failureRate: 0, latencyMs: 0 });

    const retried = await ada.post(`/api/ops/dead-letters/${dead?.id}/retry`);
    const again = await ada.post(`/api/ops/dead-letters/${dead?.id}/retry`);

    expect(dead).toMatchObject({
      service: 'order',
      destination: 'kitchen.create-ticket',
      attempts: 2,
    });
    expect(DeadLetter.parse(retried.body).id).toBe(dead?.id);
    expect(again.status).toBe(409);
    await expectReadyWithOneCaptureAndOneTicket(stack, alice, order);
    expect((await deadLetters()).map((letter) => letter.id)).not.toContain(dead?.id);
  });

  it('is for admins only', async () => {
    const kitchen = await new GatewayClient(stack.gatewayUrl).as('kai');

    const answer = await kitchen.get('/api/ops/dead-letters');

    expect(answer.status).toBe(403);
  });
});
