import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { GatewayClient } from './client.js';

/** Where the browser tests look for Chromium: `CHROMIUM_PATH`, or Debian's package. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// For a machine without network or display: nothing reaches out to Google's services.
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Whether the browser tests can run here. Without Chromium they are skipped with a line
 * saying how to enable them, except under `CI=true`, where a skip would hide them: there the
 * suite fails instead.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const how = `install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`;
  if (process.env.CI === 'true') throw new Error(`No Chromium at ${CHROMIUM_PATH}: ${how}`);
  console.log(`Skipping the browser tests: no Chromium at ${CHROMIUM_PATH}; ${how}.`);
  return false;
}

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}

/** A page of its own (cookies, storage) in `browser`, failing the test on any script error. */
export async function openPage(
  browser: Browser,
  gatewayUrl: string,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL: gatewayUrl, viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // A dialog would be a script someone injected (alert(1)): dismiss it and remember it.
  page.on('dialog', (dialog) => {
    errors.push(`a dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, page, errors };
}

/**
 * Signs `username` in through the page's form, and records the token the page was given so
 * the suite checks that no service logged it.
 */
export async function signIn(page: Page, username: string, password = 'cheesecake'): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  const stored = await page.evaluate(() => sessionStorage.getItem('cheesecake.session'));
  const token = stored ? (JSON.parse(stored) as { accessToken?: string }).accessToken : undefined;
  if (token) new GatewayClient(page.url(), token);
}

/** Adds `quantity` of a dish to the basket, by the name of its Add button. */
export async function addToBasket(page: Page, dish: string, quantity = 1): Promise<void> {
  for (let added = 0; added < quantity; added++) {
    await page.getByRole('button', { name: new RegExp(`^Add ${dish}`, 'i') }).click();
  }
}

/** Places the basket, with `notes` if given, and resolves to the new order's id from the URL. */
export async function placeOrder(page: Page, notes?: string): Promise<string> {
  if (notes !== undefined) await page.getByLabel('Note for the kitchen').fill(notes);
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/orders\/ord_/);
  return new URL(page.url()).pathname.split('/').pop() ?? '';
}

/** Pays the order on the page with one of the test cards. */
export async function pay(page: Page, card: string): Promise<void> {
  await page.getByLabel('Card').selectOption({ value: card });
  await page.getByRole('button', { name: 'Pay' }).click();
}
