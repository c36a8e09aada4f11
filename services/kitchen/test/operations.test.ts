import { OutboxDeadLetter, OutboxDeadLetterList } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { asOrderService, asUser, ticketRequest, useKitchenService } from './support.js';

const service = useKitchenService();

const outboxGauge = async (status: 'pending' | 'dead') => {
  const res = await request(service.app).get('/metrics');
  const sample = new RegExp(`^outbox_messages\\{status="${status}"\\} (\\d+)$`, 'm').exec(res.text);
  return Number(sample?.[1]);
};

/** Creates a ticket, whose status report waits in the outbox, and sets the report aside as dead. */
async function givenDeadReport(): Promise<string> {
  const ticket = ticketRequest('no-such-dish');
  await request(service.app).post('/tickets').use(asOrderService()).send(ticket);
  const [row] = await service.db.query<{ id: string }>(
    `update outbox set status = 'dead', last_error = 'order answered 503'
     where payload->>'orderId' = $1 returning id`,
    [ticket.orderId],
  );
  if (!row) throw new Error('the ticket left no status report in the outbox');
  return row.id;
}

describe('GET /metrics', () => {
  it('returns the status reports waiting in the outbox', async () => {
    const before = await outboxGauge('pending');

    await request(service.app)
      .post('/tickets')
      .use(asOrderService())
      .send(ticketRequest('no-such-dish'));

    expect(await outboxGauge('pending')).toBe(before + 1);
  });
});

describe('the dead letters of the outbox', () => {
  it('lists a dead status report to the gateway acting for an admin, and puts it back', async () => {
    const messageId = await givenDeadReport();
    const admin = asUser('admin');

    const listed = await request(service.app).get('/ops/dead-letters').use(admin);
    const retried = await request(service.app)
      .post(`/ops/dead-letters/${messageId}/retry`)
      .use(admin);

    expect(OutboxDeadLetterList.parse(listed.body).items).toContainEqual(
      expect.objectContaining({ messageId, lastError: 'order answered 503' }),
    );
    expect(OutboxDeadLetter.parse(retried.body)).toMatchObject({ messageId, attempts: 0 });
    const [row] = await service.db.query('select status from outbox where id = $1', [messageId]);
    expect(row).toEqual({ status: 'pending' });
  });

  it('returns 403 to kitchen staff', async () => {
    const res = await request(service.app).get('/ops/dead-letters').use(asUser('kitchen'));

    expectProblem(res, 403, 'forbidden');
  });
});
