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
export function readEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; events: ReceivedEvent[] }> {
  return openEventStream(url, headers).ended;
}

/** An event stream being read: `firstEvent` resolves once its first event has arrived, `ended` once the server ends it. */
export interface EventStreamReading {
  firstEvent: Promise<void>;
  ended: Promise<{ status: number; events: ReceivedEvent[] }>;
}

/**
 * Starts reading an event stream, sending `headers`, as plain HTTP; both promises reject if
 * the request fails, and `firstEvent` if the stream ends without an event.
 */
export function openEventStream(url: string, headers: Record<string, string>): EventStreamReading {
  let arrived: () => void = () => {};
  let failed: (error: unknown) => void = () => {};
  const firstEvent = new Promise<void>((resolve, reject) => {
    arrived = resolve;
    failed = reject;
  });
  const ended = (async () => {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      get(url, { headers: { accept: 'text/event-stream', ...headers } }, resolve).on(
        'error',
        reject,
      );
    });
    let text = '';
    response.setEncoding('utf8');
    for await (const chunk of response) {
      text += chunk;
      // Only the blocks a blank line has closed are whole events.
      const closed = text.lastIndexOf('\n\n');
      if (closed !== -1 && parseEvents(text.slice(0, closed)).length > 0) arrived();
    }
    const events = parseEvents(text);
    if (events.length === 0) failed(new Error(`the stream of ${url} ended without an event`));
    return { status: response.statusCode ?? 0, events };
  })();
  ended.catch(failed);
  // Whoever awaits either promise still sees its rejection; neither is left unhandled.
  firstEvent.catch(() => {});
  return { firstEvent, ended };
}

function parseEvents(text: string): ReceivedEvent[] {
  return text
    .split('\n\n')
    .map((block) => Object.fromEntries(block.split('\n').map((line) => splitField(line))))
    .filter((fields) => fields.event === ORDER_STATUS_EVENT)
    .map((fields) => ({
      id: String(fields.id),
      event: OrderStatusEvent.parse(JSON.parse(String(fields.data))),
    }));
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
