import { OrderDetails } from '@cheesecake/contracts';
import { forgetSpans, recordedSpans, servedSpan } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anOrder, aPayment, aTicket, signIn, startSystem, type TestSystem } from './support.js';

let system: TestSystem;
let alice: string;

beforeAll(async () => {
  system = await startSystem({
    order: { getOrder: async () => ({ status: 200, body: anOrder() }) },
    payment: { listPayments: async () => ({ status: 200, body: { items: [aPayment()] } }) },
    kitchen: { listTickets: async () => ({ status: 200, body: { items: [aTicket()] } }) },
  });
  alice = await signIn(system.gateway, 'alice');
});
afterAll(() => system.close());
beforeEach(() => {
  for (const stub of [system.order, system.payment, system.kitchen]) stub.calls.length = 0;
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

/** The parts of a `traceparent` header, or undefined when it is not one. */
function parseTraceparent(header: string) {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header);
  return match && { traceId: match[1], parentId: match[2], flags: match[3] };
}

const callsToEveryService = () => [
  ...system.order.calls,
  ...system.payment.calls,
  ...system.kitchen.calls,
];

describe('GET /api/orders/:orderId, correlated', () => {
  it("records its span under the client's, and under it one span per call to a service", async () => {
    forgetSpans();

    const res = await request(system.gateway)
      .get('/api/orders/ord_1')
      .set('authorization', alice)
      .set('traceparent', `00-${TRACE_ID}-${CLIENT_SPAN}-01`);

    expect(res.status).toBe(200);
    const served = servedSpan('/api/orders/ord_1');
    expect(served?.spanContext().traceId).toBe(TRACE_ID);
    expect(served?.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(served?.attributes).toMatchObject({ 'http.response.status_code': 200 });
    const calls = recordedSpans().filter(
      (span) =>
        span.parentSpanContext?.spanId === served?.spanContext().spanId &&
        span.attributes['server.port'] !== undefined,
    );
    const sentParents = callsToEveryService().map(
      (call) => parseTraceparent(String(call.headers.traceparent))?.parentId,
    );
    expect(calls).toHaveLength(3);
    expect(new Set(sentParents)).toEqual(new Set(calls.map((span) => span.spanContext().spanId)));
  });

  it("continues the client trace: every service gets its trace id under a span of the gateway's", async () => {
    const res = await request(system.gateway)
      .get('/api/orders/ord_1')
      .set('authorization', alice)
      .set('x-request-id', 'req-trace-1')
      .set('traceparent', `00-${TRACE_ID}-${CLIENT_SPAN}-01`)
      .set('tracestate', 'vendor=opaque');

    expect(res.status).toBe(200);
    expect(OrderDetails.parse(res.body).id).toBe('ord_1');
    expect(res.headers['x-request-id']).toBe('req-trace-1');
    const received = callsToEveryService().map((call) => call.headers);
    expect(received).toHaveLength(3);
    const parents = received.map((headers) => parseTraceparent(String(headers.traceparent)));
    for (const parent of parents) {
      expect(parent).toMatchObject({ traceId: TRACE_ID, flags: '01' });
      expect(parent?.parentId).not.toBe(CLIENT_SPAN);
    }
    expect(received.map((headers) => headers['x-request-id'])).toEqual([
      'req-trace-1',
      'req-trace-1',
      'req-trace-1',
    ]);
    expect(received.map((headers) => headers.tracestate)).toEqual([
      'vendor=opaque',
      'vendor=opaque',
      'vendor=opaque',
    ]);
  });

  it('starts a new trace when the client sends no traceparent, and one per request', async () => {
    await request(system.gateway).get('/api/orders/ord_1').set('authorization', alice);
    await request(system.gateway).get('/api/orders/ord_1').set('authorization', alice);

    const traces = callsToEveryService().map(
      (call) => parseTraceparent(String(call.headers.traceparent))?.traceId,
    );
    expect(traces).toHaveLength(6);
    expect(traces.every((traceId) => traceId !== undefined)).toBe(true);
    expect(new Set(traces).size).toBe(2);
  });

  it('starts a new trace, without the tracestate, when the traceparent is malformed', async () => {
    const malformed = [
      `00-${TRACE_ID.toUpperCase()}-${CLIENT_SPAN}-01`,
      `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`,
      `ff-${TRACE_ID}-${CLIENT_SPAN}-01`,
      `00-${TRACE_ID}-${CLIENT_SPAN}-01-extra`,
    ];

    for (const traceparent of malformed) {
      await request(system.gateway)
        .get('/api/orders/ord_1')
        .set('authorization', alice)
        .set('traceparent', traceparent)
        .set('tracestate', 'vendor=opaque');
    }

    const received = callsToEveryService().map((call) => call.headers);
    expect(received).toHaveLength(12);
    for (const headers of received) {
      const parent = parseTraceparent(String(headers.traceparent));
      expect(parent).toBeTruthy();
      expect(parent?.traceId).not.toBe(TRACE_ID);
      expect(headers.tracestate).toBeUndefined();
    }
  });
});
