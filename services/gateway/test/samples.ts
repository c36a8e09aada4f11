import type { Menu, Order, Payment, Ticket } from '@cheesecake/contracts';
import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import { DemoUsers } from '../src/users.js';

const CREATED_AT = '2025-01-02T12:00:00.000Z';

export function anOrder(overrides: Partial<Order> = {}): Order {
  return {
    id: 'ord_1',
    number: 101,
    customerId: 'usr_alice',
    status: 'PENDING_PAYMENT',
    items: [
      {
        menuItemId: 'new-york-cheesecake',
        name: 'New York cheesecake',
        quantity: 2,
        unitPriceCents: 650,
        lineTotalCents: 1300,
      },
    ],
    totalCents: 1300,
    currency: 'USD',
    notes: null,
    paymentId: null,
    ticketId: null,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

export function aPayment(overrides: Partial<Payment> = {}): Payment {
  return {
    id: 'pay_1',
    orderId: 'ord_1',
    amountCents: 1300,
    currency: 'USD',
    status: 'CAPTURED',
    declineCode: null,
    createdAt: CREATED_AT,
    refundedAt: null,
    ...overrides,
  };
}

export function aTicket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 'tkt_1',
    orderId: 'ord_1',
    orderNumber: 101,
    status: 'QUEUED',
    items: [{ menuItemId: 'new-york-cheesecake', name: 'New York cheesecake', quantity: 2 }],
    notes: null,
    rejectionReason: null,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

export function aMenu(overrides: Partial<Menu['items'][number]> = {}): Menu {
  return {
    items: [
      {
        id: 'new-york-cheesecake',
        name: 'New York cheesecake',
        description: 'Dense, creamy, on a graham cracker crust',
        priceCents: 650,
        currency: 'USD',
        available: true,
        ...overrides,
      },
    ],
  };
}

/** Signs in through the gateway and returns the `Authorization` header value. */
export async function signIn(gateway: Express, username: string): Promise<string> {
  return `Bearer ${await accessTokenOf(gateway, username)}`;
}

/** The access token a demo user signs in for, as a WebSocket handshake or `Authorization` carries it. */
export async function accessTokenOf(gateway: Express, username: string): Promise<string> {
  const res = await request(gateway)
    .post('/api/auth/token')
    .send({ username, password: 'cheesecake' });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

const demoUsersByPassword = new Map<string, Promise<DemoUsers>>();

/**
 * The demo users with `password`, hashed once per test worker: hashing is slow on purpose,
 * and every test builds a gateway of its own.
 */
export function demoUsers(password: string): Promise<DemoUsers> {
  let users = demoUsersByPassword.get(password);
  if (!users) {
    users = DemoUsers.create(password);
    demoUsersByPassword.set(password, users);
  }
  return users;
}
