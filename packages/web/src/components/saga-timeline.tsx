import type { OrderEvent, OrderEventName } from '@cheesecake/contracts';
import { formatTime } from '../format.js';

// How each step of the saga reads on the timeline, and which service took it.
const STEP_LABELS: Record<OrderEventName, { label: string; service: string; tone: string }> = {
  'order.placed': { label: 'Order placed', service: 'order', tone: 'neutral' },
  'payment.captured': { label: 'Payment captured', service: 'payment', tone: 'good' },
  'payment.declined': { label: 'Payment declined', service: 'payment', tone: 'bad' },
  'ticket.delivery-failed': {
    label: 'Kitchen unreachable, retrying',
    service: 'outbox',
    tone: 'bad',
  },
  'ticket.delivered': { label: 'Ticket delivered to the kitchen', service: 'outbox', tone: 'good' },
  'kitchen.status': { label: 'Kitchen', service: 'kitchen', tone: 'neutral' },
  'order.cancelled': { label: 'Order cancelled', service: 'order', tone: 'bad' },
  'refund.requested': { label: 'Refund requested', service: 'outbox', tone: 'neutral' },
  'refund.completed': { label: 'Refund completed', service: 'payment', tone: 'good' },
};

/** The saga of one order, step by step as it happened, each with its time and request id. */
export function SagaTimeline({ steps }: { steps: readonly OrderEvent[] }) {
  if (steps.length === 0) return <p className="hint">No step yet.</p>;
  return (
    <ol className="timeline" aria-label="Saga timeline">
      {steps.map((step, index) => {
        const look = STEP_LABELS[step.step];
        return (
          <li key={`${step.step}-${step.at}-${index}`} className={`step tone-${look.tone}`}>
            <span className={`service service-${look.service}`}>{look.service}</span>
            <div>
              <p className="step-title">
                {look.label}
                {step.ticketStatus && ` ${step.ticketStatus}`}
                {step.attempt && step.attempt > 1 && ` (attempt ${step.attempt})`}
              </p>
              <p className="step-detail">{step.detail}</p>
              <p className="step-meta">
                <time dateTime={step.at}>{formatTime(step.at)}</time>
                {' · order '}
                {step.orderStatus}
                {step.requestId && ` · request ${step.requestId}`}
              </p>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
