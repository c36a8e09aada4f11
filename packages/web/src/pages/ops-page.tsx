import {
  type FaultSettings,
  type FaultyService,
  FaultyService as FaultyServices,
} from '@cheesecake/contracts';
import { type FormEvent, useState } from 'react';
import { breakerStatesOf } from '../api/breaker-states.js';
import { Field } from '../components/field.js';
import { ProblemAlert } from '../components/problem-alert.js';
import { StatusBadge } from '../components/status-badge.js';
import { useAction } from '../components/use-action.js';
import { useResource } from '../components/use-resource.js';
import { formatTime } from '../format.js';
import { useSession } from '../session-context.js';

const REFRESH_MS = 3_000;

/** Dead letters with Retry, fault injection per service, and the gateway's circuit breakers. */
export function OpsPage() {
  return (
    <div className="stack">
      <DeadLettersPanel />
      <div className="columns">
        <FaultsPanel />
        <div className="stack">
          <BreakersPanel />
          <OutboxesPanel />
        </div>
      </div>
    </div>
  );
}

function DeadLettersPanel() {
  const { api } = useSession();
  const letters = useResource(() => api.call('listDeadLetters', {}), [api], REFRESH_MS);
  const retrying = useAction();
  const [retried, setRetried] = useState<string | null>(null);

  async function retry(deadLetterId: string) {
    const sent = await retrying.run(() =>
      api.call('retryDeadLetter', { params: { deadLetterId } }),
    );
    if (sent) setRetried(sent.id);
    letters.reload();
  }

  const items = letters.value?.items ?? [];
  return (
    <section className="panel">
      <h1>Dead letters</h1>
      <ProblemAlert error={retrying.error ?? letters.error} />
      {retried && <p role="status">Sent {retried} again.</p>}
      {items.length === 0 && <p className="hint">None: every message was delivered.</p>}
      <ul className="letters">
        {items.map((letter) => (
          <li key={letter.id} aria-label={`Dead letter ${letter.id}`}>
            <p>
              <strong>{letter.service}</strong> → {letter.destination}, {letter.attempts} attempts,
              since {formatTime(letter.createdAt)}
            </p>
            {letter.lastError && <p className="step-detail">{letter.lastError}</p>}
            <button type="button" onClick={() => retry(letter.id)} disabled={retrying.busy}>
              Retry
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function FaultsPanel() {
  return (
    <section className="panel">
      <h2>Fault injection</h2>
      <p className="hint">
        Slow a service down or make it fail, then watch the breakers and the orders.
      </p>
      {FaultyServices.options.map((service) => (
        <FaultForm key={service} service={service} />
      ))}
    </section>
  );
}

function FaultForm({ service }: { service: FaultyService }) {
  const { api } = useSession();
  const [failurePercent, setFailurePercent] = useState('0');
  const [latencyMs, setLatencyMs] = useState('0');
  const applying = useAction();
  const [applied, setApplied] = useState<FaultSettings | null>(null);

  async function apply(event: FormEvent) {
    event.preventDefault();
    const body = { failureRate: Number(failurePercent) / 100, latencyMs: Number(latencyMs) };
    setApplied(null);
    const settings = await applying.run(() => api.call('setFaults', { params: { service }, body }));
    if (settings) setApplied(settings);
  }

  return (
    <form onSubmit={apply} className="fault" aria-label={`Faults of the ${service} service`}>
      <h3>{service}</h3>
      <Field
        label="Failure rate (%)"
        type="number"
        min={0}
        max={100}
        value={failurePercent}
        onChange={(event) => setFailurePercent(event.target.value)}
      />
      <Field
        label="Added latency (ms)"
        type="number"
        min={0}
        max={30_000}
        value={latencyMs}
        onChange={(event) => setLatencyMs(event.target.value)}
      />
      <button type="submit" disabled={applying.busy}>
        Apply
      </button>
      {applied && (
        <p role="status">
          {Math.round(applied.failureRate * 100)} % failing, {applied.latencyMs} ms added
        </p>
      )}
      <ProblemAlert error={applying.error} />
    </form>
  );
}

function BreakersPanel() {
  const breakers = useResource(
    async () => {
      const response = await fetch('/metrics', { headers: { accept: 'text/plain' } });
      if (!response.ok) throw new Error(`The gateway's metrics answered ${response.status}`);
      return breakerStatesOf(await response.text());
    },
    [],
    REFRESH_MS,
  );
  return (
    <section className="panel">
      <h2>Circuit breakers</h2>
      <p className="hint">The gateway's breaker for each service it calls.</p>
      <ProblemAlert error={breakers.error} />
      <dl className="parts">
        {(breakers.value ?? []).map((breaker) => (
          <div key={breaker.downstream}>
            <dt>{breaker.downstream}</dt>
            <dd>
              <StatusBadge status={breaker.state} />
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function OutboxesPanel() {
  const { api } = useSession();
  const outboxes = useResource(() => api.call('listOutboxBacklogs', {}), [api], REFRESH_MS);
  return (
    <section className="panel">
      <h2>Outboxes</h2>
      <p className="hint">
        Messages waiting to be delivered, in each service that keeps an outbox.
      </p>
      <ProblemAlert error={outboxes.error} />
      <table className="outboxes">
        <thead>
          <tr>
            <th scope="col">service</th>
            <th scope="col">pending</th>
            <th scope="col">oldest waits</th>
            <th scope="col">dead</th>
          </tr>
        </thead>
        <tbody>
          {(outboxes.value?.items ?? []).map((outbox) => (
            <tr key={outbox.service}>
              <th scope="row">{outbox.service}</th>
              <td>{outbox.pending}</td>
              <td>{outbox.oldestPendingSeconds.toFixed(1)} s</td>
              <td>{outbox.dead}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
