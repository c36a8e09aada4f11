import type { OrderStatusEvent } from '@cheesecake/contracts';
import { useEffect, useRef, useState } from 'react';
import { type ConnectionState, OrderStatusFeed } from '../api/order-status-feed.js';
import { useSession } from '../session-context.js';

/**
 * Follows `target` (an order id, or `"*"`) live while the page shows it, calling `onStatus`
 * with each change; returns how the feed is connected.
 */
export function useOrderStatus(
  target: string | null,
  onStatus: (event: OrderStatusEvent) => void,
): { connection: ConnectionState; problem: string | null } {
  const { session } = useSession();
  const [connection, setConnection] = useState<ConnectionState>('reconnecting');
  const [problem, setProblem] = useState<string | null>(null);
  const token = session?.accessToken ?? null;
  // The latest callback, so that a new one each render does not reconnect.
  const handler = useRef(onStatus);
  handler.current = onStatus;

  useEffect(() => {
    if (!target || !token) return;
    const feed = new OrderStatusFeed(target, () => token, {
      onStatus: (event) => handler.current(event),
      onConnection: setConnection,
      onProblem: setProblem,
    });
    feed.open();
    return () => feed.close();
  }, [target, token]);

  return { connection, problem };
}
