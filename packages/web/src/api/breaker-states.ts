/** The state of the gateway's circuit breaker for one downstream service. */
export interface BreakerState {
  downstream: string;
  state: string;
}

const BREAKER_LINE = /^circuit_breaker_state\{([^}]*)\}\s+1(?:\.0+)?$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/**
 * The breaker states in the gateway's Prometheus text at `/metrics`: one gauge per
 * downstream and state, 1 for the state it is in.
 */
export function breakerStatesOf(metrics: string): BreakerState[] {
  const states: BreakerState[] = [];
  for (const line of metrics.split('\n')) {
    const match = BREAKER_LINE.exec(line.trim());
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[1] ?? '').matchAll(LABEL)].map(([, name, value]) => [name, value]),
    );
    if (labels.downstream && labels.state)
      states.push({ downstream: labels.downstream, state: labels.state });
  }
  return states.sort((a, b) => a.downstream.localeCompare(b.downstream));
}
