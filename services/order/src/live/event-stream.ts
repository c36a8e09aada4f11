import type { Endpoint, ParsedRequestOf } from '@cheesecake/contracts';
import {
  endOnShutdown,
  type HandlerContext,
  handlerContext,
  parseRequest,
} from '@cheesecake/service-kit';
import type { Request, Response, Router } from 'express';

/** One server-sent event. */
export interface ServerSentEvent {
  /** The event's id, which the client sends back as `Last-Event-ID` when it reconnects. */
  id?: string;
  /** The event's name, such as `order.status`; without one the client sees a `message`. */
  event?: string;
  /** Sent as JSON on one `data:` line. */
  data: unknown;
}

/** How an event stream keeps itself open and tells clients to come back. */
export interface EventStreamOptions {
  /** How often a comment is sent, so that proxies and clients keep an idle stream; default 15 s. */
  keepAliveMs?: number;
  /** How long a client waits before reconnecting once the stream ends (`retry:`); default 2 s. */
  retryMs?: number;
}

/** An open `text/event-stream` answer. */
export interface EventStream {
  /** Writes one event; does nothing once the stream is closed. */
  send(event: ServerSentEvent): void;
  /** Ends the answer; the client may reconnect after the `retry:` delay. */
  close(): void;
  /** Whether the stream has ended, by {@link EventStream.close}, shutdown, or the client leaving. */
  readonly closed: boolean;
  /** Calls `listener` once when the stream ends, for whatever reason; at once if it has. */
  onClose(listener: () => void): void;
}

const DEFAULT_KEEP_ALIVE_MS = 15_000;
const DEFAULT_RETRY_MS = 2_000;

/**
 * Starts a `text/event-stream` answer: 200, never cached or buffered by a proxy, headers
 * sent at once with the client's reconnection delay, then a `: keep-alive` comment on an
 * interval that does not hold the process open. Each event goes out as
 * `id: …\nevent: …\ndata: <json>\n\n`. The stream is ended on graceful shutdown
 * ({@link endOnShutdown}) and forgets about shutdown once the client goes.
 */
export function openEventStream(
  req: Request,
  res: Response,
  options: EventStreamOptions = {},
): EventStream {
  res.status(200).set({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  res.write(`retry: ${options.retryMs ?? DEFAULT_RETRY_MS}\n\n`);

  let closed = false;
  const listeners: Array<() => void> = [];
  const keepAlive = setInterval(() => {
    res.write(': keep-alive\n\n');
  }, options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS).unref();
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    unregister();
    for (const listener of listeners.splice(0)) listener();
  };
  const stream: EventStream = {
    send: ({ id, event, data }) => {
      if (closed) return;
      let frame = '';
      if (id !== undefined) frame += `id: ${singleLine(id)}\n`;
      if (event !== undefined) frame += `event: ${singleLine(event)}\n`;
      // JSON escapes line breaks inside strings, so the data always fits on one line.
      res.write(`${frame}data: ${JSON.stringify(data)}\n\n`);
    },
    close: () => {
      if (closed) return;
      finish();
      res.end();
    },
    get closed() {
      return closed;
    },
    onClose: (listener) => {
      if (closed) listener();
      else listeners.push(listener);
    },
  };
  const unregister = endOnShutdown(req.app, stream.close);
  res.once('close', finish);
  // A client that left while the stream was being prepared will not be told of again.
  if (req.socket.destroyed) finish();
  return stream;
}

/** An event-stream route's handler: it opens the stream with {@link openEventStream}, or throws. */
export type EventStreamHandler<E extends Endpoint> = (
  request: ParsedRequestOf<E>,
  context: HandlerContext,
) => Promise<void>;

/**
 * Mounts `handler` on `router` for an endpoint record with `eventStream: true`: validates
 * the request with the record's schemas (400 listing every failed check) and calls the
 * handler, which answers with an event stream. A problem it throws before opening the
 * stream is answered as problem+json, like on any other route.
 */
export function handleEventStream<E extends Endpoint & { method: 'GET'; eventStream: true }>(
  router: Router,
  endpoint: E,
  handler: NoInfer<EventStreamHandler<E>>,
): void {
  router.get(endpoint.path, async (req: Request, res: Response) => {
    await handler(parseRequest(endpoint, req), handlerContext(req, res));
  });
}

function singleLine(field: string): string {
  if (/[\r\n]/.test(field)) throw new Error(`An event field must be one line: ${field}`);
  return field;
}
