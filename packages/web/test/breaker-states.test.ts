import { describe, expect, it } from 'vitest';
import { breakerStatesOf } from '../src/api/breaker-states.js';

describe('breakerStatesOf', () => {
  it('reads the state each downstream is in from the gauges set to 1', () => {
    const metrics = [
      '# HELP circuit_breaker_state The state of the circuit breaker of each downstream: 1 for its current state',
      '# TYPE circuit_breaker_state gauge',
      'circuit_breaker_state{downstream="payment",state="closed"} 0',
      'circuit_breaker_state{downstream="payment",state="open"} 1',
      'circuit_breaker_state{downstream="order",state="closed"} 1',
      'circuit_breaker_state{downstream="order",state="open"} 0',
      'http_requests_total{route="/api/menu"} 12',
    ].join('\n');

    expect(breakerStatesOf(metrics)).toEqual([
      { downstream: 'order', state: 'closed' },
      { downstream: 'payment', state: 'open' },
    ]);
  });
});
