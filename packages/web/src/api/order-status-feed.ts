import {
  FINAL_ORDER_STATUSES,
  LiveServerMessage,
  ORDER_STATUS_EVENT,
  type OrderStatusEvent,
} from '@cheesecake/contracts';
import { EventSourceParserStream } from 'eventsource-parser/stream';

/** What a feed tells the page. */
export interface FeedHandlers {
  /** A status change, each at most once and in order. */
  onStatus: (event: OrderStatusEvent) => void;
  /** Whether the feed is connected, and over which transport. */
  onConnection: (state: ConnectionState) => void;
  /** A problem the server sent about the subscription (not found, forbidden, unavailable). */
  onProblem?: (title: string) => void;
}

/** Where a feed stands: connected over a WebSocket or an event stream, or waiting to reconnect. */
export type ConnectionState = Transport | 'reconnecting' | 'closed';

type Transport = 'websocket' | 'event-stream';

const RECONNECT_DELAYS_MS = [500, 1_000, 2_000, 5_000];

/**
 * Follows the status of one order, or of every order (`"*"`, kitchen and admins), over the
 * WebSocket `GET /api/ws`; where no WebSocket opens, over the order's event stream. It
 * reconnects on its own, and hands on each change once: a change it has already seen
 * (the current status a new subscription starts with) is dropped.
 */
export class OrderStatusFeed {
  readonly #target: string;
  readonly #accessToken: () => string | null;
  readonly #handlers: FeedHandlers;
  readonly #latest = new Map<string, OrderStatusEvent>();
  #socket: WebSocket | null = null;
  #stream: AbortController | null = null;
  #lastEventId: string | null = null;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #transport: Transport = 'websocket';
  // A transport that has connected once is kept through outages (the gateway restarting);
  // one that fails before it ever connects is given up for the other (a proxy without upgrades).
  readonly #hasConnected = { websocket: false, 'event-stream': false };

  constructor(target: string, accessToken: () => string | null, handlers: FeedHandlers) {
    this.#target = target;
    this.#accessToken = accessToken;
    this.#handlers = handlers;
  }

  /** Starts following. */
  open(): void {
    this.#connect();
  }

  /** Stops following and closes the connection. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.close(1000);
    this.#stream?.abort();
    this.#handlers.onConnection('closed');
  }

  #connect(): void {
    if (this.#closed) return;
    const token = this.#accessToken();
    if (!token) {
      this.close();
      return;
    }
    if (this.#transport === 'websocket') this.#openWebSocket(token);
    else void this.#readEventStream(token);
  }

  #openWebSocket(token: string): void {
    const url = new URL('/api/ws', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('access_token', token);
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => {
      this.#connected('websocket');
      socket.send(JSON.stringify({ type: 'subscribe', orderId: this.#target }));
    };
    socket.onmessage = (message) => this.#onSocketMessage(message.data);
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#reconnect();
    };
  }

  #onSocketMessage(data: unknown): void {
    const parsed = LiveServerMessage.safeParse(JSON.parse(String(data)));
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'order.status') this.#deliver(message);
    if (message.type === 'error') this.#handlers.onProblem?.(message.problem.title);
  }

  async #readEventStream(token: string): Promise<void> {
    const controller = new AbortController();
    this.#stream = controller;
    const headers = new Headers({ accept: 'text/event-stream', authorization: `Bearer ${token}` });
    if (this.#lastEventId) headers.set('last-event-id', this.#lastEventId);
    try {
      const path = `/api/orders/${encodeURIComponent(this.#target)}/events`;
      const response = await fetch(path, { headers, signal: controller.signal });
      if (!response.ok || !response.body)
        throw new Error(`The event stream answered ${response.status}`);
      this.#connected('event-stream');
      const events = response.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream());
      for await (const event of events) {
        if (event.event !== ORDER_STATUS_EVENT) continue;
        if (event.id) this.#lastEventId = event.id;
        const parsed = LiveServerMessage.safeParse(JSON.parse(event.data));
        if (parsed.success && parsed.data.type === 'order.status') this.#deliver(parsed.data);
      }
    } catch {
      // Reconnects below, resuming after the last event it read.
    }
    if (this.#stream === controller) this.#reconnect();
  }

  #deliver(event: OrderStatusEvent): void {
    const seen = this.#latest.get(event.orderId);
    if (seen && (seen.at > event.at || (seen.at === event.at && seen.status === event.status)))
      return;
    this.#latest.set(event.orderId, event);
    this.#handlers.onStatus(event);
    const final = FINAL_ORDER_STATUSES.includes(event.status);
    if (final && this.#target === event.orderId) this.close();
  }

  #connected(transport: Transport): void {
    this.#failures = 0;
    this.#hasConnected[transport] = true;
    this.#handlers.onConnection(transport);
  }

  #reconnect(): void {
    if (this.#closed) return;
    // The event stream follows one order only; "*" needs the WebSocket.
    if (!this.#hasConnected[this.#transport] && this.#target !== '*') {
      this.#transport = this.#transport === 'websocket' ? 'event-stream' : 'websocket';
    }
    this.#handlers.onConnection('reconnecting');
    const delay = RECONNECT_DELAYS_MS[Math.min(this.#failures, RECONNECT_DELAYS_MS.length - 1)];
    this.#failures += 1;
    this.#timer = setTimeout(() => this.#connect(), delay);
  }
}
