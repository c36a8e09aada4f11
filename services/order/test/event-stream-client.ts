import { OrderStatusEvent } from '@cheesecake/contracts';
import type { TestResponse } from '@cheesecake/service-kit/testing';

/** One server-sent event as a client receives it, its data parsed with the contract. */
export interface ReceivedEvent {
  id: string | undefined;
  event: string | undefined;
  data: OrderStatusEvent;
}

/** A `GET` of an event-stream route on a real server, read as it arrives. */
export interface StreamAnswer extends TestResponse {
  /** The next event; rejects if the stream ends first. */
  next(): Promise<ReceivedEvent>;
  /** The next event of one of these orders, skipping the others'. */
  nextOf(orderIds: string[]): Promise<ReceivedEvent>;
  /** Every event still to come, once the server has ended the stream. */
  rest(): Promise<ReceivedEvent[]>;
  /** Leaves, as a client closing its EventSource. */
  disconnect(): void;
}

/**
 * Opens an event stream the way an EventSource does, resolving once the answer's headers
 * arrive. An answer that is not a stream (a problem) is read whole into `body`.
 */
export async function getEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<StreamAnswer> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const answer = {
    status: res.status,
    headers: Object.fromEntries(res.headers),
  };
  if (res.status === 204) {
    return { ...answer, body: undefined, ...noMoreEvents() };
  }
  if (!res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body) {
    return { ...answer, body: await res.json(), ...notAStream() };
  }

  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let ended = false;
  const received: ReceivedEvent[] = [];
  const readEvent = async (): Promise<ReceivedEvent | undefined> => {
    for (;;) {
      const event = received.shift();
      if (event) return event;
      if (ended) return undefined;
      const chunk = await reader.read();
      if (chunk.done) {
        ended = true;
        continue;
      }
      buffered += chunk.value;
      const frames = buffered.split('\n\n');
      buffered = frames.pop() ?? '';
      received.push(...frames.flatMap(parseFrame));
    }
  };
  const next = async () => {
    const event = await readEvent();
    if (!event) throw new Error('the stream ended');
    return event;
  };
  return {
    ...answer,
    body: undefined,
    next,
    nextOf: async (orderIds) => {
      for (;;) {
        const event = await next();
        if (orderIds.includes(event.data.orderId)) return event;
      }
    },
    rest: async () => {
      const rest: ReceivedEvent[] = [];
      for (let event = await readEvent(); event; event = await readEvent()) rest.push(event);
      return rest;
    },
    disconnect: () => abort.abort(),
  };
}

/** A frame's event, if it is one: comments (`: keep-alive`) and `retry:` alone are not. */
function parseFrame(frame: string): ReceivedEvent[] {
  const fields = new Map<string, string>();
  for (const line of frame.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
  }
  const data = fields.get('data');
  if (data === undefined) return [];
  return [
    {
      id: fields.get('id'),
      event: fields.get('event'),
      data: OrderStatusEvent.parse(JSON.parse(data)),
    },
  ];
}

function notAStream(): Pick<StreamAnswer, 'next' | 'nextOf' | 'rest' | 'disconnect'> {
  const refuse = () => Promise.reject(new Error('the answer is not an event stream'));
  return { next: refuse, nextOf: refuse, rest: refuse, disconnect: () => {} };
}

/** A 204: the stream is over before it began. */
function noMoreEvents(): Pick<StreamAnswer, 'next' | 'nextOf' | 'rest' | 'disconnect'> {
  const ended = () => Promise.reject(new Error('the stream ended'));
  return { next: ended, nextOf: ended, rest: async () => [], disconnect: () => {} };
}
