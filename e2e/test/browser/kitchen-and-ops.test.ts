import { DeadLetterList, OrderDetails } from '@cheesecake/contracts';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addToBasket,
  chromiumAvailable,
  launchChromium,
  openPage,
  pay,
  placeOrder,
  signIn,
} from '../support/browser.js';
import { eventually, expectBody, GatewayClient } from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

// Tickets wait for the staff here, and a message that fails twice becomes a dead letter.
describe.runIf(chromiumAvailable())('the kitchen display and the ops console in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let alice: GatewayClient;
  let ada: GatewayClient;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startStack({ KITCHEN_AUTO_PREPARE: 'false', OUTBOX_MAX_ATTEMPTS: '2' }),
      launchChromium(),
    ]);
    const anonymous = new GatewayClient(stack.gatewayUrl);
    [alice, ada] = await Promise.all([anonymous.as('alice'), anonymous.as('ada')]);
  });
  afterAll(async () => {
    await ada?.put('/api/ops/faults/kitchen', { failureRate: 0, latencyMs: 0 });
    await browser?.close();
    await stack?.stop();
  });

  const details = async (orderId: string) =>
    expectBody(await alice.get(`/api/orders/${orderId}`), 200, OrderDetails);

  it("lets kai start and finish a ticket, and the customer's tracker follows", async () => {
    const customer = await openPage(browser, stack.gatewayUrl);
    await signIn(customer.page, 'alice');
    await addToBasket(customer.page, 'Basque Burnt Cheesecake');
    const orderId = await placeOrder(customer.page);
    await pay(customer.page, 'tok_visa');
    const { number } = await details(orderId);
    const kitchen = await openPage(browser, stack.gatewayUrl);
    await signIn(kitchen.page, 'kai');
    const ticket = kitchen.page.getByRole('listitem', { name: `Ticket #${number}` });
    await ticket.getByText('QUEUED', { exact: true }).waitFor({ timeout: 60_000 });
    const tracker = customer.page.locator('.tracker-head');

    await ticket.getByRole('button', { name: 'Start' }).click();
    await tracker.getByText('PREPARING', { exact: true }).waitFor({ timeout: 60_000 });
    await ticket.getByRole('button', { name: 'Ready' }).click();
    await tracker.getByText('READY', { exact: true }).waitFor({ timeout: 60_000 });

    expect(await details(orderId)).toMatchObject({ status: 'READY', ticket: { status: 'READY' } });
    expect([...customer.errors, ...kitchen.errors]).toEqual([]);
  });

  it('keeps the tracker following the order across a restart of the gateway, without a step twice', async () => {
    const kai = await new GatewayClient(stack.gatewayUrl).as('kai');
    const customer = await openPage(browser, stack.gatewayUrl);
    await signIn(customer.page, 'alice');
    await addToBasket(customer.page, 'Strawberry Cheesecake');
    const orderId = await placeOrder(customer.page);
    await pay(customer.page, 'tok_visa');
    const tracker = customer.page.locator('.tracker-head');
    await tracker.getByText('PAID', { exact: true }).waitFor();
    const { ticket } = await eventually(
      () => details(orderId),
      (current) => current.ticket !== null,
    );

    await stack.kill('gateway');
    await tracker.getByText('reconnecting…').waitFor();
    await stack.start('gateway');
    await tracker.getByText('live (WebSocket)').waitFor({ timeout: 60_000 });
    expect((await kai.post(`/api/kitchen/tickets/${ticket?.id}/start`)).status).toBe(200);
    await tracker.getByText('PREPARING', { exact: true }).waitFor({ timeout: 60_000 });
    expect((await kai.post(`/api/kitchen/tickets/${ticket?.id}/ready`)).status).toBe(200);

    await tracker.getByText('READY', { exact: true }).waitFor({ timeout: 60_000 });
    const timeline = customer.page.getByRole('list', { name: 'Saga timeline' });
    await timeline.getByText('Kitchen READY').waitFor();
    expect(await timeline.getByText('Kitchen PREPARING').count()).toBe(1);
    expect(customer.errors).toEqual([]);
  });

  it('lets ada break the kitchen with a fault, see the dead letter it leaves, and retry it', async () => {
    const ops = await openPage(browser, stack.gatewayUrl);
    await signIn(ops.page, 'ada');
    const kitchenFaults = ops.page.getByRole('form', { name: 'Faults of the kitchen service' });
    await kitchenFaults.getByLabel('Failure rate (%)').fill('100');
    await kitchenFaults.getByRole('button', { name: 'Apply' }).click();
    await kitchenFaults.getByRole('status').filter({ hasText: '100 % failing' }).waitFor();
    const customer = await openPage(browser, stack.gatewayUrl);
    await signIn(customer.page, 'alice');
    await addToBasket(customer.page, 'Tiramisu');
    const orderId = await placeOrder(customer.page);
    await pay(customer.page, 'tok_visa');
    const letters = await eventually(
      async () => expectBody(await ada.get('/api/ops/dead-letters'), 200, DeadLetterList).items,
      (items) => items.some((letter) => JSON.stringify(letter.payload).includes(orderId)),
    );
    const dead = letters.find((letter) => JSON.stringify(letter.payload).includes(orderId));
    const row = ops.page.getByRole('listitem', { name: `Dead letter ${dead?.id}` });

    await row.waitFor({ timeout: 60_000 });
    // The order service's outbox counts the dead letter once its panel refreshes.
    const orderDead = ops.page
      .getByRole('row', { name: /^order/ })
      .getByRole('cell')
      .nth(2);
    await orderDead.filter({ hasNotText: /^0$/ }).waitFor({ timeout: 60_000 });
    await kitchenFaults.getByLabel('Failure rate (%)').fill('0');
    await kitchenFaults.getByRole('button', { name: 'Apply' }).click();
    await kitchenFaults.getByRole('status').filter({ hasText: '0 % failing' }).waitFor();
    await row.getByRole('button', { name: 'Retry' }).click();

    await row.waitFor({ state: 'detached', timeout: 60_000 });
    const order = await eventually(
      () => details(orderId),
      (current) => current.ticket !== null,
    );
    expect(order.ticket).toMatchObject({ status: 'QUEUED' });
    expect(
      expectBody(await ada.get('/api/ops/dead-letters'), 200, DeadLetterList).items,
    ).not.toContainEqual(expect.objectContaining({ id: dead?.id }));
    expect([...ops.errors, ...customer.errors]).toEqual([]);
  });
});
