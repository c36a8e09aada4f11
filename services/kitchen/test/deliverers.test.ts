import {
  orderApi,
  problemTypes,
  problemTypeUri,
  type StockLevelReport,
  type TicketStatusReport,
} from '@cheesecake/contracts';
import {
  type Caller,
  Downstream,
  DownstreamPolicy,
  type OutboxMessage,
  PermanentDeliveryError,
  requireInternalCredential,
  UnexpectedResponseError,
} from '@cheesecake/service-kit';
import {
  type RunningServer,
  startServer,
  TEST_INTERNAL_SECRET,
} from '@cheesecake/service-kit/testing';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDeliverers } from '../src/reports/deliverers.js';
import { TICKET_STATUS_DESTINATION } from '../src/reports/status-reports.js';
import { STOCK_LEVEL_DESTINATION } from '../src/reports/stock-reports.js';

interface Received {
  caller: Caller;
  path: string;
  requestId: string | undefined;
  body: unknown;
}

/** The order service's answer the stub gives next: a status and its body. */
let answer: { status: number; body: unknown };
let received: Received[];
let orderService: RunningServer;

beforeAll(async () => {
  const stub = express();
  stub.use(express.json());
  stub.use(
    requireInternalCredential({
      secret: TEST_INTERNAL_SECRET,
      service: 'order',
      callers: ['kitchen'],
    }),
  );
  stub.post(['/ticket-status-reports', '/stock-level-reports'], (req, res) => {
    received.push({
      caller: res.locals.caller as Caller,
      path: req.path,
      requestId: req.get('x-request-id'),
      body: req.body,
    });
    res.status(answer.status).json(answer.body);
  });
  orderService = await startServer(stub);
});
afterAll(() => orderService.close());
beforeEach(() => {
  received = [];
});

function deliverer(destination = TICKET_STATUS_DESTINATION) {
  const orders = new Downstream({
    from: 'kitchen',
    to: 'order',
    baseUrl: orderService.url,
    secret: TEST_INTERNAL_SECRET,
    policy: new DownstreamPolicy({ service: 'order', timeoutMs: 30_000 }),
  }).client(orderApi);
  const deliver = createDeliverers(orders)[destination];
  if (!deliver) throw new Error(`no deliverer of ${destination}`);
  return deliver;
}

const report: TicketStatusReport = {
  ticketId: 'tkt_1',
  orderId: 'ord_1',
  status: 'PREPARING',
  reason: null,
  occurredAt: '2026-01-02T03:04:05.000Z',
};

const message = (
  payload: unknown = report,
  destination = TICKET_STATUS_DESTINATION,
): OutboxMessage => ({
  id: 'msg_1',
  destination,
  payload,
  requestId: 'req-42',
  attempts: 1,
});

const problem = (status: number, code: string) => ({
  type: problemTypeUri(code),
  title: code,
  status,
  detail: `answered ${status}`,
});

describe('the ticket status deliverer', () => {
  it('sends the report to the order service as the kitchen, with the request id', async () => {
    answer = { status: 200, body: { applied: true } };

    await deliverer()(message());

    expect(received).toEqual([
      {
        caller: { service: 'kitchen' },
        path: '/ticket-status-reports',
        requestId: 'req-42',
        body: report,
      },
    ]);
  });

  it('sets the message aside when the order service refuses it with a 4xx', async () => {
    answer = { status: 404, body: problem(404, problemTypes.orderNotFound.code) };

    const delivery = deliverer()(message());

    await expect(delivery).rejects.toBeInstanceOf(PermanentDeliveryError);
    await expect(delivery).rejects.toThrow('404: answered 404');
  });

  it('fails so the relay retries when the order service answers 503', async () => {
    answer = { status: 503, body: problem(503, problemTypes.serviceUnavailable.code) };

    const delivery = deliverer()(message());

    await expect(delivery).rejects.toBeInstanceOf(UnexpectedResponseError);
    await expect(delivery).rejects.not.toBeInstanceOf(PermanentDeliveryError);
  });

  it('sets aside a message that is not a ticket status report, without calling', async () => {
    answer = { status: 200, body: { applied: true } };

    const delivery = deliverer()(message({ ticketId: 'tkt_1' }));

    await expect(delivery).rejects.toBeInstanceOf(PermanentDeliveryError);
    expect(received).toEqual([]);
  });
});

describe('the stock level deliverer', () => {
  const level: StockLevelReport = { menuItemId: 'lemon-tart', quantity: 0, version: 4 };

  it('sends the level to the order service as the kitchen, with the request id', async () => {
    answer = { status: 200, body: { applied: true } };

    await deliverer(STOCK_LEVEL_DESTINATION)(message(level, STOCK_LEVEL_DESTINATION));

    expect(received).toEqual([
      {
        caller: { service: 'kitchen' },
        path: '/stock-level-reports',
        requestId: 'req-42',
        body: level,
      },
    ]);
  });

  it('sets the message aside when the order service has no such dish', async () => {
    answer = { status: 404, body: problem(404, problemTypes.menuItemNotFound.code) };

    const delivery = deliverer(STOCK_LEVEL_DESTINATION)(message(level, STOCK_LEVEL_DESTINATION));

    await expect(delivery).rejects.toBeInstanceOf(PermanentDeliveryError);
  });

  it('sets aside a message that is not a stock level, without calling', async () => {
    answer = { status: 200, body: { applied: true } };

    const delivery = deliverer(STOCK_LEVEL_DESTINATION)(
      message({ menuItemId: 'lemon-tart' }, STOCK_LEVEL_DESTINATION),
    );

    await expect(delivery).rejects.toBeInstanceOf(PermanentDeliveryError);
    expect(received).toEqual([]);
  });
});
