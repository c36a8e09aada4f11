import { Ticket, TicketStatusReport } from '@cheesecake/contracts';
import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { Preparation, type PreparationOptions } from '../src/tickets/preparation.js';
import {
  asOrderService,
  log,
  reportsFor,
  stockedDish,
  ticketRequest,
  useKitchenService,
} from './support.js';

const service = useKitchenService();

// Preparation works on every ticket in the kitchen, so each test starts from an empty one.
beforeEach(async () => {
  await service.db.exec('delete from tickets; delete from outbox;');
});

function preparation(options: Partial<PreparationOptions> = {}) {
  let wakes = 0;
  const kitchen = new Preparation({
    db: service.db,
    log,
    reports: { wake: () => void wakes++ },
    stations: 1,
    startDelayMs: 0,
    preparationMs: 0,
    ...options,
  });
  return { kitchen, wakes: () => wakes };
}

/** A queued ticket of a dish of its own. */
async function queueTicket(): Promise<Ticket> {
  const menuItemId = await stockedDish(service, 1);
  const res = await request(service.app)
    .post('/tickets')
    .use(asOrderService())
    .send(ticketRequest(menuItemId));
  return Ticket.parse(res.body);
}

const statusOf = async (ticketId: string) =>
  (
    await service.db.query<{ status: string }>('select status from tickets where id = $1', [
      ticketId,
    ])
  )[0]?.status;

describe('Preparation.tick', () => {
  it('starts the oldest queued ticket and no more than the stations allow', async () => {
    const oldest = await queueTicket();
    const newest = await queueTicket();
    const { kitchen, wakes } = preparation({ stations: 1 });

    const tick = await kitchen.tick();

    expect(tick.started.map((ticket) => ticket.id)).toEqual([oldest.id]);
    expect(await statusOf(oldest.id)).toBe('PREPARING');
    expect(await statusOf(newest.id)).toBe('QUEUED');
    expect((await reportsFor(service.db, oldest.id)).map((report) => report.status)).toEqual([
      'QUEUED',
      'PREPARING',
    ]);
    expect(wakes()).toBe(1);
  });

  it('finishes a ticket prepared long enough, reports READY, and gives its station to the next', async () => {
    const first = await queueTicket();
    const second = await queueTicket();
    const { kitchen } = preparation({ stations: 1 });
    await kitchen.tick();

    const tick = await kitchen.tick();

    expect(tick.finished.map((ticket) => ticket.id)).toEqual([first.id]);
    expect(tick.started.map((ticket) => ticket.id)).toEqual([second.id]);
    expect(await statusOf(first.id)).toBe('READY');
    expect(await statusOf(second.id)).toBe('PREPARING');
    const reports = await reportsFor(service.db, first.id);
    expect(reports.map((report) => report.status)).toEqual(['QUEUED', 'PREPARING', 'READY']);
    expect(TicketStatusReport.parse(reports.at(-1))).toMatchObject({
      ticketId: first.id,
      orderId: first.orderId,
      reason: null,
    });
  });

  it('starts as many tickets as there are free stations', async () => {
    const tickets = [await queueTicket(), await queueTicket(), await queueTicket()];
    const { kitchen } = preparation({ stations: 2, preparationMs: 3_600_000 });

    await kitchen.tick();
    const second = await kitchen.tick();

    expect(second.started).toEqual([]);
    expect(await Promise.all(tickets.map((ticket) => statusOf(ticket.id)))).toEqual([
      'PREPARING',
      'PREPARING',
      'QUEUED',
    ]);
  });

  it('starts and finishes nothing before the start delay and the preparation time have passed', async () => {
    const preparing = await queueTicket();
    const waiting = await queueTicket();
    await preparation({ stations: 1 }).kitchen.tick();
    const { kitchen, wakes } = preparation({
      stations: 2,
      startDelayMs: 3_600_000,
      preparationMs: 3_600_000,
    });

    const tick = await kitchen.tick();

    expect(tick).toEqual({ started: [], finished: [] });
    expect(await statusOf(preparing.id)).toBe('PREPARING');
    expect(await statusOf(waiting.id)).toBe('QUEUED');
    expect(wakes()).toBe(0);
  });
});

describe('Preparation.start', () => {
  it('prepares tickets by itself until stopped', async () => {
    const ticket = await queueTicket();
    const { kitchen } = preparation({ intervalMs: 1 });

    kitchen.start();
    await expect.poll(() => statusOf(ticket.id), { timeout: 30_000 }).toBe('READY');
    await kitchen.stop();

    expect((await reportsFor(service.db, ticket.id)).map((report) => report.status)).toEqual([
      'QUEUED',
      'PREPARING',
      'READY',
    ]);
  });
});
