import { get, type IncomingMessage } from 'node:http';
import {
  LiveServerMessage,
  ORDER_STATUS_EVENT,
  type OrderStatus,
  OrderStatusEvent,
} from '@cheesecake/contracts';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';

/** One received server-sent event of an order stream, with its id. */
export interface ReceivedEvent {
  id: string;
  event: OrderStatusEvent;
}

/**
 * Follows an order with a real EventSource (the browser's API, reconnecting by itself with
 * Last-Event-ID) sending the user's token, until `until` arrives; resolves to every event.
 */
export function followWithEventSource(
  url: string,
  token: string,
  until: OrderStatus,
  onFirst?: () => void,
): Promise<ReceivedEvent[]> {
  return new Promise((resolve, reject) => {
    const received: ReceivedEvent[] = [];
    const source = new EventSource(url, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${token}` } }),
    });
    source.addEventListener(ORDER_STATUS_EVENT, (message) => {
      received.push({
        id: message.lastEventId,
        event: OrderStatusEvent.parse(JSON.parse(message.data)),
      });
      if (received.length === 1) onFirst?.();
      if (received.at(-1)?.event.status === until) {
        source.close();
        resolve(received);
      }
    });
    source.addEventListener('error', (error) => {
      // A stream that ends is reopened by the EventSource itself; a refusal closes it.
      if (source.readyState === EventSource.CLOSED)
        reject(new Error(`stream failed: ${error.message}`));
    });
  });
}

/** Reads a whole event stream that the server ends, sending `headers`, as plain HTTP. */
export async function readEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; events: ReceivedEvent[] }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    get(url, { headers: { accept: 'text/event-stream', ...headers } }, resolve).on('error', reject);
  });
  let text = '';
  response.setEncoding('utf8');
  for await (const chunk of response) text += chunk;
  const events = text
    .split('\n\n')
    .map((block) => Object.fromEntries(block.split('\n').map((line) => splitField(line))))
    .filter((fields) => fields.event === ORDER_STATUS_EVENT)
    .map((fields) => ({
      id: String(fields.id),
      event: OrderStatusEvent.parse(JSON.parse(String(fields.data))),
    }));
  return { status: response.statusCode ?? 0, events };
}

function splitField(line: string): [string, string] {
  const colon = line.indexOf(': ');
  return colon === -1 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 2)];
}

/** A WebSocket client of `GET /api/ws` that keeps every message, parsed with the contract. */
export class LiveClient {
  readonly messages: LiveServerMessage[] = [];
  readonly #socket: WebSocket;
  #waiters: Array<() => void> = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      this.messages.push(LiveServerMessage.parse(JSON.parse(data.toString())));
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Opens a connection with the user's token. */
  static async connect(gatewayUrl: string, token: string): Promise<LiveClient> {
    const socket = new WebSocket(
      `${gatewayUrl.replace(/^http/, 'ws')}/api/ws?access_token=${encodeURIComponent(token)}`,
    );
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new LiveClient(socket);
  }

  send(message: unknown): void {
    this.#socket.send(JSON.stringify(message));
  }

  /** Resolves to the messages so far once one satisfies `done`; fails after `timeoutMs`. */
  async until(
    done: (message: LiveServerMessage) => boolean,
    timeoutMs = 30_000,
  ): Promise<LiveServerMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.messages.some(done)) {
      if (Date.now() > deadline) {
        throw new Error(`no such message within ${timeoutMs} ms: ${JSON.stringify(this.messages)}`);
      }
      await new Promise<void>((wake) => {
        this.#waiters.push(wake);
        setTimeout(wake, 200);
      });
    }
    return [...this.messages];
  }

  close(): void {
    this.#socket.close();
  }
}

/** The status of a handshake the gateway refuses. */
export function refusedHandshakeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    socket.on('open', () => reject(new Error('the handshake was accepted')));
    socket.on('error', () => {});
  });
}
