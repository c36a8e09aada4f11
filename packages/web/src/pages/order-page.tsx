import {
  FINAL_ORDER_STATUSES,
  type OrderDetails,
  type OrderStatus,
  type PaymentMethod,
} from '@cheesecake/contracts';
import { type FormEvent, useState } from 'react';
import { ProblemAlert } from '../components/problem-alert.js';
import { SagaTimeline } from '../components/saga-timeline.js';
import { StatusBadge } from '../components/status-badge.js';
import { useAction } from '../components/use-action.js';
import { useOrderStatus } from '../components/use-order-status.js';
import { useResource } from '../components/use-resource.js';
import { formatMoney } from '../format.js';
import { useSession } from '../session-context.js';

const CARDS: { token: PaymentMethod; label: string }[] = [
  { token: 'tok_visa', label: 'Visa that pays (tok_visa)' },
  { token: 'tok_chargeDeclined', label: 'Card that is declined (tok_chargeDeclined)' },
  { token: 'tok_insufficientFunds', label: 'Card without funds (tok_insufficientFunds)' },
];

const HAPPY_PATH: OrderStatus[] = ['PENDING_PAYMENT', 'PAID', 'PREPARING', 'READY'];

// Steps that change no status (a failed delivery, a ticket delivered) arrive on the timeline
// only; while the saga runs the page asks for it this often.
const TIMELINE_REFRESH_MS = 2_500;

/** One order: its status moving live, paying or cancelling it, and its saga as it happens. */
export function OrderPage({ orderId }: { orderId: string }) {
  const { api, session } = useSession();
  const order = useResource(() => api.call('getOrder', { params: { orderId } }), [api, orderId]);
  const [liveStatus, setLiveStatus] = useState<OrderStatus | null>(null);
  const status = furthest(liveStatus, order.value?.status ?? null);
  const running = status !== null && !FINAL_ORDER_STATUSES.includes(status);
  const timeline = useResource(
    () => api.call('getTimeline', { params: { orderId } }),
    [api, orderId],
    running ? TIMELINE_REFRESH_MS : null,
  );
  const live = useOrderStatus(order.value ? orderId : null, (event) => {
    setLiveStatus(event.status);
    order.reload();
    timeline.reload();
  });

  if (!order.value) {
    return (
      <section className="panel">
        <h1>Order</h1>
        <ProblemAlert error={order.error} />
        {!order.error && <p className="hint">Loading…</p>}
      </section>
    );
  }
  const details = order.value;
  return (
    <div className="columns">
      <section className="panel tracker">
        <header className="tracker-head">
          <h1>Order #{details.number}</h1>
          {status && <StatusBadge status={status} />}
          <span className={`connection connection-${live.connection}`}>
            {connectionLabel(live.connection)}
          </span>
        </header>
        {status && <SagaProgress status={status} />}
        {live.problem && (
          <p role="alert" className="alert">
            {live.problem}
          </p>
        )}
        <OrderSummary details={details} />
        {status === 'PENDING_PAYMENT' && session?.role === 'customer' && (
          <PaymentForm
            orderId={orderId}
            onDone={() => {
              order.reload();
              timeline.reload();
            }}
          />
        )}
        {status !== null &&
          ['PENDING_PAYMENT', 'PAID'].includes(status) &&
          session?.role === 'customer' && (
            <CancelButton
              orderId={orderId}
              onDone={() => {
                order.reload();
                timeline.reload();
              }}
            />
          )}
      </section>
      <section className="panel">
        <h2>The saga, as it happens</h2>
        <ProblemAlert error={timeline.error} />
        <SagaTimeline steps={timeline.value?.steps ?? []} />
      </section>
    </div>
  );
}

// An order's status only moves forward, so of two reports (the live feed's and the last
// answer's) the one further along is the newer.
function furthest(a: OrderStatus | null, b: OrderStatus | null): OrderStatus | null {
  const rank = (status: OrderStatus | null) =>
    status === null
      ? -1
      : FINAL_ORDER_STATUSES.includes(status)
        ? HAPPY_PATH.length
        : HAPPY_PATH.indexOf(status);
  return rank(a) >= rank(b) ? a : b;
}

function connectionLabel(connection: string): string {
  if (connection === 'websocket') return 'live (WebSocket)';
  if (connection === 'event-stream') return 'live (event stream)';
  if (connection === 'reconnecting') return 'reconnecting…';
  return 'final';
}

function SagaProgress({ status }: { status: OrderStatus }) {
  const reached = HAPPY_PATH.indexOf(status);
  if (reached < 0) return <p className="progress-ended">This order ended {status}.</p>;
  return (
    <ol className="progress" aria-label="Progress">
      {HAPPY_PATH.map((step, index) => (
        <li
          key={step}
          className={index <= reached ? 'done' : ''}
          aria-current={index === reached ? 'step' : undefined}
        >
          {step.replace('_', ' ').toLowerCase()}
        </li>
      ))}
    </ol>
  );
}

function OrderSummary({ details }: { details: OrderDetails }) {
  return (
    <div className="summary">
      <ul className="lines">
        {details.items.map((line) => (
          <li key={line.menuItemId}>
            <span>
              {line.quantity} × {line.name}
            </span>
            <span>{formatMoney(line.lineTotalCents, details.currency)}</span>
          </li>
        ))}
      </ul>
      <p className="total">
        Total <strong>{formatMoney(details.totalCents, details.currency)}</strong>
      </p>
      {details.notes && (
        <p className="notes">
          Note: <span>{details.notes}</span>
        </p>
      )}
      <dl className="parts">
        <dt>Payment</dt>
        <dd>{details.payment ? <StatusBadge status={details.payment.status} /> : 'none yet'}</dd>
        <dt>Kitchen ticket</dt>
        <dd>{details.ticket ? <StatusBadge status={details.ticket.status} /> : 'none yet'}</dd>
      </dl>
    </div>
  );
}

function PaymentForm({ orderId, onDone }: { orderId: string; onDone: () => void }) {
  const { api } = useSession();
  const [card, setCard] = useState<PaymentMethod>('tok_visa');
  const paying = useAction();

  async function pay(event: FormEvent) {
    event.preventDefault();
    await paying.run(() =>
      api.call('payOrder', {
        params: { orderId },
        headers: { 'idempotency-key': crypto.randomUUID() },
        body: { paymentMethod: card },
      }),
    );
    onDone();
  }

  return (
    <form onSubmit={pay} className="stack pay">
      <h2>Pay</h2>
      <label>
        Card
        <select
          name="card"
          value={card}
          onChange={(event) => setCard(event.target.value as PaymentMethod)}
        >
          {CARDS.map((option) => (
            <option key={option.token} value={option.token}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      <ProblemAlert error={paying.error} />
      <button type="submit" disabled={paying.busy}>
        Pay
      </button>
    </form>
  );
}

function CancelButton({ orderId, onDone }: { orderId: string; onDone: () => void }) {
  const { api } = useSession();
  const cancelling = useAction();
  async function cancel() {
    await cancelling.run(() => api.call('cancelOrder', { params: { orderId }, headers: {} }));
    onDone();
  }
  return (
    <div className="stack">
      <ProblemAlert error={cancelling.error} />
      <button type="button" className="secondary" onClick={cancel} disabled={cancelling.busy}>
        Cancel order
      </button>
    </div>
  );
}
