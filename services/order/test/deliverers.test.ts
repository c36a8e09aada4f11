import {
  type Database,
  type OutboxMessage,
  PermanentDeliveryError,
  UnexpectedResponseError,
  UpstreamUnavailableError,
} from '@cheesecake/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliverers, destinations } from '../src/orders/deliverers.js';
import {
  downstreamClients,
  type KitchenStub,
  openOrderDatabase,
  type PaymentStub,
  startKitchenStub,
  startPaymentStub,
  unreachableUrl,
} from './support.js';

const ticket = {
  orderId: 'ord_deliver1',
  orderNumber: 123,
  items: [{ menuItemId: 'tiramisu', name: 'Tiramisu', quantity: 1 }],
  notes: null,
};

const message = (destination: string, payload: unknown): OutboxMessage => ({
  id: 'msg_1',
  destination,
  payload,
  requestId: 'req-saga-1',
  attempts: 1,
});

let db: Database;
beforeAll(async () => {
  db = await openOrderDatabase();
});
afterAll(() => db.close());

describe('kitchen.create-ticket', () => {
  let accepting: KitchenStub;
  let refusing: KitchenStub;
  let failing: KitchenStub;

  beforeAll(async () => {
    [accepting, refusing, failing] = await Promise.all([
      startKitchenStub({ createTicket: 'accept' }),
      startKitchenStub({ createTicket: 'refuse' }),
      startKitchenStub({ createTicket: 'fail' }),
    ]);
  });
  afterAll(() => Promise.all([accepting, refusing, failing].map((stub) => stub.close())));

  const deliverTo = (kitchenUrl: string, payload: unknown = ticket) =>
    createDeliverers({ ...downstreamClients({ kitchenUrl }), db })[destinations.createTicket]?.(
      message(destinations.createTicket, payload),
    );

  it('delivers the ticket with the request id of the saga, and accepts a repeat', async () => {
    await deliverTo(accepting.url);
    await deliverTo(accepting.url);

    expect(accepting.tickets).toMatchObject([
      { body: ticket, requestId: 'req-saga-1', caller: { service: 'order' } },
      { body: ticket, requestId: 'req-saga-1' },
    ]);
  });

  it('gives up for good when the kitchen refuses the ticket with a 4xx', async () => {
    await expect(deliverTo(refusing.url)).rejects.toBeInstanceOf(PermanentDeliveryError);
  });

  it('fails to be retried when the kitchen fails', async () => {
    await expect(deliverTo(failing.url)).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it('fails to be retried when the kitchen is unreachable', async () => {
    await expect(deliverTo(await unreachableUrl())).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
  });

  it('gives up for good on a payload that is not a ticket', async () => {
    await expect(deliverTo(accepting.url, { orderId: 'ord_1' })).rejects.toBeInstanceOf(
      PermanentDeliveryError,
    );
  });
});

describe('payment.refund', () => {
  let payment: PaymentStub;

  beforeAll(async () => {
    payment = await startPaymentStub();
  });
  afterAll(() => payment.close());

  const deliverTo = (paymentUrl: string, paymentId: string) =>
    createDeliverers({ ...downstreamClients({ paymentUrl }), db })[destinations.refundPayment]?.(
      message(destinations.refundPayment, { paymentId, orderId: 'ord_refund1' }),
    );

  it('refunds the payment, and accepts a repeat', async () => {
    const { payments } = downstreamClients({ paymentUrl: payment.url });
    const charged = await payments.charge({
      headers: { 'idempotency-key': 'ord_refund1:attempt-1:tok_visa' },
      body: {
        orderId: 'ord_refund1',
        amountCents: 650,
        currency: 'USD',
        paymentMethod: 'tok_visa',
      },
    });
    const paymentId = charged.status === 201 ? charged.body.id : 'not-charged';

    await deliverTo(payment.url, paymentId);
    await deliverTo(payment.url, paymentId);

    expect(payment.refunds).toEqual([paymentId, paymentId]);
    expect(payment.payments.find((p) => p.id === paymentId)?.status).toBe('REFUNDED');
  });

  it('gives up for good when the payment service does not know the payment', async () => {
    await expect(deliverTo(payment.url, 'pay_unknown')).rejects.toBeInstanceOf(
      PermanentDeliveryError,
    );
  });

  it('fails to be retried when the payment service is unreachable', async () => {
    await expect(deliverTo(await unreachableUrl(), 'pay_1')).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
  });
});
