import { readFileSync } from 'node:fs';
import { OrderStatus } from '@cheesecake/contracts';
import type { Transition } from '@cheesecake/service-kit';
import { describe, expect, it } from 'vitest';
import {
  type OrderTransitionName,
  orderTransitions,
  statusAfter,
} from '../src/orders/order-lifecycle.js';

const rows = Object.entries(orderTransitions) as Array<
  [OrderTransitionName, Transition<OrderStatus>]
>;
const moves = rows.flatMap(([name, { from, to }]) =>
  from.map((status) => ({ from: status, to, name })),
);

describe('the order lifecycle table', () => {
  it('reaches every status from PENDING_PAYMENT, where a new order starts', () => {
    const reached = new Set<string>(['PENDING_PAYMENT']);
    for (let grew = true; grew; ) {
      const before = reached.size;
      for (const move of moves) if (reached.has(move.from)) reached.add(move.to);
      grew = reached.size > before;
    }

    expect([...reached].sort()).toEqual([...OrderStatus.options].sort());
  });

  it('lets nothing happen to a READY, CANCELLED or REJECTED order', () => {
    const leaving = moves.filter((move) => ['READY', 'CANCELLED', 'REJECTED'].includes(move.from));

    expect(leaving).toEqual([]);
  });

  it('answers no next status for a transition the table does not allow in that status', () => {
    const allowed = statusAfter('kitchenReady', 'PREPARING');
    const refused = statusAfter('paymentCaptured', 'PAID');

    expect(allowed).toBe('READY');
    expect(refused).toBeUndefined();
  });

  it('is what the state diagram in docs/architecture.md draws', () => {
    const doc = readFileSync(new URL('../../../docs/architecture.md', import.meta.url), 'utf8');
    const drawn = [...doc.matchAll(/^ {2}([A-Z_]+) --> ([A-Z_]+): (\w+)$/gm)].map(
      ([, from, to, name]) => ({ from, to, name }),
    );

    expect(new Set(drawn.map((move) => JSON.stringify(move)))).toEqual(
      new Set(moves.map((move) => JSON.stringify(move))),
    );
  });
});
