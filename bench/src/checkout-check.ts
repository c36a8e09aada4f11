import { setTimeout as sleep } from 'node:timers/promises';
import { OrderDetails, TicketList } from '@cheesecake/contracts';
import { call, expectCall } from './api.js';

/** What the check after the checkout found. */
export interface CheckoutCheck {
  /** Paid orders seen READY with their payment CAPTURED and their ticket READY. */
  ready: number;
  /** Seconds from the end of the checkout until the kitchen had a READY ticket for each paid order. */
  kitchenSeconds: number;
  /** Seconds from the end of the checkout until every paid order was seen READY, or gave up. */
  checkedSeconds: number;
  /** Every way the run failed to keep each paid order exactly once; empty when it passed. */
  problems: string[];
  passed: boolean;
}

/** An order a client created and paid, with the token of the customer who did. */
export interface PaidOrder {
  id: string;
  paymentId: string | null;
  token: string;
}

/** What the clients did while the time ran, before anything is checked. */
export interface CheckoutLoad {
  createdIds: string[];
  paid: PaidOrder[];
  failures: Record<string, number>;
  latencies: { create: number[]; pay: number[]; checkout: number[] };
  elapsedSeconds: number;
}

const SWEEP_CONCURRENCY = 10;

/**
 * Waits (bounded) until every paid order is READY with a CAPTURED payment and a READY ticket,
 * then checks that nothing was lost or doubled: distinct order, payment and ticket ids, one
 * kitchen ticket for each paid order and none for any other.
 */
export async function checkEveryPaidOrder(
  gatewayUrl: string,
  kitchenToken: string,
  load: CheckoutLoad,
  readyTimeoutSeconds: number,
): Promise<CheckoutCheck> {
  const { paid } = load;
  const waitStarted = performance.now();
  const deadline = waitStarted + readyTimeoutSeconds * 1_000;
  await waitForKitchen(gatewayUrl, kitchenToken, paid.length, deadline);
  const kitchenSeconds = (performance.now() - waitStarted) / 1_000;
  const { ready, pending } = await sweepUntilReady(gatewayUrl, paid, deadline);
  const checkedSeconds = (performance.now() - waitStarted) / 1_000;

  const problems: string[] = [];
  if (pending.length > 0) {
    problems.push(
      `${pending.length} paid orders were not READY after ${readyTimeoutSeconds} s (e.g. ${pending.slice(0, 3).join(', ')})`,
    );
  }
  const allTickets = TicketList.parse(
    await expectCall(200, `${gatewayUrl}/api/kitchen/tickets`, { token: kitchenToken }),
  ).items;
  problems.push(...lostOrDoubled(load, ready, allTickets));

  return {
    ready: ready.size,
    kitchenSeconds,
    checkedSeconds,
    problems,
    passed: problems.length === 0,
  };
}

// One listing shows how far the kitchen is, so orders are fetched only once all could be done.
// A failed call only means "not yet": what never comes right shows up as not READY.
async function waitForKitchen(
  gatewayUrl: string,
  kitchenToken: string,
  expected: number,
  deadline: number,
): Promise<void> {
  while (performance.now() < deadline) {
    const tickets = await call(`${gatewayUrl}/api/kitchen/tickets?status=READY`, {
      token: kitchenToken,
    }).catch(() => undefined);
    const readyTickets = tickets?.status === 200 ? TicketList.parse(tickets.body).items : [];
    if (readyTickets.length >= expected) return;
    await sleep(500);
  }
}

/** Fetches each paid order, again and again until the deadline, until it is all READY. */
async function sweepUntilReady(
  gatewayUrl: string,
  paid: PaidOrder[],
  deadline: number,
): Promise<{ ready: Map<string, OrderDetails>; pending: string[] }> {
  const pending = new Map(paid.map((order) => [order.id, order]));
  const ready = new Map<string, OrderDetails>();
  while (pending.size > 0) {
    await forEachLimited([...pending.values()], SWEEP_CONCURRENCY, async (order) => {
      const answer = await call(`${gatewayUrl}/api/orders/${order.id}`, {
        token: order.token,
      }).catch(() => undefined);
      const details = answer?.status === 200 ? OrderDetails.parse(answer.body) : undefined;
      if (
        details?.status === 'READY' &&
        details.payment?.status === 'CAPTURED' &&
        details.ticket?.status === 'READY'
      ) {
        pending.delete(order.id);
        ready.set(order.id, details);
      }
    });
    if (pending.size === 0 || performance.now() >= deadline) break;
    await sleep(500);
  }
  return { ready, pending: [...pending.keys()] };
}

/** Every id seen twice, every payment that changed, every ticket too many or for no paid order. */
function lostOrDoubled(
  load: CheckoutLoad,
  ready: Map<string, OrderDetails>,
  allTickets: TicketList['items'],
): string[] {
  const { createdIds, paid } = load;
  const problems: string[] = [];
  const duplicates = (label: string, ids: Array<string | null | undefined>) => {
    const counts = new Map<string, number>();
    for (const id of ids) if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    const repeated = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
    if (repeated.length > 0) {
      problems.push(`${repeated.length} ${label} appear more than once (e.g. ${repeated[0]})`);
    }
  };
  const readyOrders = [...ready.values()];
  duplicates('order ids', createdIds);
  duplicates(
    'payment ids of paid orders',
    paid.map((order) => order.paymentId),
  );
  duplicates(
    'payment ids of ready orders',
    readyOrders.map((order) => order.payment?.id),
  );
  duplicates(
    'ticket ids of ready orders',
    readyOrders.map((order) => order.ticket?.id),
  );
  for (const order of paid) {
    const details = ready.get(order.id);
    if (details && details.payment?.id !== order.paymentId) {
      problems.push(
        `order ${order.id} was paid with ${order.paymentId} but shows ${details.payment?.id}`,
      );
    }
  }
  if (ready.size !== paid.length) {
    problems.push(`${ready.size} orders READY, but ${paid.length} were paid`);
  }
  duplicates(
    'orders in kitchen tickets',
    allTickets.map((ticket) => ticket.orderId),
  );
  const paidIds = new Set(paid.map((order) => order.id));
  const unpaid = allTickets.filter((ticket) => !paidIds.has(ticket.orderId));
  if (unpaid.length > 0) {
    problems.push(
      `${unpaid.length} kitchen tickets are for orders not seen paid (e.g. ${unpaid[0]?.orderId})`,
    );
  }
  if (allTickets.length !== paid.length) {
    problems.push(`the kitchen has ${allTickets.length} tickets for ${paid.length} paid orders`);
  }
  return problems;
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
