import { kitchenApi, orderApi, PROBLEM_CONTENT_TYPE, paymentApi } from '@cheesecake/contracts';
import {
  type Client,
  Downstream,
  type DownstreamObserver,
  DownstreamPolicy,
  type Logger,
  UnexpectedResponseError,
} from '@cheesecake/service-kit';
import type { GatewayConfig } from '../config.js';

/** The services behind the gateway, as credentials, policies and readiness checks name them. */
export type DownstreamName = 'order' | 'payment' | 'kitchen';

/**
 * The three services behind the gateway, each called through one {@link Downstream} (one
 * breaker, bulkhead and retry policy each) by everything that calls its API: typed clients,
 * the proxy and the order status follower.
 */
export type Downstreams = Record<DownstreamName, Downstream>;

/** Typed clients of the three services' contracts. */
export interface ServiceClients {
  order: Client<typeof orderApi>;
  payment: Client<typeof paymentApi>;
  kitchen: Client<typeof kitchenApi>;
}

/** The base URL of each service behind the gateway. */
export function downstreamUrls(config: GatewayConfig): Record<DownstreamName, string> {
  return {
    order: config.ORDER_SERVICE_URL,
    payment: config.PAYMENT_SERVICE_URL,
    kitchen: config.KITCHEN_SERVICE_URL,
  };
}

/** Where the gateway's policies tell of breaker state changes and of each call's end. */
export interface PolicyHooks {
  log: Logger;
  /** The metrics, for the calls of the public API; none for the ops console's own calls. */
  observer?: DownstreamObserver;
}

/**
 * Each service behind the gateway, called as the gateway with an internal credential
 * carrying the user, through that service's own policies (timeout, bulkhead, retries, breaker).
 */
export function createDownstreams(config: GatewayConfig, hooks: PolicyHooks): Downstreams {
  const urls = downstreamUrls(config);
  const downstream = (service: DownstreamName) =>
    new Downstream({
      from: 'gateway',
      to: service,
      baseUrl: urls[service],
      secret: config.INTERNAL_TOKEN_SECRET,
      policy: new DownstreamPolicy({
        service,
        timeoutMs: config.DOWNSTREAM_TIMEOUT_MS,
        ...hooks,
      }),
    });
  return {
    order: downstream('order'),
    payment: downstream('payment'),
    kitchen: downstream('kitchen'),
  };
}

/** Typed clients of the services' contracts, over `downstreams`. */
export function serviceClientsOf(downstreams: Downstreams): ServiceClients {
  return {
    order: downstreams.order.client(orderApi),
    payment: downstreams.payment.client(paymentApi),
    kitchen: downstreams.kitchen.client(kitchenApi),
  };
}

type Answer = { status: number; body: unknown };

/**
 * What a service's 401 means behind the gateway: the user's token was already accepted
 * here, so the service refused the gateway's credential, which is our fault, not the
 * client's (502).
 */
export function credentialRefused(service: string): UnexpectedResponseError {
  return new UnexpectedResponseError(service, 401, "it refused the gateway's credential");
}

/**
 * A service's answer as the gateway's own, status and body unchanged, problems with their
 * media type; a 401 is the exception ({@link credentialRefused}).
 */
export function passThrough<A extends Answer>(
  service: DownstreamName,
  answer: A,
): Exclude<A, { status: 401 }> & { headers?: Record<string, string> } {
  if (answer.status === 401) throw credentialRefused(service);
  const headers: Record<string, string> =
    answer.status >= 400 ? { 'content-type': PROBLEM_CONTENT_TYPE } : {};
  return { ...(answer as Exclude<A, { status: 401 }>), headers };
}

const READINESS_TIMEOUT_MS = 1_000;

/**
 * Whether each service answers its own `/readyz` with 200 within a second. Asked directly,
 * not through the services' policies: an open circuit must not hide a service that is back,
 * and a probe must not take a place that a call needs.
 */
export async function probeDownstreams(
  urls: Record<DownstreamName, string>,
): Promise<Record<DownstreamName, boolean>> {
  const isReady = async (baseUrl: string) => {
    try {
      const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/readyz`, {
        signal: AbortSignal.timeout(READINESS_TIMEOUT_MS),
      });
      await response.body?.cancel();
      return response.status === 200;
    } catch {
      return false;
    }
  };
  const [order, payment, kitchen] = await Promise.all([
    isReady(urls.order),
    isReady(urls.payment),
    isReady(urls.kitchen),
  ]);
  return { order, payment, kitchen };
}

/** How long one answer of the services' readiness stands for every `/readyz` of the gateway. */
export const READINESS_CACHE_MS = 1_000;

/**
 * {@link probeDownstreams}, asked at most once a second: requests in that second share
 * the answer (or the probe in flight), so a burst of `/readyz` cannot load the services
 * or make the gateway look unready.
 */
export function cachedReadiness(
  urls: Record<DownstreamName, string>,
): () => Promise<Record<DownstreamName, boolean>> {
  let latest: { at: number; answer: Promise<Record<DownstreamName, boolean>> } | undefined;
  return () => {
    const now = Date.now();
    if (!latest || now - latest.at >= READINESS_CACHE_MS) {
      latest = { at: now, answer: probeDownstreams(urls) };
    }
    return latest.answer;
  };
}
