// pnpm screenshots: takes a screenshot of each page of the web client, with the browser the
// tests use, into docs/screenshots/, against a running gateway (`pnpm start` first).
//   GATEWAY_URL=http://localhost:8080 CHROMIUM_PATH=/usr/bin/chromium pnpm screenshots
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { addToBasket, launchChromium, pay, placeOrder, signIn } from '../test/support/browser.js';

const gatewayUrl = process.env.GATEWAY_URL ?? 'http://localhost:8080';
const password = process.env.DEMO_PASSWORD ?? 'cheesecake';
const out = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');

async function newPage(browser: Browser, width = 1280, height = 860): Promise<Page> {
  // Without motion: a step arriving on the timeline fades in, which a screenshot would catch.
  return browser.newPage({
    baseURL: gatewayUrl,
    viewport: { width, height },
    reducedMotion: 'reduce',
  });
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
}

const status = (page: Page, word: string) =>
  page.locator('.tracker-head').getByText(word, { exact: true }).waitFor({ timeout: 60_000 });

mkdirSync(out, { recursive: true });
const browser = await launchChromium();
try {
  const visitor = await newPage(browser, 1280, 600);
  await visitor.goto('/sign-in');
  await shoot(visitor, 'sign-in');

  const alice = await newPage(browser);
  await signIn(alice, 'alice', password);
  await addToBasket(alice, 'New York Cheesecake');
  await addToBasket(alice, 'Matcha Cheesecake');
  await alice.getByLabel('Note for the kitchen').fill('Happy birthday, Sam!');
  await shoot(alice, 'storefront');

  const orderId = await placeOrder(alice);
  await pay(alice, 'tok_chargeDeclined');
  await alice.getByRole('alert').waitFor();
  await shoot(alice, 'declined');

  const kai = await newPage(browser);
  await signIn(kai, 'kai', password);
  await pay(alice, 'tok_visa');
  await status(alice, 'PREPARING');
  await kai.getByRole('region', { name: 'PREPARING' }).getByRole('listitem').first().waitFor();
  await shoot(kai, 'kitchen');
  await status(alice, 'READY');
  await alice.getByRole('list', { name: 'Saga timeline' }).getByText('Kitchen READY').waitFor();
  await shoot(alice, 'tracker');

  const phone = await newPage(browser, 360, 780);
  await signIn(phone, 'alice', password);
  await phone.goto(`/orders/${orderId}`);
  await status(phone, 'READY');
  await shoot(phone, 'tracker-phone');

  const ada = await newPage(browser);
  await signIn(ada, 'ada', password);
  await ada.getByRole('heading', { name: 'Circuit breakers' }).waitFor();
  await ada.getByText('closed').first().waitFor();
  await shoot(ada, 'ops');
} finally {
  await browser.close();
}
