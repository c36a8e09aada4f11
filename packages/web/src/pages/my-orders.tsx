import { Link } from 'wouter';
import { ProblemAlert } from '../components/problem-alert.js';
import { StatusBadge } from '../components/status-badge.js';
import { useResource } from '../components/use-resource.js';
import { formatMoney, formatTime } from '../format.js';
import { useSession } from '../session-context.js';

/** The signed-in customer's orders, newest first, each linking to its tracker. */
export function MyOrdersPage() {
  const { api } = useSession();
  const orders = useResource(() => api.call('listOrders', { query: { limit: 50 } }), [api], 5_000);
  const items = orders.value?.items ?? [];
  return (
    <section className="panel">
      <h1>My orders</h1>
      <ProblemAlert error={orders.error} />
      {orders.value && items.length === 0 && <p className="hint">No order yet.</p>}
      <ul className="orders">
        {items.map((order) => (
          <li key={order.id}>
            <Link href={`/orders/${order.id}`}>Order #{order.number}</Link>
            <span>{formatTime(order.createdAt)}</span>
            <span>{formatMoney(order.totalCents, order.currency)}</span>
            <StatusBadge status={order.status} />
          </li>
        ))}
      </ul>
    </section>
  );
}
