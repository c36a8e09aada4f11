import { OrderDetails } from '@cheesecake/contracts';
import type { Browser, Page } from 'playwright-core';
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
import { expectBody, GatewayClient } from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

describe.runIf(chromiumAvailable())('the web client in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let alice: GatewayClient;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
    alice = await new GatewayClient(stack.gatewayUrl).as('alice');
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const details = async (orderId: string) =>
    expectBody(await alice.get(`/api/orders/${orderId}`), 200, OrderDetails);

  const trackerShows = (page: Page, status: string) =>
    page.locator('.tracker-head').getByText(status, { exact: true }).waitFor({ timeout: 60_000 });

  it('takes a customer from sign-in through a declined card to READY on the live tracker, with the saga on its timeline', async () => {
    const { page, errors } = await openPage(browser, stack.gatewayUrl);
    await signIn(page, 'alice');
    await addToBasket(page, 'New York Cheesecake', 2);
    const orderId = await placeOrder(page);

    await pay(page, 'tok_chargeDeclined');
    await page
      .getByRole('alert')
      .filter({ hasText: /declined/i })
      .waitFor();
    await pay(page, 'tok_visa');
    await trackerShows(page, 'READY');

    const order = await details(orderId);
    expect(order).toMatchObject({ status: 'READY', payment: { status: 'CAPTURED' } });
    expect(order.items).toEqual([
      expect.objectContaining({ menuItemId: 'new-york-cheesecake', quantity: 2 }),
    ]);
    expect(await page.locator('.tracker-head h1').textContent()).toBe(`Order #${order.number}`);
    const timeline = page.getByRole('list', { name: 'Saga timeline' });
    for (const step of ['Order placed', 'Payment declined', 'Payment captured', 'Kitchen READY']) {
      await timeline.getByText(step).first().waitFor();
    }
    expect(errors).toEqual([]);
  });

  it('shows a new ticket on the kitchen display of a second browser without a reload', async () => {
    const kitchen = await openPage(browser, stack.gatewayUrl);
    await signIn(kitchen.page, 'kai');
    await kitchen.page.getByRole('heading', { name: 'Kitchen' }).waitFor();
    const customer = await openPage(browser, stack.gatewayUrl);
    await signIn(customer.page, 'alice');

    await addToBasket(customer.page, 'Matcha Cheesecake');
    const orderId = await placeOrder(customer.page);
    await pay(customer.page, 'tok_visa');

    const { number } = await details(orderId);
    await kitchen.page
      .getByRole('listitem', { name: `Ticket #${number}` })
      .waitFor({ timeout: 60_000 });
    expect(
      await kitchen.page.evaluate(() => performance.getEntriesByType('navigation').length),
    ).toBe(1);
    expect([...kitchen.errors, ...customer.errors]).toEqual([]);
  });

  it('shows a note with markup as text, on the tracker and the kitchen display, and runs nothing', async () => {
    const note = '<img src=x onerror=alert(1)>';
    const { page, errors } = await openPage(browser, stack.gatewayUrl);
    await signIn(page, 'alice');
    await addToBasket(page, 'Tiramisu');

    const orderId = await placeOrder(page, note);
    await pay(page, 'tok_visa');
    const kitchen = await openPage(browser, stack.gatewayUrl);
    await signIn(kitchen.page, 'kai');

    const { number, notes } = await details(orderId);
    expect(notes).toBe(note);
    await page.locator('.notes').getByText(note, { exact: true }).waitFor();
    const ticket = kitchen.page.getByRole('listitem', { name: `Ticket #${number}` });
    await ticket.getByText(note, { exact: true }).waitFor({ timeout: 60_000 });
    expect(await page.locator('img').count()).toBe(0);
    expect(await kitchen.page.locator('img').count()).toBe(0);
    expect([...errors, ...kitchen.errors]).toEqual([]);
  });

  it('follows the order over its event stream where no WebSocket opens', async () => {
    const { page, errors } = await openPage(browser, stack.gatewayUrl);
    // A WebSocket that never opens, as behind a proxy that drops upgrades.
    await page.addInitScript(() => {
      class ClosedSocket extends EventTarget {
        onopen: (() => void) | null = null;
        onmessage: (() => void) | null = null;
        onclose: (() => void) | null = null;
        constructor() {
          super();
          setTimeout(() => this.onclose?.(), 10);
        }
        send() {}
        close() {}
      }
      Object.defineProperty(window, 'WebSocket', { value: ClosedSocket });
    });
    await signIn(page, 'alice');
    await addToBasket(page, 'Strawberry Cheesecake');
    await placeOrder(page);

    await page.getByText('live (event stream)').waitFor();
    await pay(page, 'tok_visa');

    await trackerShows(page, 'READY');
    expect(errors).toEqual([]);
  });

  it('tells a customer they may not open the kitchen display or the ops console', async () => {
    const { page } = await openPage(browser, stack.gatewayUrl);
    await signIn(page, 'bob');

    for (const path of ['/kitchen', '/ops']) {
      await page.goto(path);

      await page.getByRole('alert').filter({ hasText: 'you may not open this page' }).waitFor();
      expect(await page.getByRole('heading', { name: 'Not for your role' }).count()).toBe(1);
    }
  });

  it('forgets the token on sign-out and sends the user back to sign in', async () => {
    const { page } = await openPage(browser, stack.gatewayUrl);
    await signIn(page, 'bob');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto('/orders');

    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.context().cookies()).toEqual([]);
  });

  it('returns a user whose token the gateway refuses to sign in, with a message', async () => {
    const { page } = await openPage(browser, stack.gatewayUrl);
    await signIn(page, 'bob');
    // The token's signature no longer matches, as after the gateway's secret changed.
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('cheesecake.session') ?? '{}');
      session.accessToken = `${session.accessToken.split('.').slice(0, 2).join('.')}.forged`;
      sessionStorage.setItem('cheesecake.session', JSON.stringify(session));
    });

    await page.goto('/orders');

    await page.getByRole('alert').filter({ hasText: 'Please sign in again' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
  });

  it('returns a user to sign in with a message when the token expires while the page is open', async () => {
    const { page } = await openPage(browser, stack.gatewayUrl);
    await signIn(page, 'bob');
    // As if the token had been issued an hour ago: it ends in a moment.
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('cheesecake.session') ?? '{}');
      session.expiresAt = Date.now() + 1_500;
      sessionStorage.setItem('cheesecake.session', JSON.stringify(session));
    });

    await page.goto('/orders');

    await page.getByRole('alert').filter({ hasText: 'Your session has expired' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });
});
